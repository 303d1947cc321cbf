import Foundation
import HTTPTypes
import Testing
import WorkhiveCore
import WorkhiveEngine
@testable import WorkhiveServer

/// Fleets over HTTP: sub-agents, the issue's delegation JSON, aggregation, verification of the
/// parent, earnings shared, and the refusals, every answer checked against openapi.yaml.
@Suite("API: fleets and delegation")
struct APIFleetTests {
    @Test("a master spawns sub-agents, fans a claim out, submits the aggregate, is paid and shares")
    func fleetLifecycle() async throws {
        try await withAPI { api in
            let requester = try await api.requester()
            let master = try await api.soloWorker("master")
            var subs: [WorkerAccount] = []
            for i in 0..<2 {
                let r = try await api.send(.post, "/v1/fleet/sub-agents", key: master.key,
                                           json: #"{"name": "sub-\#(i)", "capabilities": ["vision"], "wallet_address": "TQ-sub-\#(i)"}"#)
                try #require(r.status == 201)
                #expect(r["subject"]?["master_worker_id"]?.asInt == master.id && r["subject"]?["owner_id"]?.asInt == master.owner.id)
                subs.append(WorkerAccount(key: r["api_key"]!.stringValue!, id: r["subject"]!["id"]!.asInt!, owner: master.owner))
            }
            // A sub-agent and an owner cannot manage the fleet.
            api.expectError(try await api.send(.post, "/v1/fleet/sub-agents", key: subs[0].key, json: #"{"name": "x"}"#), 403, "forbidden")
            api.expectError(try await api.send(.get, "/v1/fleet", key: master.owner.key), 403, "forbidden")
            api.expectError(try await api.send(.post, "/v1/fleet/sub-agents", key: master.key, json: #"{"name": ""}"#), 400, "invalid_request")

            let task = try await api.postTask(requester, taskType: "moderation.image", reward: 1_000_000)
            let claim = try await api.claim(master, "moderation.image")
            let claimID = try #require(claim["claim_id"]?.asInt)
            // The issue's JSON, one part for the pool and one for a named sub-agent.
            let body = """
                {"delegation_strategy": "fan_out", "aggregation_method": "merge_json", "sub_tasks": [
                  {"payload": {"images": [1, 2]}, "reward_micro_usdt": 100000, "task_type": "moderation.part"},
                  {"payload": {"images": [3]}, "reward_micro_usdt": 100000, "task_type": "moderation.part", "assignee": \(subs[1].id)}]}
                """
            for (bad, code, status) in [
                (#"{"aggregation_method": "average", "sub_tasks": []}"#, "invalid_json", 400),
                (#"{"sub_tasks": []}"#, "invalid_request", 400),
                (#"{"sub_tasks": [{"reward_micro_usdt": 1, "assignee": 999}]}"#, "invalid_request", 400),
                (#"{"sub_tasks": [{"reward_micro_usdt": 1, "payload": [1]}]}"#, "invalid_request", 400),
                (#"{"sub_tasks": [{"reward_micro_usdt": 5000000}]}"#, "insufficient_funds", 402),
            ] {
                api.expectError(try await api.send(.post, "/v1/claims/\(claimID)/delegation", key: master.key, json: bad), status, code)
            }
            api.expectError(try await api.send(.post, "/v1/claims/\(claimID)/delegation", key: subs[0].key, json: body), 403, "forbidden")
            let created = try await api.send(.post, "/v1/claims/\(claimID)/delegation", key: master.key, json: body)
            try #require(created.status == 201, "\(created.text)")
            let delegationID = try #require(created["id"]?.asInt)
            #expect(created["state"]?.stringValue == "running")
            // The same body again is the same delegation.
            #expect(try await api.send(.post, "/v1/claims/\(claimID)/delegation", key: master.key, json: body)["id"]?.asInt == delegationID)

            // An outsider sees nothing of it.
            let outsider = try await api.soloWorker("outsider")
            #expect(try await api.claim(outsider, "moderation.part").status == 204)
            let childID = try #require(created["sub_tasks"]?.asArray?.first?["task_id"]?.asInt)
            api.expectError(try await api.send(.get, "/v1/tasks/\(childID)", key: outsider.key), 404, "not_found")
            api.expectError(try await api.send(.get, "/v1/delegations/\(delegationID)", key: outsider.key), 404, "not_found")

            for (sub, labels) in [(subs[0], #"{"1": "safe", "2": "nudity"}"#), (subs[1], #"{"3": "safe"}"#)] {
                let c = try await api.claim(sub, "moderation.part")
                try #require(c.status == 201)
                let r = try await api.send(.post, "/v1/claims/\(c["claim_id"]!.asInt!)/submit", key: sub.key, json: #"{"result": {"labels": \#(labels)}}"#)
                #expect(r.status == 201 && r["state"]?.stringValue == "pending")  // paid with the parent
            }
            let done = try await api.send(.get, "/v1/claims/\(claimID)/delegation", key: master.key)
            #expect(done["state"]?.stringValue == "complete")
            let aggregate = try #require(done["aggregate"])
            #expect(aggregate["labels"]?.asObject?.count == 3)
            api.expectError(try await api.send(.post, "/v1/delegations/\(delegationID)/sub-tasks/0/retry", key: master.key), 409, "conflict")
            api.expectError(try await api.send(.post, "/v1/delegations/\(delegationID)/sub-tasks/x/retry", key: master.key), 400, "invalid_request")

            let submitted = try await api.send(.post, "/v1/claims/\(claimID)/submit", key: master.key, json: jsonText(.object(["result": aggregate])))
            #expect(submitted.status == 201)
            for i in 0..<2 {
                let v = try await api.soloWorker("verifier-\(i)")
                let slot = try await api.claim(v, "verify")
                let vote = try await api.send(.post, "/v1/claims/\(slot["claim_id"]!.asInt!)/vote", key: v.key, json: #"{"verdict": "approve"}"#)
                #expect(vote.status == 201)
            }
            #expect(try await api.send(.get, "/v1/tasks/\(task["id"]!.asInt!)", key: requester.key)["state"]?.stringValue == "approved")
            #expect(api.balance(try await api.wallet(master.key), kind: "earnings", field: "balance_micro_usdt") == 800_000)
            #expect(api.balance(try await api.wallet(subs[1].key), kind: "earnings", field: "balance_micro_usdt") == 100_000)

            let share = try await api.send(.post, "/v1/fleet/distributions", key: master.key,
                                           json: #"{"split": "per_sub_task", "amount_micro_usdt": 300000, "delegation_id": \#(delegationID)}"#,
                                           headers: [.idempotencyKey: "share-1"])
            #expect(share.status == 201 && share["distributed_micro_usdt"]?.asInt == 300_000)
            api.expectError(try await api.send(.post, "/v1/fleet/distributions", key: master.key, json: #"{"split": "equal"}"#), 400, "invalid_request")
            api.expectError(try await api.send(.post, "/v1/fleet/distributions", key: master.key, json: #"{"split": "equal", "amount_micro_usdt": 99000000}"#),
                            402, "insufficient_funds")

            let fleet = try await api.send(.get, "/v1/fleet", key: master.key)
            #expect(fleet["sub_agents"]?.asArray?.count == 2 && fleet["earnings_micro_usdt"]?.asInt == 500_000)

            // Pause, resume, remove.
            let paused = try await api.send(.post, "/v1/fleet/sub-agents/\(subs[0].id)/pause", key: master.key)
            #expect(paused["paused"]?.asBool == true)
            api.expectError(try await api.claim(subs[0], "moderation.part"), 403, "worker_suspended")
            #expect(try await api.send(.post, "/v1/fleet/sub-agents/\(subs[0].id)/resume", key: master.key)["paused"]?.asBool == false)
            #expect(try await api.send(.delete, "/v1/fleet/sub-agents/\(subs[0].id)", key: master.key).status == 200)
            api.expectError(try await api.claim(subs[0], "moderation.part"), 401, "unauthenticated")
            api.expectError(try await api.send(.delete, "/v1/fleet/sub-agents/\(subs[0].id)", key: master.key), 409, "conflict")
            api.expectError(try await api.send(.delete, "/v1/fleet/sub-agents/\(outsider.id)", key: master.key), 404, "not_found")
            let audit = try await LedgerAudit.run(api.m.database)
            #expect(audit.problems == [])
        }
    }
}
