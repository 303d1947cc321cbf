import Foundation
import HTTPTypes
import NIOCore
import Testing
import WorkhiveAgent
import WorkhiveCore
@testable import WorkhiveServer

/// Every resource a client can grow has a limit, and going past it is a clear 4xx with a code.
@Suite("API: resource limits", .timeLimit(.minutes(5)))  // a bound for a hang; a busy 2-core CI box took over a minute
struct APILimitsTests {
    @Test("request bodies, task payloads, proofs per submission, proof size and sub-tasks per delegation are capped")
    func sizeLimits() async throws {
        try await withAPI { api in
            let requester = try await api.requester()
            let worker = try await api.soloWorker("w")
            // A JSON body over 1 MiB.
            let huge = #"{"name": ""# + String(repeating: "x", count: 1 << 20) + #""}"#
            api.expectError(try await api.send(.post, "/v1/workers", key: requester.key, json: huge), 413, "payload_too_large")
            // A task payload over 256 KiB (the body itself is within the route's limit).
            let payload = JSONValue.object(["blob": .string(String(repeating: "y", count: TaskSpec.maxPayloadBytes))])
            let task: JSONValue = .object(["task_type": .string("t"), "title": .string("t"), "reward_micro_usdt": .int(1000), "payload": payload])
            let big = try await api.send(.post, "/v1/tasks", key: requester.key, json: jsonText(task))
            #expect(big.status == 400 || big.status == 413, "\(big.status) \(big.text)")
            #expect(big.error?.message.contains("payload") == true || big.error?.code == "payload_too_large", "\(big.text)")
            // A proof over the blob limit.
            let blob = ByteBuffer(repeating: 0x41, count: api.m.configuration.maxBlobBytes + 1)
            var text = HTTPFields()
            text[.contentType] = "text/plain"
            api.expectError(try await api.send(.post, "/v1/blobs", key: worker.key, body: blob, headers: text), 413, "payload_too_large")
            // More than 20 proofs on one submission.
            try await api.postTask(requester)
            let claimID = try #require(try await api.claim(worker, "social.like")["claim_id"]?.asInt)
            let proofs = (0..<21).map { JSONValue.string(String(format: "%064x", $0)) }
            let submit = try await api.send(.post, "/v1/claims/\(claimID)/submit", key: worker.key,
                                            json: jsonText(.object(["result": .object([:]), "proofs": .array(proofs)])))
            let error = api.expectError(submit, 400, "invalid_request")
            #expect(error?.message.contains("20 proofs") == true)
            // More than 500 sub-tasks in one delegation.
            let master = try await api.soloWorker("master")
            try await api.postTask(requester, taskType: "fan")
            let parent = try #require(try await api.claim(master, "fan")["claim_id"]?.asInt)
            let parts = JSONValue.array(Array(repeating: .object(["reward_micro_usdt": .int(1)]), count: 501))
            let delegation = try await api.send(.post, "/v1/claims/\(parent)/delegation", key: master.key,
                                                json: jsonText(.object(["sub_tasks": parts])))
            #expect(api.expectError(delegation, 400, "invalid_request")?.message.contains("1-500") == true)
        }
    }

    @Test("a key may hold only so many long-polling claims; a plain claim still works, and the slot comes back")
    func longPollWaiters() async throws {
        try await withAPI(.live, configure: { $0.maxLongPollsPerKey = 2 }) { api in
            let port = try #require(api.port)
            let worker = try await api.soloWorker("poller")
            // SDK clients, so that each long-poll has a connection of its own.
            let client = WorkhiveClient(baseURL: "http://127.0.0.1:\(port)", apiKey: worker.key)
            let pollers = (0..<2).map { _ in Task { try await client.claim(taskType: "nothing.here", waitSeconds: 3) } }
            try await waitUntil("two long-polls to be waiting") { api.m.hub.waiterCount >= 2 }
            do {
                _ = try await client.claim(taskType: "nothing.here", waitSeconds: 3)
                Issue.record("a third long-poll was accepted")
            } catch let error as WorkhiveAPIError {
                #expect(error.status == 429 && error.code == "rate_limited" && error.message.contains("at most 2 open long-polling claims"), "\(error)")
            }
            #expect(try await api.send(.post, "/v1/claims", key: worker.key, json: #"{"task_type": "nothing.here"}"#).status == 204)
            // Another key is not affected.
            let other = try await api.soloWorker("other")
            #expect(try await api.send(.post, "/v1/claims", key: other.key, json: #"{"task_type": "x", "wait_seconds": 1}"#).status == 204)
            for poller in pollers { #expect(try await poller.value == nil) }
            #expect(try await api.send(.post, "/v1/claims", key: worker.key, json: #"{"task_type": "x", "wait_seconds": 1}"#).status == 204)
        }
    }

    @Test("a key may hold only so many open event WebSockets; closing one makes room")
    func eventStreamsPerKey() async throws {
        try await withAPI(.live, configure: { $0.maxEventStreamsPerKey = 2 }) { api in
            let port = try #require(api.port)
            let worker = try await api.soloWorker("listener")
            let first = try await EventSocket.open(api, port: port, key: worker.key)
            let second = try await EventSocket.open(api, port: port, key: worker.key)
            // A third stream is answered 429 before any upgrade.
            let refused = try await api.send(.get, "/v1/events", key: worker.key)
            #expect(api.expectError(refused, 429, "rate_limited")?.message.contains("at most 2 open event streams") == true)
            // Another key still connects.
            let other = try await api.soloWorker("other")
            let third = try await EventSocket.open(api, port: port, key: other.key)
            try await first.close()
            try await waitUntil("the closed stream to give its slot back") {
                try await api.send(.get, "/v1/events", key: worker.key).status == 400  // room again: a plain GET is the 400 it always was
            }
            let again = try await EventSocket.open(api, port: port, key: worker.key)
            for socket in [second, third, again] { try await socket.close() }
        }
    }
}
