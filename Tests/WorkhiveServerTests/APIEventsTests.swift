import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdWSClient
import Logging
import NIOCore
import Synchronization
import Testing
import WorkhiveCore
import WorkhiveEngine
@testable import WorkhiveServer

/// GET /v1/events on a live server: real WebSocket clients, header and query authentication, and
/// the events each kind of caller hears.
@Suite("API: events WebSocket", .timeLimit(.minutes(5)))  // a bound for a hang; a busy 2-core CI box took over a minute
struct APIEventsTests {
    @Test("workers hear task.available for work they could claim only, with header or ?api_key= auth; owners do not, admins do")
    func taskAvailable() async throws {
        try await withAPI(.live) { api in
            let port = try #require(api.port)
            let requester = try await api.requester()
            let browserWorker = try await api.soloWorker("browser", capabilities: ["browser"])
            let queryWorker = try await api.soloWorker("query", capabilities: ["browser", "x.com"])
            let gpuWorker = try await api.soloWorker("gpu", capabilities: ["gpu"])
            let admin = try await api.admin()

            let byHeader = try await EventSocket.open(api, port: port, key: browserWorker.key)
            let byQuery = try await EventSocket.open(api, port: port, key: queryWorker.key, inQuery: true)
            let gpu = try await EventSocket.open(api, port: port, key: gpuWorker.key)
            let owner = try await EventSocket.open(api, port: port, key: requester.key)
            let adminSocket = try await EventSocket.open(api, port: port, key: admin.key)

            // First a task none of the browser workers can do, then one they can.
            let gpuTask = try #require(try await api.postTask(requester, title: "Render", capabilities: ["gpu"])["id"]?.asInt)
            let browserTask = try #require(try await api.postTask(requester, title: "Like", reward: 70_000, capabilities: ["browser"])["id"]?.asInt)

            for socket in [byHeader, byQuery] {
                let frame = try await socket.next { $0["type"]?.stringValue == "task.available" }
                // Events go out in order, so the first one a worker hears is the task it can do.
                #expect(frame["data"]?["task_id"]?.asInt == browserTask, "\(frame)")
                #expect(frame["data"]?["task_type"]?.stringValue == "social.like")
                #expect(frame["data"]?["reward_micro_usdt"]?.asInt == 70_000)
                #expect(frame["data"]?["required_capabilities"]?.asArray == [.string("browser")])
                #expect(frame["data"]?["human_only"]?.asBool == false)
            }
            let gpuFrame = try await gpu.next { $0["type"]?.stringValue == "task.available" }
            #expect(gpuFrame["data"]?["task_id"]?.asInt == gpuTask)
            // The admin hears of all new work.
            _ = try await adminSocket.next { $0["data"]?["task_id"]?.asInt == gpuTask }
            _ = try await adminSocket.next { $0["data"]?["task_id"]?.asInt == browserTask }

            // Events reach a connection in order, so once a later event arrived nothing earlier can
            // still be on its way: a task every worker can do for the workers, a deposit for the owner.
            let marker = try #require(try await api.postTask(requester, title: "Marker", capabilities: [])["id"]?.asInt)
            for socket in [byHeader, byQuery, gpu] { _ = try await socket.next { $0["data"]?["task_id"]?.asInt == marker } }
            try await api.deposit(requester, 1)
            _ = try await owner.next { $0["type"]?.stringValue == "ledger.credited" }

            for socket in [byHeader, byQuery] {
                #expect(!socket.frames.contains { $0["data"]?["task_id"]?.asInt == gpuTask }, "heard of a task it cannot do: \(socket.frames)")
            }
            #expect(!gpu.frames.contains { $0["data"]?["task_id"]?.asInt == browserTask })
            // A plain owner hears no task.available at all.
            #expect(!owner.frames.contains { $0["type"]?.stringValue == "task.available" }, "\(owner.frames)")

            for socket in [byHeader, byQuery, gpu, owner, adminSocket] { try await socket.close() }
            try await waitUntil("the server to drop the subscriptions") { api.m.hub.subscriberCount == 0 }
        }
    }

    @Test("after approval the submitter hears submission.verdict and ledger.credited; the requester the verdict and its deposits")
    func verdictAndCredit() async throws {
        try await withAPI(.live) { api in
            let port = try #require(api.port)
            let requester = try await api.signUp("requester")
            let worker = try await api.soloWorker("worker")
            let verifier = try await api.soloWorker("verifier")
            let workerSocket = try await EventSocket.open(api, port: port, key: worker.key)
            let requesterSocket = try await EventSocket.open(api, port: port, key: requester.key, inQuery: true)
            let verifierSocket = try await EventSocket.open(api, port: port, key: verifier.key)

            // The requester hears of its own deposit.
            try await api.deposit(requester, 20_000_000)
            let deposit = try await requesterSocket.next { $0["type"]?.stringValue == "ledger.credited" }
            #expect(deposit["data"]?["reason"]?.stringValue == "deposit")
            #expect(deposit["data"]?["amount_micro_usdt"]?.asInt == 20_000_000)

            let reward: Int64 = 2_000_000
            let taskID = try #require(try await api.postTask(requester, reward: reward, extra: [
                "verification": .object(["verifiers": .int(1), "quorum": .int(1), "verifier_reward_micro_usdt": .int(30_000)]),
            ])["id"]?.asInt)
            let claimID = try #require(try await api.claim(worker, "social.like")["claim_id"]?.asInt)
            let submissionID = try #require(try await api.send(.post, "/v1/claims/\(claimID)/submit", key: worker.key, json: #"{"result": {"ok": true}}"#)["id"]?.asInt)
            // The verification slot is announced to the verifier, not to the submitter.
            let slotAvailable = try await verifierSocket.next { $0["type"]?.stringValue == "task.available" && $0["data"]?["task_type"]?.stringValue == "verify" }
            let slotID = try #require(try await api.claim(verifier, "verify")["claim_id"]?.asInt)
            #expect(try await api.send(.post, "/v1/claims/\(slotID)/vote", key: verifier.key, json: #"{"verdict": "approve"}"#).status == 201)

            let verdict = try await workerSocket.next { $0["type"]?.stringValue == "submission.verdict" }
            #expect(verdict["data"]?["submission_id"]?.asInt == submissionID)
            #expect(verdict["data"]?["task_id"]?.asInt == taskID)
            #expect(verdict["data"]?["worker_id"]?.asInt == worker.id)
            #expect(verdict["data"]?["outcome"]?.stringValue == "approved")
            let credit = try await workerSocket.next { $0["type"]?.stringValue == "ledger.credited" }
            #expect(credit["data"]?["reason"]?.stringValue == "reward")
            #expect(credit["data"]?["amount_micro_usdt"]?.asInt == reward)
            #expect(credit["data"]?["worker_id"]?.asInt == worker.id)
            #expect(credit["data"]?["task_id"]?.asInt == taskID)
            let earnings = try await api.wallet(worker.key)["accounts"]?.asArray?.first
            #expect(credit["data"]?["account_id"]?.asInt == earnings?["account_id"]?.asInt)

            let requesterVerdict = try await requesterSocket.next { $0["type"]?.stringValue == "submission.verdict" }
            #expect(requesterVerdict["data"]?["submission_id"]?.asInt == submissionID)
            let verifierCredit = try await verifierSocket.next { $0["type"]?.stringValue == "ledger.credited" }
            #expect(verifierCredit["data"]?["reason"]?.stringValue == "verifier_reward")
            #expect(verifierCredit["data"]?["amount_micro_usdt"]?.asInt == 30_000)

            // Each hears only its own: the submitter not of the slot, the requester not of the worker's pay.
            #expect(!workerSocket.frames.contains { $0["data"]?["task_id"] == slotAvailable["data"]?["task_id"] })
            #expect(!requesterSocket.frames.contains { $0["data"]?["reason"]?.stringValue == "reward" })
            #expect(!verifierSocket.frames.contains { $0["type"]?.stringValue == "submission.verdict" })
            for socket in [workerSocket, requesterSocket, verifierSocket] { try await socket.close() }
        }
    }

    @Test("claim.expiring reaches the holder after the clock moves and the rescuer runs; an expired lease reopens the task")
    func claimExpiring() async throws {
        try await withAPI(.live) { api in
            let port = try #require(api.port)
            let requester = try await api.requester()
            let worker = try await api.soloWorker("worker")
            let other = try await api.soloWorker("other")
            let socket = try await EventSocket.open(api, port: port, key: worker.key)
            let otherSocket = try await EventSocket.open(api, port: port, key: other.key)

            let taskID = try #require(try await api.postTask(requester, extra: ["lease_seconds": .int(60)])["id"]?.asInt)
            let claim = try await api.claim(worker, "social.like")
            let claimID = try #require(claim["claim_id"]?.asInt)
            let expires = try #require(claim["lease_expires_at_millis"]?.asInt)

            // 20% of the lease left: warned once.
            api.clock.advance(seconds: 50)
            let report = try await api.m.rescue()
            #expect(report.expiringNotified == 1)
            let warning = try await socket.next { $0["type"]?.stringValue == "claim.expiring" }
            #expect(warning["data"]?["claim_id"]?.asInt == claimID)
            #expect(warning["data"]?["task_id"]?.asInt == taskID)
            #expect(warning["data"]?["worker_id"]?.asInt == worker.id)
            #expect(warning["data"]?["lease_expires_at_millis"]?.asInt == expires)
            #expect(try await api.m.rescue().expiringNotified == 0, "warned twice")

            // Let it run out: the task is back in the queue and announced again.
            api.clock.advance(seconds: 11)
            #expect(try await api.m.rescue().reopened == 1)
            // (The first announcement was the posting; the second is the reopening.)
            func announcements() -> Int {
                otherSocket.frames.filter { $0["type"]?.stringValue == "task.available" && $0["data"]?["task_id"]?.asInt == taskID }.count
            }
            try await waitUntil("the reopened task to be announced again") { announcements() == 2 }
            api.expectError(try await api.send(.post, "/v1/claims/\(claimID)/heartbeat", key: worker.key), 409, "claim_expired")
            // Only the holder was warned.
            #expect(!otherSocket.frames.contains { $0["type"]?.stringValue == "claim.expiring" })
            try await socket.close()
            try await otherSocket.close()
        }
    }

    @Test("an upgrade without a valid key is refused")
    func unauthenticatedUpgrade() async throws {
        try await withAPI(.live) { api in
            let port = try #require(api.port)
            let owner = try await api.signUp("owner")
            for (what, path, headers) in [
                ("no key", "/v1/events", HTTPFields()),
                ("unknown key", "/v1/events", [.authorization: "Bearer wh_1_00000000000000000000000000000000"]),
                ("Basic auth", "/v1/events", [.authorization: "Basic b3duZXI6c2VjcmV0"]),
                ("unknown key in the query", "/v1/events?api_key=wh_1_00000000000000000000000000000000", HTTPFields()),
                ("malformed key in the query", "/v1/events?api_key=nope", HTTPFields()),
            ] as [(String, String, HTTPFields)] {
                let handled = Mutex(false)
                await #expect(throws: (any Error).self, "\(what): the upgrade went through") {
                    try await WebSocketClient.connect(
                        url: "ws://localhost:\(port)\(path)", configuration: .init(additionalHeaders: headers), logger: EventSocket.logger
                    ) { _, _, _ in handled.withLock { $0 = true } }
                }
                #expect(!handled.withLock { $0 }, "\(what): the handler ran")
            }
            #expect(api.m.hub.subscriberCount == 0)
            // And the same key that works in the query works as a header.
            let socket = try await EventSocket.open(api, port: port, key: owner.key)
            try await socket.close()
        }
    }

    @Test("GET /v1/events without upgrade headers is 400; without a key 401")
    func plainGet() async throws {
        try await withAPI { api in
            let worker = try await api.soloWorker("worker")
            let plain = try await api.send(.get, "/v1/events", key: worker.key)
            let error = api.expectError(plain, 400, "invalid_request")
            #expect(error?.message.contains("WebSocket") == true)
            api.expectError(try await api.send(.get, "/v1/events"), 401, "unauthenticated")
            api.expectError(try await api.send(.get, "/v1/events?api_key=\(worker.key)x"), 401, "unauthenticated")
            // The query key is accepted on this route (then refused for the missing upgrade).
            api.expectError(try await api.send(.get, "/v1/events?api_key=\(worker.key)"), 400, "invalid_request")
        }
    }
}

// MARK: - A WebSocket client collecting event frames

/// A connection to GET /v1/events that collects every text frame, checked against the EventFrame schema.
final class EventSocket: Sendable {
    static let logger: Logger = {
        var logger = Logger(label: "workhive-events-test")
        logger.logLevel = .critical
        return logger
    }()

    private let received = Mutex<[JSONValue]>([])
    private let writer = Mutex<WebSocketOutboundWriter?>(nil)
    private let ended = Mutex<String?>(nil)
    private let task = Mutex<Task<Void, Never>?>(nil)

    /// Every frame so far, parsed.
    var frames: [JSONValue] { received.withLock { $0 } }

    /// Connects, and returns once the server has subscribed the connection to the hub.
    static func open(_ api: API, port: Int, key: String, inQuery: Bool = false,
                     sourceLocation: SourceLocation = #_sourceLocation) async throws -> EventSocket {
        let socket = EventSocket()
        let before = api.m.hub.subscriberCount
        var headers = HTTPFields()
        if !inQuery { headers[.authorization] = "Bearer \(key)" }
        let url = "ws://localhost:\(port)/v1/events" + (inQuery ? "?api_key=\(key)" : "")
        let task = Task { await socket.run(url: url, headers: headers) }
        socket.task.withLock { $0 = task }
        try await waitUntil("the events WebSocket to connect") {
            if let ended = socket.ended.withLock({ $0 }) {
                Issue.record("the events WebSocket ended: \(ended)", sourceLocation: sourceLocation)
                throw WaitTimedOut(what: "connection")
            }
            return socket.writer.withLock { $0 != nil } && api.m.hub.subscriberCount > before
        }
        return socket
    }

    private func run(url: String, headers: HTTPFields) async {
        do {
            let close = try await WebSocketClient.connect(
                url: url, configuration: .init(additionalHeaders: headers), logger: Self.logger
            ) { inbound, outbound, _ in
                self.writer.withLock { $0 = outbound }
                for try await message in inbound.messages(maxSize: 1 << 20) {
                    guard case .text(let text) = message else { continue }
                    let problems = apiSpec.validate(json: Data(text.utf8), schema: "EventFrame")
                    #expect(problems == [], "frame does not match EventFrame: \(text)")
                    if let value = try? JSONDecoder().decode(JSONValue.self, from: Data(text.utf8)) {
                        self.received.withLock { $0.append(value) }
                    }
                }
            }
            ended.withLock { $0 = "closed \(String(describing: close))" }
        } catch {
            ended.withLock { $0 = "\(error)" }
        }
    }

    /// The first frame (received so far or arriving within `timeout`) that `matches`.
    func next(timeout: Duration = .seconds(10), sourceLocation: SourceLocation = #_sourceLocation,
              _ matches: @escaping (JSONValue) -> Bool) async throws -> JSONValue {
        var found: JSONValue?
        try await waitUntil("an event frame (have: \(frames))", timeout: timeout) {
            found = received.withLock { $0.first(where: matches) }
            return found != nil
        }
        return try #require(found, sourceLocation: sourceLocation)
    }

    /// Closes the connection and waits for the client to finish.
    func close() async throws {
        if let writer = writer.withLock({ $0 }) { try? await writer.close(.normalClosure, reason: "test done") }
        if let task = task.withLock({ $0 }) { await task.value }
    }
}
