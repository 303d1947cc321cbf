import AsyncHTTPClient
import Foundation
import NIOCore
import Testing
import WorkhiveCore
@testable import WorkhiveServer

/// The A2A binding in-process: the card, SendMessage as a paid post, the state mapping and the
/// JSON-RPC errors. Tests/interop/test_a2a.py checks the same server against the official SDK.
@Suite("A2A: JSON-RPC binding")
struct A2ATests {
    static func rpc(_ method: String, _ params: String, id: Int = 1) -> String {
        #"{"jsonrpc": "2.0", "id": \#(id), "method": "\#(method)", "params": \#(params)}"#
    }

    static func message(id: String, text: String, metadata: String) -> String {
        #"{"message": {"messageId": "\#(id)", "role": "ROLE_USER", "parts": [{"text": "\#(text)"}, {"data": {"n": 7}}], "metadata": \#(metadata)}}"#
    }

    @Test("the agent card names the JSON-RPC interface at protocol 1.0 and one skill per configured task type")
    func card() async throws {
        try await withAPI(configure: { $0.a2a.skills = [.init(taskType: "image.label"), .init(taskType: "general")] }) { api in
            let r = try await api.send(.get, "/.well-known/agent-card.json")
            #expect(r.status == 200)
            let interface = r["supportedInterfaces"]?.asArray?.first
            #expect(interface?["protocolBinding"]?.stringValue == "JSONRPC")
            #expect(interface?["protocolVersion"]?.stringValue == "1.0")
            #expect(interface?["url"]?.stringValue == "http://localhost/v1/a2a")
            #expect(r["skills"]?.asArray?.compactMap { $0["id"]?.stringValue } == ["image.label", "general"])
            #expect(r["capabilities"]?["streaming"]?.asBool == true)
        }
    }

    @Test("SendMessage posts a task paid by the caller; the same message again returns the same task")
    func sendMessage() async throws {
        try await withAPI { api in
            let requester = try await api.requester()
            let body = Self.rpc("SendMessage", Self.message(id: "m-1", text: "Label image 7\\nplease",
                                                          metadata: #"{"reward_micro_usdt": 1000000, "task_type": "image.label"}"#))
            let first = try await api.send(.post, "/v1/a2a", key: requester.key, json: body)
            let task = first["result"]?["task"]
            #expect(task?["status"]?["state"]?.stringValue == "TASK_STATE_SUBMITTED")
            #expect(task?["metadata"]?["task_type"]?.stringValue == "image.label")
            let id = try #require(task?["id"]?.stringValue)
            let rest = try await api.send(.get, "/v1/tasks/\(id)", key: requester.key)
            #expect(rest["title"]?.stringValue == "Label image 7")
            #expect(rest["payload"]?["n"]?.asInt == 7)
            #expect(api.balance(try await api.wallet(requester.key), kind: "funds", field: "held_micro_usdt") ?? 0 > 1_000_000)
            let again = try await api.send(.post, "/v1/a2a", key: requester.key, json: body)
            #expect(again["result"]?["task"]?["id"]?.stringValue == id)

            let got = try await api.send(.post, "/v1/a2a", key: requester.key, json: Self.rpc("GetTask", #"{"id": "\#(id)"}"#))
            #expect(got["result"]?["id"]?.stringValue == id)
            let cancelled = try await api.send(.post, "/v1/a2a", key: requester.key, json: Self.rpc("CancelTask", #"{"id": "\#(id)"}"#))
            #expect(cancelled["result"]?["status"]?["state"]?.stringValue == "TASK_STATE_CANCELED")
            let twice = try await api.send(.post, "/v1/a2a", key: requester.key, json: Self.rpc("CancelTask", #"{"id": "\#(id)"}"#))
            #expect(twice["error"]?["code"]?.asInt == -32002)
        }
    }

    @Test("errors: A2A codes for unknown tasks and methods, -32000 with the Workhive code for refusals")
    func errors() async throws {
        try await withAPI { api in
            let requester = try await api.requester()
            let worker = try await api.soloWorker("w")
            func code(_ key: String, _ body: String) async throws -> (Int64?, String?) {
                let r = try await api.send(.post, "/v1/a2a", key: key, json: body)
                #expect(r.status == 200)
                return (r["error"]?["code"]?.asInt, r["error"]?["data"]?.asArray?.first?["reason"]?.stringValue)
            }
            #expect(try await code(requester.key, Self.rpc("GetTask", #"{"id": "424242"}"#)) == (-32001, "TASK_NOT_FOUND"))
            #expect(try await code(requester.key, Self.rpc("message/send", "{}")).0 == -32601)
            #expect(try await code(requester.key, "[1, 2]").0 == -32600)
            #expect(try await code(requester.key, Self.rpc("SendMessage", Self.message(id: "x", text: "t", metadata: "{}"))).0 == -32602)
            let post = Self.rpc("SendMessage", Self.message(id: "y", text: "t", metadata: #"{"reward_micro_usdt": 1000}"#))
            #expect(try await code(worker.key, post) == (-32000, "FORBIDDEN"))
            let poor = try await api.signUp("poor")
            #expect(try await code(poor.key, post) == (-32000, "INSUFFICIENT_FUNDS"))
        }
    }

    @Test("an SSE stream holds one of the key's event-stream slots until it ends")
    func streamQuota() async throws {
        try await withAPI(.live, configure: { $0.maxEventStreamsPerKey = 1 }) { api in
            let requester = try await api.requester()
            func post(_ id: String) async throws -> String {
                let body = Self.rpc("SendMessage", Self.message(id: id, text: "t", metadata: #"{"reward_micro_usdt": 1000}"#))
                return try #require(try await api.send(.post, "/v1/a2a", key: requester.key, json: body)["result"]?["task"]?["id"]?.stringValue)
            }
            let (open, final) = (try await post("open"), try await post("final"))
            _ = try await api.send(.post, "/v1/a2a", key: requester.key, json: Self.rpc("CancelTask", #"{"id": "\#(final)"}"#))
            // Subscribing to a final task takes a slot and gives it back at once (unsupported), or is
            // refused for want of one: a probe of whether the open stream holds the key's only slot.
            func probe() async throws -> String? {
                let r = try await api.send(.post, "/v1/a2a", key: requester.key, json: Self.rpc("SubscribeToTask", #"{"id": "\#(final)"}"#))
                return r["error"]?["data"]?.asArray?.first?["reason"]?.stringValue
            }
            #expect(try await probe() != "RATE_LIMITED")
            // The stream on a connection of its own (the test client has one, and serves one request at a time).
            var subscribe = HTTPClientRequest(url: "http://127.0.0.1:\(try #require(api.port))/v1/a2a")
            subscribe.method = .POST
            subscribe.headers.add(name: "Authorization", value: "Bearer \(requester.key)")
            subscribe.headers.add(name: "Content-Type", value: "application/json")
            subscribe.body = .bytes(ByteBuffer(string: Self.rpc("SubscribeToTask", #"{"id": "\#(open)"}"#)))
            let request = subscribe
            let stream = Task {
                let response = try await HTTPClient.shared.execute(request, timeout: .seconds(60))
                return String(buffer: try await response.body.collect(upTo: 1 << 20))
            }
            do {
                try await waitUntil("the stream to hold the slot") { try await probe() == "RATE_LIMITED" }
            } catch {
                _ = try await api.send(.post, "/v1/tasks/\(open)/cancel", key: requester.key)  // ends the stream
                throw error
            }
            _ = try await api.send(.post, "/v1/tasks/\(open)/cancel", key: requester.key)
            #expect(try await stream.value.contains("TASK_STATE_CANCELED"))
            try await waitUntil("the ended stream to give the slot back") { try await probe() != "RATE_LIMITED" }
        }
    }

    @Test("every Workhive state maps to a TASK_STATE_* value, and filters map back")
    func stateMapping() {
        let expected: [TaskState: String] = [
            .open: "TASK_STATE_SUBMITTED", .claimed: "TASK_STATE_WORKING", .verifying: "TASK_STATE_WORKING",
            .approved: "TASK_STATE_COMPLETED", .done: "TASK_STATE_COMPLETED", .rejected: "TASK_STATE_FAILED",
            .failed: "TASK_STATE_FAILED", .cancelled: "TASK_STATE_CANCELED",
        ]
        for state in TaskState.allCases { #expect(A2ATaskMapping.state(state) == expected[state]) }
        #expect(A2ATaskMapping.states("TASK_STATE_WORKING") == [.claimed, .verifying])
        #expect(A2ATaskMapping.states("TASK_STATE_INPUT_REQUIRED") == nil)
    }
}
