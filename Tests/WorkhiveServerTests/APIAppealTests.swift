import Foundation
import HTTPTypes
import Testing
import WorkhiveCore
import WorkhiveEngine
@testable import WorkhiveServer

/// Appeals and requester statistics over the REST API, every answer checked against openapi.yaml.
@Suite("API: appeals")
struct APIAppealTests {
    /// Claims a verification slot and votes; returns the vote's answer.
    @discardableResult
    func vote(_ api: API, _ verifier: WorkerAccount, _ verdict: String) async throws -> APIResponse {
        let slot = try await api.claim(verifier, "verify")
        let claim = try #require(slot["claim_id"]?.asInt, "\(verifier.id): \(slot.status) \(slot.text)")
        let r = try await api.send(.post, "/v1/claims/\(claim)/vote", key: verifier.key,
                                   json: #"{"verdict": "\#(verdict)", "reason": "checked the post"}"#)
        #expect(r.status == 201)
        return r
    }

    @Test("a rejected worker appeals once; a fresh panel with a human overturns; the requester's record shows it")
    func appealOverturnsOverHTTP() async throws {
        try await withAPI { api in
            let requester = try await api.requester(funds: 10_000_000)
            let worker = try await api.soloWorker("worker")
            let task = try await api.postTask(requester, extra: ["max_attempts": .int(1)])
            let taskID = try #require(task["id"]?.asInt)
            let claim = try #require(try await api.claim(worker, "social.like")["claim_id"]?.asInt)
            let submitted = try await api.send(.post, "/v1/claims/\(claim)/submit", key: worker.key, json: #"{"result": {"liked": true}}"#)
            let submission = try #require(submitted["id"]?.asInt)
            let first = [try await api.soloWorker("v1"), try await api.soloWorker("v2")]
            for v in first { try await vote(api, v, "reject") }
            #expect(try await api.send(.get, "/v1/tasks/\(taskID)", key: requester.key)["state"]?.stringValue == "rejected")

            let path = "/v1/submissions/\(submission)/appeal"
            let before = try await api.m.stats()
            api.expectError(try await api.send(.post, path, key: first[0].key, json: #"{"reason": "mine"}"#), 403, "forbidden")
            api.expectError(try await api.send(.post, path, key: requester.key, json: #"{"reason": "mine"}"#), 403, "forbidden")
            api.expectError(try await api.send(.post, path, key: worker.key, json: #"{"reason": ""}"#), 400, "invalid_request")
            api.expectError(try await api.send(.post, path, key: worker.key, json: #"{}"#), 400, "invalid_json")
            api.expectError(try await api.send(.post, path, key: worker.key, json: #"{"reason": "\#(String(repeating: "x", count: 2001))"}"#),
                            400, "invalid_request")
            api.expectError(try await api.send(.post, "/v1/submissions/999999/appeal", key: worker.key, json: #"{"reason": "x"}"#),
                            404, "not_found")
            api.expectError(try await api.send(.get, path, key: worker.key), 404, "not_found")  // none yet
            #expect(try await api.m.stats() == before, "refused appeals write nothing")

            let appeal = try await api.send(.post, path, key: worker.key, json: #"{"reason": "the post is liked; see the proof"}"#)
            #expect(appeal.status == 201)
            #expect(appeal["state"]?.stringValue == "pending" && appeal["verifiers"]?.asInt == 3 && appeal["quorum"]?.asInt == 2)
            #expect(appeal["requester_id"]?.asInt == requester.id && appeal["task_id"]?.asInt == taskID)
            api.expectError(try await api.send(.post, path, key: worker.key, json: #"{"reason": "again"}"#), 409, "appeal_exists")
            #expect(try await api.send(.get, path, key: requester.key)["state"]?.stringValue == "pending")
            api.expectError(try await api.send(.get, path, key: first[1].key), 404, "not_found")

            // The first panel's voters get no appeal slot; an agent and a human decide.
            for v in first { #expect(try await api.claim(v, "verify").status == 204) }
            try await vote(api, try await api.soloWorker("a1"), "approve")
            try await vote(api, try await api.soloWorker("h1", kind: "human"), "approve")
            #expect(try await api.send(.get, path, key: worker.key)["state"]?.stringValue == "pending", "the whole panel votes first")
            let deciding = try await vote(api, try await api.soloWorker("a2"), "reject")
            #expect(deciding["paid"] == .bool(false))
            let decided = try await api.send(.get, path, key: worker.key)
            #expect(decided["state"]?.stringValue == "overturned" && decided["approvals"]?.asInt == 2 && decided["rejections"]?.asInt == 1)
            #expect(decided["decided_at_millis"]?.asInt != nil)
            #expect(try await api.send(.get, "/v1/tasks/\(taskID)", key: requester.key)["state"]?.stringValue == "approved")
            #expect(api.balance(try await api.wallet(worker.key), kind: "earnings") == 1_000_000)

            // An approved submission is not appealable.
            let auto = try await api.postTask(requester, taskType: "auto.ok", extra: ["verification": .object(["verifiers": .int(0), "quorum": .int(0)])])
            let autoClaim = try #require(try await api.claim(worker, "auto.ok")["claim_id"]?.asInt)
            #expect(auto["id"] != nil)
            let approved = try await api.send(.post, "/v1/claims/\(autoClaim)/submit", key: worker.key, json: #"{"result": {}}"#)
            #expect(approved["state"]?.stringValue == "approved")
            api.expectError(try await api.send(.post, "/v1/submissions/\(approved["id"]!.asInt!)/appeal", key: worker.key,
                                               json: #"{"reason": "more"}"#), 409, "not_appealable")

            // Any signed-in worker sees how this requester treats work.
            let stats = try await api.send(.get, "/v1/requesters/\(requester.id)/stats", key: worker.key)
            #expect(stats.status == 200)
            #expect(stats["tasks_posted"]?.asInt == 2 && stats["submissions_approved"]?.asInt == 2 && stats["submissions_rejected"]?.asInt == 0)
            #expect(stats["appeals_filed"]?.asInt == 1 && stats["appeals_won"]?.asInt == 1 && stats["rejection_rate"]?.number == 0)
            api.expectError(try await api.send(.get, "/v1/requesters/999999/stats", key: worker.key), 404, "not_found")
        }
    }

    @Test("mass rejection shows in the requester's statistics")
    func massRejectionShows() async throws {
        try await withAPI { api in
            let requester = try await api.requester(funds: 20_000_000)
            let worker = try await api.soloWorker("worker")
            let verifiers = [try await api.soloWorker("v1"), try await api.soloWorker("v2")]
            for i in 0..<4 {
                try await api.postTask(requester, extra: ["max_attempts": .int(1)])
                let claim = try #require(try await api.claim(worker, "social.like")["claim_id"]?.asInt)
                try await api.send(.post, "/v1/claims/\(claim)/submit", key: worker.key, json: #"{"result": {"liked": true}}"#)
                for v in verifiers { try await vote(api, v, i == 0 ? "approve" : "reject") }
            }
            let stats = try await api.send(.get, "/v1/requesters/\(requester.id)/stats", key: requester.key)
            #expect(stats["tasks_posted"]?.asInt == 4)
            #expect(stats["submissions_approved"]?.asInt == 1 && stats["submissions_rejected"]?.asInt == 3)
            #expect(stats["rejection_rate"]?.number == 0.75)
            #expect(stats["appeals_filed"]?.asInt == 0)
        }
    }
}
