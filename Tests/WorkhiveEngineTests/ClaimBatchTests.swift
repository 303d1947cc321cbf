import Foundation
import Testing
import WorkhiveTestSupport
import WorkhiveCore
@testable import WorkhiveEngine

@Suite struct ClaimBatchTests {
    @Test(arguments: TestEngine.available) func aBatchLeasesTheBestTasksInTurnByTheRulesOfASingleClaim(engine: TestEngine) async throws {
        let h = try await EngineHarness.make(engine)
        let requester = try await h.requester()
        let team = try await h.owner("team")
        let first = try await h.worker("first", owner: team), second = try await h.worker("second", owner: team)
        let stopped = try await h.worker("stopped", owner: team)
        let skilled = try await h.worker("skilled", capabilities: ["lang:fr"])
        let low = try await h.post(requester, try h.spec(type: "quick.job", verifiers: 0, quorum: 0, priority: 1))
        let high = try await h.post(requester, try h.spec(type: "quick.job", verifiers: 0, quorum: 0, priority: 5))
        let french = try await h.post(requester, try h.spec(type: "quick.job", caps: ["lang:fr"], verifiers: 0, quorum: 0, priority: 9))
        var goldSpec = try h.spec(type: "quick.job", verifiers: 0, quorum: 0, priority: 9)
        goldSpec.goldResultJSON = StoredJSON.encode(.object(["ok": .bool(true)]))
        let gold = try await h.post(requester, goldSpec)
        let left = try await h.post(requester, try h.spec(type: "quick.job", verifiers: 0, quorum: 0))
        _ = try await h.market.setSuspended(try await h.admin(), worker: try stopped.requireWorker(for: "claim").0, suspended: true)

        func pending(_ p: Principal, caps: String = "") throws -> PendingClaim {
            let (worker, owner, kind) = try p.requireWorker(for: "claim")
            return PendingClaim(worker: worker, key: .init(taskType: "quick.job", capabilities: caps, human: kind == .human, owner: owner))
        }
        let skilledOwner = try skilled.requireWorker(for: "claim").1
        let items = [try pending(first), try pending(stopped), try pending(second), try pending(first),
                     PendingClaim(worker: try skilled.requireWorker(for: "claim").0,
                                  key: .init(taskType: "quick.job", capabilities: "lang:fr", human: false, owner: skilledOwner))]
        let outputs = try await h.market.writeClaims(items).map { try $0.get() }
        try await h.assertLedger()

        func task(_ output: BatchedClaim) -> TaskID? { if case .claimed(let row) = output { row.id(0) } else { nil } }
        // In the order they came, each claimer of a key gets the best task left that it may take;
        // the French task goes to the one claimer with the capability, gold is never handed out.
        #expect(task(outputs[0]) == high.id)
        #expect(task(outputs[2]) == low.id)
        #expect(task(outputs[4]) == french.id)
        guard case .nothing = outputs[1] else { Issue.record("a suspended worker was given work"); return }
        guard case .alone = outputs[3] else { Issue.record("a second claim of one worker was not sent alone"); return }
        // Leased as a single claim leases: claim id from task and attempt, the lease, one attempt.
        if case .claimed(let row) = outputs[0] {
            #expect(row.int(3) == high.id.rawValue * 128 + 1)
            #expect(row.int(1) == h.clock.nowMillis() + 60_000 && row.int(2) == 1)
        }
        #expect(try await h.state(high.id) == .claimed)
        #expect(try await h.state(gold.id) == .open)
        #expect(try await h.state(left.id) == .open)
        let secondID = try second.requireWorker(for: "claim").0
        #expect(try await h.scalar("SELECT worker_id FROM tasks WHERE id = ?", low.id) == secondID.rawValue)

        // The public claim gives the same: the one ordinary task left, then nothing.
        let next = try #require(try await h.claim(second, "quick.job"))
        #expect(next.task.id == left.id || next.task.id == gold.id)
    }
}
