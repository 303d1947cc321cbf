import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import WorkhiveCore
import WorkhiveEngine

/// The REST API under /v1. Every handler: who is calling → decode → one engine operation → JSON.
/// docs/api.md and Resources/openapi.yaml describe the same routes.
struct APIRoutes {
    let marketplace: Marketplace
    let configuration: ServerConfiguration
    let longPolls: ConnectionQuota

    func register(on router: Router<WorkhiveRequestContext>) {
        let m = marketplace
        router.get("/healthz") { _, _ in try JSONBody.response(["status": "ok"]) }
        router.get("/openapi.yaml") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/yaml"], body: .init(byteBuffer: ByteBuffer(string: OpenAPIDocument.text)))
        }
        router.get("/metrics") { request, context in
            // "Bearer " with nothing after it (a scraper whose key variable is unset) is no key at all.
            let blank = request.headers[.authorization]?.trimmingCharacters(in: .whitespaces).lowercased() == "bearer"
            if !blank, let key = try AuthMiddleware.apiKey(request) {
                guard try await m.authenticate(apiKey: key).isAdmin else { throw WorkhiveError.forbidden("/metrics is for admin keys only") }
            } else if !(configuration.metricsOpenToLoopback && Self.isLocalScrape(request, from: context.remoteAddress)) {
                throw WorkhiveError(.unauthenticated, "/metrics needs an admin key: 'Authorization: Bearer <key>'")
            }
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                            body: .init(byteBuffer: ByteBuffer(string: try await configuration.metrics.render(m))))
        }

        let v1 = router.group("v1")
        v1.post("owners") { request, _ in
            guard configuration.allowSignup else { throw WorkhiveError.forbidden("sign-up is closed on this server") }
            let body = try await JSONBody.decode(CreateOwnerRequest.self, from: request)
            return try JSONBody.response(try await m.createOwner(name: body.name), status: .created)
        }
        v1.get("me") { _, context in
            let p = try context.requirePrincipal()
            switch p {
            case .owner(let id, let admin):
                return try JSONBody.response(MeView(kind: "owner", ownerId: id, isAdmin: admin, worker: nil))
            case .worker(let id, let owner, _):
                return try JSONBody.response(MeView(kind: "worker", ownerId: owner, isAdmin: false, worker: try await m.worker(p, id: id)))
            }
        }

        v1.post("workers") { request, context in
            let p = try context.requirePrincipal()
            let body = try await JSONBody.decode(CreateWorkerRequest.self, from: request)
            return try JSONBody.response(try await m.createWorker(p, name: body.name, kind: body.kind, capabilities: body.capabilities ?? [],
                                                                    modelFamily: body.modelFamily), status: .created)
        }
        v1.get("workers") { _, context in
            try JSONBody.response(WorkerList(workers: try await m.workers(try context.requirePrincipal())))
        }
        v1.post("workers/heartbeat") { request, context in
            let p = try context.requirePrincipal()
            let body = try await JSONBody.decode(WorkerHeartbeatRequest.self, from: request)
            return try JSONBody.response(try await m.workerHeartbeat(p, status: body.status))
        }
        v1.get("workers/:id") { _, context in
            try JSONBody.response(try await m.worker(try context.requirePrincipal(), id: try context.id("id")))
        }
        v1.get("workers/:id/reputation") { _, context in
            try JSONBody.response(try await m.reputation(try context.requirePrincipal(), worker: try context.id("id")))
        }
        v1.post("admin/workers/:id/suspend") { _, context in
            try JSONBody.response(try await m.setSuspended(try context.requirePrincipal(), worker: try context.id("id"), suspended: true))
        }
        v1.post("admin/workers/:id/unsuspend") { _, context in
            try JSONBody.response(try await m.setSuspended(try context.requirePrincipal(), worker: try context.id("id"), suspended: false))
        }
        v1.get("admin/ledger") { _, context in
            guard try context.requirePrincipal().isAdmin else { throw WorkhiveError.forbidden("admin only") }
            return try JSONBody.response(try await m.ledgerTotals())
        }

        v1.post("tasks") { request, context in
            let p = try context.requirePrincipal()
            var request = request
            let bytes = try await request.collectBody(upTo: TaskSpec.maxPayloadBytes + 64 * 1024)
            let body = try JSONBody.decode(PostTaskRequest.self, from: bytes)
            let spec = try body.spec(now: m.now())
            let key = request.headers[.idempotencyKey]
            // A retry is recognised by what it asks for, not by its bytes: hash the canonical JSON.
            let canonical = key.map { _ in sha256Hex((try? JSONValue.parse(String(buffer: bytes)))?.jsonText ?? String(buffer: bytes)) }
            let task = try await m.postTask(p, spec, idempotencyKey: key, requestHash: canonical)
            return try JSONBody.response(task, status: .created)
        }
        v1.get("tasks") { request, context in
            let p = try context.requirePrincipal()
            let q = request.uri.queryParameters
            let state = try q["state"].map { s in
                guard let state = TaskState(rawValue: String(s)) else { throw WorkhiveError.invalid("unknown state '\(s)'") }
                return state
            }
            let limit = try Self.limitQuery(request)
            let before = try q["before"].map { b in
                guard let n = Int64(b) else { throw WorkhiveError.invalid("before must be a task id") }
                return TaskID(n)
            }
            let tasks = try await m.listTasks(p, state: state, taskType: q["task_type"].map(String.init), limit: limit, beforeID: before)
            return try JSONBody.response(TaskList(tasks: tasks))
        }
        v1.get("tasks/:id") { _, context in
            try JSONBody.response(try await m.task(try context.requirePrincipal(), try context.id("id")))
        }
        v1.post("tasks/:id/cancel") { _, context in
            try JSONBody.response(try await m.cancelTask(try context.requirePrincipal(), try context.id("id")))
        }
        v1.get("tasks/:id/submissions") { _, context in
            try JSONBody.response(SubmissionList(submissions: try await m.submissions(try context.requirePrincipal(), task: try context.id("id"))))
        }
        v1.get("submissions/:id/votes") { _, context in
            try JSONBody.response(VoteList(votes: try await m.votes(try context.requirePrincipal(), submission: try context.id("id"))))
        }
        v1.post("submissions/:id/appeal") { request, context in
            let p = try context.requirePrincipal()
            let body = try await JSONBody.decode(AppealRequest.self, from: request)
            return try JSONBody.response(try await m.appeal(p, submission: try context.id("id"), reason: body.reason), status: .created)
        }
        v1.get("submissions/:id/appeal") { _, context in
            try JSONBody.response(try await m.appeal(try context.requirePrincipal(), submission: try context.id("id")))
        }
        v1.get("requesters/:id/stats") { _, context in
            try JSONBody.response(try await m.requesterStats(try context.requirePrincipal(), requester: try context.id("id")))
        }

        v1.post("claims") { request, context in
            let p = try context.requirePrincipal()
            let body = try await JSONBody.decode(ClaimRequest.self, from: request)
            if let wait = body.waitSeconds, !(0...30).contains(wait) { throw WorkhiveError.invalid("wait_seconds must be between 0 and 30") }
            let wait = body.waitSeconds ?? 0
            let claim = if wait > 0 {
                try await longPolls.holding(p.quotaKey) { try await m.claim(p, taskType: body.taskType, capabilities: body.capabilities, waitSeconds: wait) }
            } else {
                try await m.claim(p, taskType: body.taskType, capabilities: body.capabilities, waitSeconds: 0)
            }
            guard let claim else { return noContent() }
            configuration.metrics.claimed(verification: body.taskType == "verify")
            return try JSONBody.response(claim, status: .created)
        }
        v1.post("claims/:id/heartbeat") { _, context in
            try JSONBody.response(try await m.heartbeat(try context.requirePrincipal(), claim: try context.id("id")))
        }
        v1.post("claims/:id/release") { _, context in
            try JSONBody.response(try await m.release(try context.requirePrincipal(), claim: try context.id("id")))
        }
        v1.post("claims/:id/submit") { request, context in
            let p = try context.requirePrincipal()
            let body = try await JSONBody.decode(SubmitRequest.self, from: request, limit: TaskSpec.maxPayloadBytes + 64 * 1024)
            let submission = try await m.submit(p, claim: try context.id("id"), result: body.result, proofs: body.proofs ?? [])
            return try JSONBody.response(submission, status: .created)
        }
        v1.post("claims/:id/vote") { request, context in
            let p = try context.requirePrincipal()
            let body = try await JSONBody.decode(VoteRequest.self, from: request)
            return try JSONBody.response(try await m.vote(p, claim: try context.id("id"), verdict: body.verdict, reason: body.reason ?? ""), status: .created)
        }

        v1.post("blobs") { request, context in
            let p = try context.requirePrincipal()
            var request = request
            let bytes = try await request.collectBody(upTo: m.configuration.maxBlobBytes)
            let mediaType = request.headers[.contentType] ?? "application/octet-stream"
            let blob = try await m.uploadBlob(p, bytes: Array(buffer: bytes), mediaType: mediaType)
            return try JSONBody.response(blob, status: .created)
        }
        v1.get("blobs/:sha256") { _, context in
            let (blob, data) = try await m.blob(try context.requirePrincipal(), context.parameters.get("sha256") ?? "")
            return Response(status: .ok, headers: [.contentType: blob.mediaType, .cacheControl: "private, max-age=31536000, immutable"],
                            body: .init(byteBuffer: ByteBuffer(bytes: data)))
        }

        v1.get("wallet") { request, context in
            let p = try context.requirePrincipal()
            let limit = try Self.limitQuery(request)
            return try JSONBody.response(try await m.wallet(p, historyLimit: limit))
        }
        v1.post("wallet/deposits") { request, context in
            let p = try context.requirePrincipal()
            let body = try await JSONBody.decode(DepositRequest.self, from: request)
            return try JSONBody.response(try await m.deposit(p, to: body.ownerId, amountMicroUSDT: body.amountMicroUSDT), status: .created)
        }
        registerPayouts(on: v1)
    }
}

struct MeView: Encodable {
    var kind: String
    var ownerId: OwnerID
    var isAdmin: Bool
    var worker: WorkerView?
}
struct WorkerList: Encodable { var workers: [WorkerView] }
struct TaskList: Encodable { var tasks: [TaskView] }
struct SubmissionList: Encodable { var submissions: [SubmissionView] }
struct VoteList: Encodable { var votes: [VoteView] }

extension HTTPField.Name {
    static let idempotencyKey = Self("Idempotency-Key")!
}

extension WorkhiveRequestContext {
    /// A typed id from a path parameter, or 400.
    func id<T>(_ name: String) throws -> ID<T> {
        guard let raw = parameters.get(name), let value = Int64(raw) else {
            throw WorkhiveError.invalid("'\(parameters.get(name) ?? "")' is not a valid id")
        }
        return ID(rawValue: value)
    }
}

extension APIRoutes {
    /// A scrape from this machine that no proxy forwarded: a Prometheus beside the server needs no key,
    /// while a reverse proxy on the same host (which adds Forwarded / X-Forwarded-For) does not open it.
    static func isLocalScrape(_ request: Request, from address: SocketAddress?) -> Bool {
        guard let ip = address?.ipAddress else { return false }
        let forwarded = request.headers[HTTPField.Name("Forwarded")!] != nil || request.headers[HTTPField.Name("X-Forwarded-For")!] != nil
        return !forwarded && (ip == "::1" || ip.hasPrefix("127.") || ip.hasPrefix("::ffff:127."))
    }
}
