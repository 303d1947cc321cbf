import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import Testing
import WorkhiveCore
import WorkhiveEngine
@testable import WorkhiveServer

/// Bad input gets a clear 4xx with a code and a message, never a 500, and writes nothing.
@Suite("API: bad input")
struct APIBadInputTests {
    @Test("malformed JSON, missing fields, wrong types and unknown enum values are 400 with the field named")
    func malformedBodies() async throws {
        try await withAPI { api in
            let requester = try await api.requester()
            let worker = try await api.soloWorker("worker")

            let notJSON = try await api.send(.post, "/v1/tasks", key: requester.key, json: #"{"task_type": "x", "title": "#)
            api.expectError(notJSON, 400, "invalid_json")
            let empty = try await api.send(.post, "/v1/owners", json: "")
            api.expectError(empty, 400, "invalid_json")
            let garbage = try await api.send(.post, "/v1/owners", json: "name=bob")
            api.expectError(garbage, 400, "invalid_json")

            // Missing required field: the message names it.
            let missing = try await api.send(.post, "/v1/tasks", key: requester.key, json: #"{"task_type": "social.like", "title": "Like"}"#)
            let missingError = api.expectError(missing, 400, "invalid_json")
            #expect(missingError?.message.contains("reward_micro_usdt") == true, "\(String(describing: missingError))")
            let noName = try await api.send(.post, "/v1/owners", json: "{}")
            #expect(api.expectError(noName, 400, "invalid_json")?.message.contains("name") == true)

            // Wrong type: named, with what it must be.
            let wrongType = try await api.send(.post, "/v1/tasks", key: requester.key,
                                               json: #"{"task_type": "social.like", "title": "Like", "reward_micro_usdt": "a lot"}"#)
            let wrongTypeError = api.expectError(wrongType, 400, "invalid_json")
            #expect(wrongTypeError?.message.contains("reward_micro_usdt") == true, "\(String(describing: wrongTypeError))")
            #expect(wrongTypeError?.message.contains("integer") == true, "\(String(describing: wrongTypeError))")
            let nestedWrong = try await api.send(.post, "/v1/tasks", key: requester.key,
                                                 json: #"{"task_type": "social.like", "title": "Like", "reward_micro_usdt": 1000, "verification": {"verifiers": "three"}}"#)
            #expect(api.expectError(nestedWrong, 400, "invalid_json")?.message.contains("verification.verifiers") == true)
            let nullField = try await api.send(.post, "/v1/owners", json: #"{"name": null}"#)
            #expect(api.expectError(nullField, 400, "invalid_json")?.message.contains("name") == true)
            let notAnObject = try await api.send(.post, "/v1/owners", json: #"["name"]"#)
            api.expectError(notAnObject, 400, "invalid_json")

            // Invalid enum values: named.
            let badKind = try await api.send(.post, "/v1/workers", key: requester.key, json: #"{"name": "w", "kind": "robot"}"#)
            #expect(api.expectError(badKind, 400, "invalid_json")?.message.contains("kind") == true)
            let badVisibility = try await api.send(.post, "/v1/tasks", key: requester.key,
                                                   json: #"{"task_type": "social.like", "title": "Like", "reward_micro_usdt": 1000, "visibility": "secret"}"#)
            #expect(api.expectError(badVisibility, 400, "invalid_json")?.message.contains("visibility") == true)
            let badStatus = try await api.send(.post, "/v1/workers/heartbeat", key: worker.key, json: #"{"status": "sleeping"}"#)
            #expect(api.expectError(badStatus, 400, "invalid_json")?.message.contains("status") == true)
            let badVerdict = try await api.send(.post, "/v1/claims/1/vote", key: worker.key, json: #"{"verdict": "maybe"}"#)
            #expect(api.expectError(badVerdict, 400, "invalid_json")?.message.contains("verdict") == true)
            let badState = try await api.send(.get, "/v1/tasks?state=sleeping", key: requester.key)
            #expect(api.expectError(badState, 400, "invalid_request")?.message.contains("sleeping") == true)

            // Values out of range: invalid_request.
            let lease = try await api.send(.post, "/v1/tasks", key: requester.key,
                                           json: #"{"task_type": "social.like", "title": "Like", "reward_micro_usdt": 1000, "lease_seconds": 1}"#)
            #expect(api.expectError(lease, 400, "invalid_request")?.message.contains("lease_seconds") == true)
            let payload = try await api.send(.post, "/v1/tasks", key: requester.key,
                                             json: #"{"task_type": "social.like", "title": "Like", "reward_micro_usdt": 1000, "payload": [1, 2]}"#)
            #expect(api.expectError(payload, 400, "invalid_request")?.message.contains("payload") == true)
            let wait = try await api.send(.post, "/v1/claims", key: worker.key, json: #"{"task_type": "social.like", "wait_seconds": 31}"#)
            #expect(api.expectError(wait, 400, "invalid_request")?.message.contains("wait_seconds") == true)
            let zero = try await api.send(.post, "/v1/wallet/deposits", key: requester.key, json: #"{"amount_micro_usdt": 0}"#)
            api.expectError(zero, 400, "invalid_request")
            let limit = try await api.send(.get, "/v1/tasks?limit=0", key: requester.key)
            api.expectError(limit, 400, "invalid_request")
            let proof = try await api.send(.post, "/v1/claims/1/submit", key: worker.key, json: #"{"result": {}, "proofs": ["not-a-digest"]}"#)
            api.expectError(proof, 400, "invalid_request")

            // None of it posted anything.
            #expect(try await api.send(.get, "/v1/tasks", key: requester.key)["tasks"]?.asArray?.isEmpty == true)
        }
    }

    @Test("hostile JSON: deep nesting, huge numbers, bad query values — 400, never a crash or a 500")
    func hostileJSON() async throws {
        try await withAPI { api in
            let requester = try await api.requester()
            let idem = HTTPField.Name("Idempotency-Key")!
            let deep = String(repeating: "[", count: 20_000) + String(repeating: "]", count: 20_000)
            for headers in [HTTPFields(), [idem: "deep-1"]] {
                let nested = try await api.send(.post, "/v1/tasks", key: requester.key,
                                                json: #"{"task_type": "social.like", "title": "Deep", "reward_micro_usdt": 1000, "payload": {"x": \#(deep)}}"#,
                                                headers: headers)
                #expect(nested.status == 400, "\(nested.status) \(nested.text.prefix(200))")
            }
            let deepResult = try await api.send(.post, "/v1/claims/1/submit", key: try await api.soloWorker("w").key, json: #"{"result": \#(deep)}"#)
            #expect(deepResult.status == 400, "\(deepResult.status) \(deepResult.text.prefix(200))")
            let huge = try await api.send(.post, "/v1/tasks", key: requester.key,
                                          json: #"{"task_type": "social.like", "title": "Huge", "reward_micro_usdt": 99999999999999999999999}"#)
            #expect(api.expectError(huge, 400, "invalid_json")?.message.contains("reward_micro_usdt") == true)
            let fraction = try await api.send(.post, "/v1/tasks", key: requester.key,
                                              json: #"{"task_type": "social.like", "title": "Half", "reward_micro_usdt": 1.5, "verification": {"spot_check_rate": 0.5}}"#)
            let fractionError = api.expectError(fraction, 400, "invalid_json")
            #expect(fractionError?.message.contains("reward_micro_usdt") == true, "\(String(describing: fractionError))")
            #expect(fractionError?.message.contains("not valid JSON") == false, "\(String(describing: fractionError))")
            let tooRich = try await api.send(.post, "/v1/tasks", key: requester.key,
                                             json: #"{"task_type": "social.like", "title": "Rich", "reward_micro_usdt": 9223372036854775807}"#)
            api.expectError(tooRich, 400, "invalid_request")
            let negative = try await api.send(.post, "/v1/tasks", key: requester.key,
                                              json: #"{"task_type": "social.like", "title": "Neg", "reward_micro_usdt": -5}"#)
            api.expectError(negative, 400, "invalid_request")
            api.expectError(try await api.send(.get, "/v1/tasks?before=abc", key: requester.key), 400, "invalid_request")
            api.expectError(try await api.send(.get, "/v1/tasks/99999999999999999999", key: requester.key), 400, "invalid_request")
            #expect(try await api.send(.get, "/v1/tasks?limit=100000", key: requester.key).status == 200)
            #expect(try await api.send(.get, "/v1/tasks", key: requester.key)["tasks"]?.asArray?.isEmpty == true)
        }
    }

    @Test("GET /v1/wallet with a bad limit is a documented 400")
    func walletLimit() async throws {
        try await withAPI { api in
            let owner = try await api.signUp("owner")
            api.expectError(try await api.send(.get, "/v1/wallet?limit=abc", key: owner.key), 400, "invalid_request")
            api.expectError(try await api.send(.get, "/v1/wallet?limit=0", key: owner.key), 400, "invalid_request")
            #expect(try await api.send(.get, "/v1/wallet?limit=1", key: owner.key).status == 200)
        }
    }

    @Test("unknown routes are 404, wrong methods 405, bad path ids 400")
    func routing() async throws {
        try await withAPI { api in
            let owner = try await api.signUp("owner")
            let unknown = try await api.send(.get, "/v1/nothing-here", key: owner.key, documented: false)
            api.expectError(unknown, 404, "not_found")
            let unknownAnonymous = try await api.send(.get, "/nope", documented: false)
            api.expectError(unknownAnonymous, 404, "not_found")
            let unknownTask = try await api.send(.get, "/v1/tasks/999999", key: owner.key)
            api.expectError(unknownTask, 404, "not_found")

            for (method, path) in [(HTTPRequest.Method.delete, "/v1/tasks/1"), (.put, "/v1/tasks"), (.get, "/v1/claims"),
                                   (.get, "/v1/owners"), (.post, "/v1/wallet"), (.patch, "/v1/workers/1")] {
                let wrong = try await api.send(method, path, key: owner.key, documented: false)
                api.expectError(wrong, 405, "method_not_allowed")
            }
            // 405 says what is allowed; a literal route wins over a parameter, as in the router.
            #expect(try await api.send(.delete, "/v1/tasks/1", key: owner.key, documented: false).headers[.allow] == "GET")
            #expect(try await api.send(.put, "/v1/workers", key: owner.key, documented: false).headers[.allow] == "GET, POST")
            let heartbeat = try await api.send(.get, "/v1/workers/heartbeat", key: owner.key, documented: false)
            api.expectError(heartbeat, 405, "method_not_allowed")
            #expect(heartbeat.headers[.allow] == "POST")
            #expect(try await api.send(.post, "/v1/events", key: owner.key, documented: false).headers[.allow] == "GET")
            // Without a key, a wrong method is still a 405 (not a 401 or a 404).
            api.expectError(try await api.send(.delete, "/v1/tasks", documented: false), 405, "method_not_allowed")

            for path in ["/v1/tasks/abc", "/v1/tasks/1.5/cancel", "/v1/workers/-x", "/v1/submissions/ten/votes"] {
                let method: HTTPRequest.Method = path.hasSuffix("cancel") ? .post : .get
                let bad = try await api.send(method, path, key: owner.key)
                let error = api.expectError(bad, 400, "invalid_request")
                #expect(error?.message.contains("not a valid id") == true, "\(path): \(String(describing: error))")
            }
            let badDigest = try await api.send(.get, "/v1/blobs/xyz", key: owner.key)
            api.expectError(badDigest, 400, "invalid_request")
            let unknownBlob = try await api.send(.get, "/v1/blobs/\(String(repeating: "ab", count: 32))", key: owner.key)
            api.expectError(unknownBlob, 404, "not_found")
        }
    }

    @Test("bodies over the limit are 413 payload_too_large: 1 MiB of JSON, the task limit, 10 MiB of blob")
    func tooLarge() async throws {
        try await withAPI { api in
            let owner = try await api.requester()
            let worker = try await api.soloWorker("worker")
            let big = String(repeating: "x", count: (1 << 20) + 10)
            let json = #"{"name": "\#(big)"}"#
            api.expectError(try await api.send(.post, "/v1/owners", json: json), 413, "payload_too_large")
            api.expectError(try await api.send(.post, "/v1/workers", key: owner.key, json: json), 413, "payload_too_large")
            api.expectError(try await api.send(.post, "/v1/wallet/deposits", key: owner.key, json: json), 413, "payload_too_large")
            api.expectError(try await api.send(.post, "/v1/claims", key: worker.key, json: json), 413, "payload_too_large")

            // Tasks take at most 256 KiB of payload, in a body of at most 320 KiB.
            let task = #"{"task_type": "social.like", "title": "Like", "reward_micro_usdt": 1000, "payload": {"blob": "\#(big)"}}"#
            api.expectError(try await api.send(.post, "/v1/tasks", key: owner.key, json: task), 413, "payload_too_large")
            let payload300k = String(repeating: "y", count: 300 * 1024)
            let largePayload = #"{"task_type": "social.like", "title": "Like", "reward_micro_usdt": 1000, "payload": {"blob": "\#(payload300k)"}}"#
            let payloadError = api.expectError(try await api.send(.post, "/v1/tasks", key: owner.key, json: largePayload), 400, "invalid_request")
            #expect(payloadError?.message.contains("payload") == true, "\(String(describing: payloadError))")

            // Blobs: 10 MiB is the limit.
            let blob = ByteBuffer(repeating: 0x41, count: 10 * 1024 * 1024 + 1)
            let tooBig = try await api.send(.post, "/v1/blobs", key: worker.key, body: blob, headers: [.contentType: "text/plain"])
            api.expectError(tooBig, 413, "payload_too_large")
            let fits = ByteBuffer(repeating: 0x41, count: 1024)
            #expect(try await api.send(.post, "/v1/blobs", key: worker.key, body: fits, headers: [.contentType: "text/plain; charset=utf-8"]).status == 201)

            // Nothing was written on the way.
            #expect(try await api.send(.get, "/v1/tasks", key: owner.key)["tasks"]?.asArray?.isEmpty == true)
        }
    }

    @Test("a blob of an unsupported media type is 415; an empty blob 400")
    func blobMediaType() async throws {
        try await withAPI { api in
            let worker = try await api.soloWorker("worker")
            let bytes = ByteBuffer(string: "<html></html>")
            let html = try await api.send(.post, "/v1/blobs", key: worker.key, body: bytes, headers: [.contentType: "text/html"])
            let error = api.expectError(html, 415, "unsupported_media_type")
            #expect(error?.message.contains("text/html") == true)
            let none = try await api.send(.post, "/v1/blobs", key: worker.key, body: bytes)
            api.expectError(none, 415, "unsupported_media_type")
            let empty = try await api.send(.post, "/v1/blobs", key: worker.key, body: ByteBuffer(), headers: [.contentType: "image/png"])
            api.expectError(empty, 400, "invalid_request")
        }
    }

    @Test("insufficient funds is 402 and writes nothing")
    func insufficientFunds() async throws {
        try await withAPI { api in
            let requester = try await api.requester(funds: 1_000_000)
            let before = try await api.wallet(requester.key)
            // A 1 USDT reward holds more than 1 USDT of escrow (fee and verifier rewards).
            let r = try await api.send(.post, "/v1/tasks", key: requester.key,
                                       json: #"{"task_type": "social.like", "title": "Like", "reward_micro_usdt": 1000000}"#,
                                       headers: [.init("Idempotency-Key")!: "poor-1"])
            let error = api.expectError(r, 402, "insufficient_funds")
            #expect(error?.message.contains("1000000") == true, "\(String(describing: error))")
            let after = try await api.wallet(requester.key)
            #expect(after == before, "the wallet changed: \(before) → \(after)")
            #expect(api.balance(after, kind: "funds") == 1_000_000)
            #expect(api.balance(after, kind: "funds", field: "held_micro_usdt") == 0)
            #expect(try await api.send(.get, "/v1/tasks", key: requester.key)["tasks"]?.asArray?.isEmpty == true)
            let ledger = try await api.send(.get, "/v1/admin/ledger", key: try await api.admin().key)
            #expect(ledger["escrow_held_micro_usdt"]?.asInt == 0)
            #expect(ledger["balanced"]?.asBool == true)

            // The refused key was not spent: after a deposit the same key posts the task.
            try await api.deposit(requester, 10_000_000)
            let retry = try await api.send(.post, "/v1/tasks", key: requester.key,
                                           json: #"{"task_type": "social.like", "title": "Like", "reward_micro_usdt": 1000000}"#,
                                           headers: [.init("Idempotency-Key")!: "poor-1"])
            #expect(retry.status == 201)
        }
    }

    @Test("Idempotency-Key: a replay (even reformatted) is the same task; a different body is 409")
    func idempotency() async throws {
        try await withAPI { api in
            let requester = try await api.requester(funds: 50_000_000)
            let key = HTTPField.Name("Idempotency-Key")!
            let body = #"{"task_type": "social.like", "title": "Like", "reward_micro_usdt": 1000000, "payload": {"url": "https://x.com/1", "n": 1}}"#
            let first = try await api.send(.post, "/v1/tasks", key: requester.key, json: body, headers: [key: "order-1"])
            #expect(first.status == 201)
            let id = try #require(first["id"]?.asInt)
            let held = api.balance(try await api.wallet(requester.key), kind: "funds", field: "held_micro_usdt")

            let replay = try await api.send(.post, "/v1/tasks", key: requester.key, json: body, headers: [key: "order-1"])
            #expect(replay.status == 201)
            #expect(replay["id"]?.asInt == id)

            // Same request, other bytes: whitespace and key order do not matter.
            let reformatted = """
                {
                  "reward_micro_usdt" : 1000000,
                  "payload" : { "n" : 1, "url" : "https://x.com/1" },
                  "title" : "Like",
                  "task_type" : "social.like"
                }
                """
            let again = try await api.send(.post, "/v1/tasks", key: requester.key, json: reformatted, headers: [key: "order-1"])
            #expect(again.status == 201)
            #expect(again["id"]?.asInt == id)

            // No second escrow and no second task.
            #expect(api.balance(try await api.wallet(requester.key), kind: "funds", field: "held_micro_usdt") == held)
            #expect(try await api.send(.get, "/v1/tasks", key: requester.key)["tasks"]?.asArray?.count == 1)

            // The same key with a different request.
            let different = #"{"task_type": "social.like", "title": "Like", "reward_micro_usdt": 2000000}"#
            let reused = try await api.send(.post, "/v1/tasks", key: requester.key, json: different, headers: [key: "order-1"])
            #expect(api.expectError(reused, 409, "idempotency_key_reused")?.message.contains("order-1") == true)
            #expect(try await api.send(.get, "/v1/tasks", key: requester.key)["tasks"]?.asArray?.count == 1)

            // Keys are per owner: another requester's "order-1" is its own task.
            let other = try await api.requester("other")
            let theirs = try await api.send(.post, "/v1/tasks", key: other.key, json: body, headers: [key: "order-1"])
            #expect(theirs.status == 201)
            #expect(theirs["id"]?.asInt != id)

            // A key over 200 bytes is refused.
            let long = try await api.send(.post, "/v1/tasks", key: requester.key, json: body, headers: [key: String(repeating: "k", count: 201)])
            api.expectError(long, 400, "invalid_request")
        }
    }
}
