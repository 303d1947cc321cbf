import Foundation
import Testing
import WorkhiveTestSupport
import WorkhiveCore
@testable import WorkhiveEngine

@Suite struct ConcurrencyTests {
    struct Claimed: Sendable, Hashable {
        let task: TaskID
        let claim: ClaimID
        let worker: WorkerID
    }

    @Test(arguments: TestEngine.available) func racingWorkersNeverDoubleClaim(engine: TestEngine) async throws {
        let h = try await EngineHarness.make(engine)
        let taskCount = 200, workerCount = 40
        let spec = try h.spec(reward: 10_000, verifiers: 0, quorum: 0)
        let hold = FeePolicy().escrowHold(for: spec)
        let requester = try await h.requester(funds: hold * Int64(taskCount))
        var posted = Set<TaskID>()
        for _ in 0..<taskCount { posted.insert(try await h.post(requester, spec).id) }
        #expect(posted.count == taskCount)
        #expect(try await h.available(requester) == 0)
        var workers: [Principal] = []
        for i in 0..<workerCount { workers.append(try await h.worker("w\(i)")) }

        let market = h.market
        let claims = try await withThrowingTaskGroup(of: [(Claimed, ClaimView)].self) { group in
            for worker in workers {
                group.addTask {
                    var mine: [(Claimed, ClaimView)] = []
                    // The audit runs after every claim too, beside the other workers' writes: every
                    // committed snapshot balances.
                    while let claim = try await h.checked(sourceLocation: #_sourceLocation, { try await market.claim(worker, taskType: "social.like") }) {
                        mine.append((Claimed(task: claim.task.id, claim: claim.claimId, worker: claim.workerId), claim))
                    }
                    return mine
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
        try await h.assertLedger()
        #expect(claims.count == taskCount)
        #expect(Set(claims.map(\.0.task)) == posted)                // every task claimed exactly once
        #expect(Set(claims.map(\.0.claim)).count == taskCount)      // no claim id handed out twice
        #expect(claims.allSatisfy { $0.1.attempt == 1 })
        #expect(Set(claims.map(\.0.worker)).count > 1)              // the work really was shared
        #expect(try await h.scalar("SELECT COUNT(*) FROM tasks WHERE state = 'claimed'") == Int64(taskCount))
        #expect(try await h.scalar("SELECT COUNT(DISTINCT worker_id) FROM tasks") == Int64(Set(claims.map(\.0.worker)).count))

        // Every holder submits at once; each task is approved and paid exactly once.
        let byWorker = Dictionary(grouping: claims, by: { $0.0.worker })
        let principals = Dictionary(uniqueKeysWithValues: workers.map { ($0.workerID!, $0) })
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (worker, held) in byWorker {
                let principal = principals[worker]!
                group.addTask {
                    for (_, claim) in held {
                        let submission = try await h.checked { try await market.submit(principal, claim: claim.claimId, result: liked, proofs: []) }
                        guard submission.state == "approved" else { throw WorkhiveError.invalid("not approved: \(submission.state)") }
                    }
                }
            }
            try await group.waitForAll()
        }
        try await h.assertLedger()
        #expect(try await h.scalar("SELECT COUNT(*) FROM tasks WHERE state = 'approved'") == Int64(taskCount))
        var earned: Int64 = 0
        for (worker, held) in byWorker {
            let balance = try await h.balance(principals[worker]!)
            #expect(balance == 10_000 * Int64(held.count))
            earned += balance
        }
        #expect(earned == 10_000 * Int64(taskCount))
        #expect(try await h.platformFees() == 500 * Int64(taskCount))
        #expect(try await h.balance(requester) == 0)
        #expect(try await h.market.ledgerTotals().escrowHeldMicroUSDT == 0)
    }

    @Test(arguments: TestEngine.available) func concurrentPostsNeverOverdrawTheRequester(engine: TestEngine) async throws {
        let h = try await EngineHarness.make(engine)
        let spec = try h.spec()
        let hold = FeePolicy().escrowHold(for: spec)
        let requester = try await h.requester(funds: hold * 150)
        let market = h.market
        let outcomes = try await withThrowingTaskGroup(of: ErrorCode?.self) { group in
            for _ in 0..<200 {
                group.addTask {
                    do {
                        _ = try await market.postTask(requester, spec)
                        return nil
                    } catch let error as WorkhiveError {
                        return error.code
                    }
                }
            }
            return try await group.reduce(into: [ErrorCode?]()) { $0.append($1) }
        }
        try await h.assertLedger()
        #expect(outcomes.filter { $0 == nil }.count == 150)
        #expect(outcomes.filter { $0 == .insufficientFunds }.count == 50)
        #expect(try await h.available(requester) == 0)
        #expect(try await h.scalar("SELECT COUNT(*) FROM tasks") == 150)
        #expect(try await h.scalar("SELECT COUNT(*) FROM accounts WHERE kind = 'escrow'") == 150)
    }

    @Test(arguments: TestEngine.available) func racingVerifiersFillEachSlotOnceAndSettleOnce(engine: TestEngine) async throws {
        let h = try await EngineHarness.make(engine)
        let requester = try await h.requester(funds: 10_000_000)
        let worker = try await h.worker("w")
        let (task, _, _) = try await h.submitted(requester, worker, try h.spec(verifiers: 5, quorum: 3))
        var verifiers: [Principal] = []
        for i in 0..<12 { verifiers.append(try await h.worker("v\(i)")) }
        let market = h.market
        let slots = try await withThrowingTaskGroup(of: (Principal, ClaimView)?.self) { group in
            for v in verifiers {
                group.addTask { try await market.claim(v, taskType: TaskType.verify).map { (v, $0) } }
            }
            return try await group.reduce(into: [(Principal, ClaimView)]()) { if let s = $1 { $0.append(s) } }
        }
        try await h.assertLedger()
        #expect(slots.count == 5)
        #expect(Set(slots.map(\.1.task.id)).count == 5)
        #expect(Set(slots.map(\.1.workerId)).count == 5)
        // All five approve at the same moment: one settlement, everyone who agreed is paid once.
        let votes = try await withThrowingTaskGroup(of: VoteView.self) { group in
            for (v, slot) in slots {
                group.addTask { try await market.vote(v, claim: slot.claimId, verdict: .approve, reason: "") }
            }
            return try await group.reduce(into: [VoteView]()) { $0.append($1) }
        }
        try await h.assertLedger()
        #expect(votes.count == 5)
        #expect(try await h.state(task.id) == .approved)
        #expect(try await h.balance(worker) == 1_000_000)
        for (v, _) in slots { #expect(try await h.balance(v) == 50_000) }
        #expect(try await h.scalar("SELECT COUNT(*) FROM transfers WHERE reason = 'reward'") == 1)
        #expect(try await !h.escrowOpen(task.id))
        #expect(try await h.available(requester) == 10_000_000 - 1_000_000 - 50_000 - 5 * 50_000)
    }
}
