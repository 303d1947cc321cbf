import Foundation
import HTTPTypes
import Testing
import WorkhiveCore
import WorkhiveEngine
@testable import WorkhiveServer

/// Adaptive verification, reputation, gold tasks and model families over the REST API, every answer
/// checked against openapi.yaml.
@Suite("API: trust")
struct APITrustTests {
    @Test("an adaptive task through the API: escrow of the max, slots one at a time, refund, reputations")
    func adaptiveLifecycle() async throws {
        try await withAPI { api in
            let requester = try await api.requester(funds: 10_000_000)
            let worker = try await api.soloWorker("worker")
            let task = try await api.postTask(requester, extra: [
                "max_attempts": .int(1),
                "verification": .object(["mode": .string("adaptive"), "verifier_reward_micro_usdt": .int(50_000)]),
            ])
            #expect(task["verification"]?["mode"]?.stringValue == "adaptive")
            #expect(task["verification"]?["max_votes"]?.asInt == 5 && task["verification"]?["min_votes"]?.asInt == 1)
            #expect(task["verification"]?["target_confidence"]?.number == 0.95)
            // Held: 1,000,000 + 50,000 fee + 1 attempt × 5 × 50,000 + one appeal panel of 3 × 50,000.
            #expect(api.balance(try await api.wallet(requester.key), kind: "funds") == 10_000_000 - 1_450_000)
            let claim = try await api.claim(worker, "social.like")
            let claimID = try #require(claim["claim_id"]?.asInt)
            let submitted = try await api.send(.post, "/v1/claims/\(claimID)/submit", key: worker.key, json: #"{"result": {"liked": true}}"#)
            #expect(submitted.status == 201)
            var verifiers: [WorkerAccount] = []
            for i in 0..<3 {
                let v = try await api.soloWorker("v\(i)")
                verifiers.append(v)
                let slot = try await api.claim(v, "verify")
                let slotClaim = try #require(slot["claim_id"]?.asInt, "slot \(i): \(slot.text)")
                #expect(try await api.claim(try await api.soloWorker("idle\(i)"), "verify").status == 204)  // one slot at a time
                let vote = try await api.send(.post, "/v1/claims/\(slotClaim)/vote", key: v.key, json: #"{"verdict": "approve"}"#)
                #expect(vote.status == 201)
            }
            let after = try await api.send(.get, "/v1/tasks/\(task["id"]!.asInt!)", key: requester.key)
            #expect(after["state"]?.stringValue == "approved")
            // Spent: reward, fee and three verifier rewards; the rest came back.
            #expect(api.balance(try await api.wallet(requester.key), kind: "funds") == 10_000_000 - 1_000_000 - 50_000 - 150_000)
            let rep = try await api.send(.get, "/v1/workers/\(verifiers[0].id)/reputation", key: verifiers[0].key)
            #expect(rep.status == 200)
            let first = try #require(rep["reputations"]?.asArray?.first)
            #expect(first["role"]?.stringValue == "verifier" && first["task_type"]?.stringValue == "social.like")
            #expect(first["observations"]?.asInt == 1 && first["quarantined"] == .bool(false))
            #expect(rep["prior_accuracy"]?.number == 0.75)
            // Another owner's worker is not found.
            api.expectError(try await api.send(.get, "/v1/workers/\(verifiers[0].id)/reputation", key: verifiers[1].key), 404, "not_found")
        }
    }

    @Test("bad verification policies, families and gold results are 400 and write nothing")
    func badTrustInput() async throws {
        try await withAPI { api in
            let requester = try await api.requester()
            let cases: [(String, String)] = [
                (#"{"mode": "adaptive", "verifiers": 3}"#, "min_votes"),
                (#"{"mode": "adaptive", "target_confidence": 0.4}"#, "target_confidence"),
                (#"{"mode": "adaptive", "min_votes": 4, "max_votes": 3}"#, "min_votes"),
                (#"{"mode": "adaptive", "max_votes": 16}"#, "max_votes"),
                (#"{"target_confidence": 0.9}"#, "adaptive"),
                (#"{"spot_check_rate": 0.5, "spot_check_max_rate": 0.2}"#, "spot_check_max_rate"),
            ]
            let before = try await api.m.stats()
            for (verification, named) in cases {
                let r = try await api.send(.post, "/v1/tasks", key: requester.key, json: """
                    {"task_type": "social.like", "title": "t", "reward_micro_usdt": 1000, "verification": \(verification)}
                    """)
                #expect(api.expectError(r, 400, "invalid_request")?.message.contains(named) == true, "\(verification): \(r.text)")
            }
            let badMode = try await api.send(.post, "/v1/tasks", key: requester.key, json: """
                {"task_type": "social.like", "title": "t", "reward_micro_usdt": 1000, "verification": {"mode": "bayesian"}}
                """)
            #expect(api.expectError(badMode, 400, "invalid_json")?.message.contains("mode") == true)
            let human = try await api.send(.post, "/v1/workers", key: requester.key, json: #"{"name": "h", "kind": "human", "model_family": "gpt"}"#)
            #expect(api.expectError(human, 400, "invalid_request")?.message.contains("model_family") == true)
            #expect(try await api.m.stats() == before)
            let agent = try await api.send(.post, "/v1/workers", key: requester.key, json: #"{"name": "a", "kind": "agent", "model_family": "Claude"}"#)
            #expect(agent.status == 201 && agent["subject"]?["model_family"]?.stringValue == "claude")
        }
    }

    @Test("a gold task reads like any other to the worker that claims it")
    func goldIsNeverShown() async throws {
        try await withAPI { api in
            let requester = try await api.requester()
            let worker = try await api.soloWorker("worker")
            _ = try await api.postTask(requester, extra: ["gold_result": .object(["liked": .bool(true)])])
            // Gold is taken at the gold rate (10%): ask until this claim draws it.
            var claim = try await api.claim(worker, "social.like")
            for _ in 0..<300 where claim.status == 204 { claim = try await api.claim(worker, "social.like") }
            #expect(claim.status == 201)
            #expect(!claim.text.lowercased().contains("gold"))
            let list = try await api.send(.get, "/v1/tasks", key: worker.key)
            #expect(!list.text.lowercased().contains("gold"))
        }
    }
}
