import Foundation
import Testing
import WorkhiveTestSupport
import WorkhiveCore
@testable import WorkhiveEngine

@Suite struct LedgerTests {
    /// The requester's wallet history adds up to exactly what it may spend, whatever happened to its tasks.
    @Test(arguments: TestEngine.available) func walletHistorySumsToTheAvailableBalance(engine: TestEngine) async throws {
        let h = try await EngineHarness.make(engine)
        let requester = try await h.requester(funds: 20_000_000)
        let worker = try await h.worker("w")
        let v = [try await h.worker("v1"), try await h.worker("v2"), try await h.worker("v3")]

        func check(_ label: String, sourceLocation: SourceLocation = #_sourceLocation) async throws {
            let wallet = try await h.market.wallet(requester, historyLimit: 500)
            let funds = try #require(wallet.accounts.first, sourceLocation: sourceLocation)
            #expect(funds.kind == .funds, sourceLocation: sourceLocation)
            #expect(wallet.history.reduce(0) { $0 + $1.amountMicroUSDT } == funds.availableMicroUSDT, "\(label)", sourceLocation: sourceLocation)
            #expect(funds.availableMicroUSDT == funds.balanceMicroUSDT - funds.heldMicroUSDT, sourceLocation: sourceLocation)
            for p in [worker] + v {
                let w = try await h.market.wallet(p, historyLimit: 500)
                let earnings = try #require(w.accounts.first, sourceLocation: sourceLocation)
                #expect(earnings.kind == .earnings, sourceLocation: sourceLocation)
                #expect(w.history.reduce(0) { $0 + $1.amountMicroUSDT } == earnings.availableMicroUSDT, sourceLocation: sourceLocation)
            }
        }
        try await check("after deposit")
        // Approved with a late vote.
        let (approved, _, _) = try await h.submitted(requester, worker, try h.spec(type: "t.approve"))
        try await check("posted and submitted")
        var slots: [ClaimView] = []
        for verifier in v { slots.append(try #require(try await h.claim(verifier, TaskType.verify))) }
        try await h.vote(v[0], slots[0], .approve)
        try await check("one vote")
        try await h.vote(v[1], slots[1], .approve)
        try await check("approved, slot still held")
        try await h.vote(v[2], slots[2], .reject, "late dissent")
        try await check("approved, closed")
        #expect(try await !h.escrowOpen(approved.id))
        // Rejected once (reopened), then cancelled.
        let (reopened, _, _) = try await h.submitted(requester, worker, try h.spec(type: "t.reject"))
        let r0 = try #require(try await h.claim(v[0], TaskType.verify))
        let r1 = try #require(try await h.claim(v[1], TaskType.verify))
        try await h.vote(v[0], r0, .reject, "no")
        try await h.vote(v[1], r1, .reject, "no")
        try await check("rejected and reopened")
        try await h.checked { try await h.market.cancelTask(requester, reopened.id) }
        try await check("cancelled after a rejection")
        // Failed by the rescuer.
        _ = try await h.post(requester, try h.spec(type: "t.fail", lease: 5, attempts: 1))
        _ = try #require(try await h.claim(worker, "t.fail"))
        h.clock.advance(seconds: 6)
        #expect(try await h.rescue().failed == 1)
        try await check("failed")
        // Still open.
        _ = try await h.post(requester, try h.spec(type: "t.open"))
        try await check("open")

        let wallet = try await h.market.wallet(requester, historyLimit: 500)
        let reasons = Set(wallet.history.map(\.reason))
        #expect(reasons.isSuperset(of: [.deposit, .escrowHold, .escrowRelease]))
        #expect(wallet.history.map(\.id) == wallet.history.map(\.id).sorted(by: >))  // newest first
        #expect(try await h.market.wallet(requester, historyLimit: 3).history.count == 3)
    }

    @Test(arguments: TestEngine.available) func anOwnerSeesItsWorkersEarningsBesideItsFunds(engine: TestEngine) async throws {
        let h = try await EngineHarness.make(engine)
        let requester = try await h.requester(funds: 10_000_000)
        let fleet = try await h.owner("fleet")
        let a = try await h.worker("a", owner: fleet), b = try await h.worker("b", owner: fleet)
        _ = try await h.submitted(requester, a, try h.spec(verifiers: 0, quorum: 0))
        let wallet = try await h.market.wallet(fleet)
        #expect(wallet.accounts.map(\.kind) == [.funds, .earnings, .earnings])
        #expect(wallet.accounts.map(\.workerId) == [nil, a.workerID, b.workerID])
        #expect(wallet.accounts.map(\.balanceMicroUSDT) == [0, 1_000_000, 0])
        #expect(try await h.market.wallet(b).accounts.map(\.balanceMicroUSDT) == [0])
        let history = try await h.market.wallet(a).history
        #expect(history.count == 1 && history[0].reason == .reward && history[0].amountMicroUSDT == 1_000_000)
    }

    @Test(arguments: TestEngine.available) func theAuditDetectsTamperedTotals(engine: TestEngine) async throws {
        let h = try await EngineHarness.make(engine)
        let requester = try await h.requester(funds: 10_000_000)
        let worker = try await h.worker("w")
        let (task, _, _) = try await h.submitted(requester, worker, try h.spec(verifiers: 0, quorum: 0))
        #expect(try await LedgerAudit.run(h.market.database).ok)
        let funds = try await h.scalar("SELECT funds_account_id FROM owners WHERE id = ?", requester.ownerID)

        // An account total that no transfer explains.
        try await h.market.database.write { tx in
            try await tx.execute("UPDATE accounts SET credits_posted = credits_posted + 1 WHERE id = ?", funds)
        }
        let audit = try await LedgerAudit.run(h.market.database)
        #expect(!audit.ok)
        #expect(audit.problems.contains { $0.contains("posted debits") })
        #expect(audit.problems.contains { $0.contains("account \(funds) (funds)") })
        try await h.market.database.write { tx in
            try await tx.execute("UPDATE accounts SET credits_posted = credits_posted - 1 WHERE id = ?", funds)
        }
        #expect(try await LedgerAudit.run(h.market.database).ok)

        // A transfer whose amount changed after the fact.
        try await h.market.database.write { tx in
            try await tx.execute("UPDATE transfers SET amount = amount + 5 WHERE reason = 'reward'")
        }
        let changed = try await LedgerAudit.run(h.market.database)
        #expect(changed.problems.count >= 2)  // both sides of the transfer disagree with their totals
        #expect(changed.problems.allSatisfy { $0.contains("transfers give") })
        try await h.market.database.write { tx in
            try await tx.execute("UPDATE transfers SET amount = amount - 5 WHERE reason = 'reward'")
        }
        #expect(try await LedgerAudit.run(h.market.database).ok)

        // A balanced but duplicated reward: the books balance, the task was still paid twice.
        let earnings = try await h.scalar("SELECT earnings_account_id FROM workers WHERE id = ?", worker.workerID)
        let escrow = try await h.scalar("SELECT escrow_account_id FROM tasks WHERE id = ?", task.id)
        try await h.market.database.write { tx in
            try await tx.execute("UPDATE accounts SET credits_posted = credits_posted + 1 WHERE id = ?", escrow)
            try await tx.execute("UPDATE accounts SET debits_posted = debits_posted + 1 WHERE id = ?", escrow)
            try await tx.execute("UPDATE accounts SET credits_posted = credits_posted + 1 WHERE id = ?", earnings)
            try await tx.execute("UPDATE accounts SET debits_posted = debits_posted + 1 WHERE id = ?", funds)
            try await tx.execute("""
                INSERT INTO transfers (kind, debit_account_id, credit_account_id, amount, reason, task_id, created_at)
                VALUES ('posted', ?, ?, 1, 'deposit', ?, 0), ('posted', ?, ?, 1, 'reward', ?, 0)
                """, funds, escrow, task.id, escrow, earnings, task.id)
        }
        let twice = try await LedgerAudit.run(h.market.database)
        #expect(twice.problems == ["task \(task.id) is approved and was paid 2 times"])

        // An approved task whose escrow was left open.
        try await h.market.database.write { tx in
            try await tx.execute("UPDATE tasks SET escrow_open = 1 WHERE id = ?", task.id)
        }
        #expect(try await LedgerAudit.run(h.market.database).problems.contains { $0.hasPrefix("task \(task.id) is approved but its escrow") })
    }

    @Test(arguments: TestEngine.available) func theAuditDetectsVotePaymentsThatDoNotMatchTheLedger(engine: TestEngine) async throws {
        let h = try await EngineHarness.make(engine)
        let requester = try await h.requester(funds: 10_000_000)
        let worker = try await h.worker("w")
        let v = [try await h.worker("v1"), try await h.worker("v2")]
        _ = try await h.submitted(requester, worker, try h.spec(verifiers: 2, quorum: 2))
        for verifier in v { try await h.vote(verifier, try #require(try await h.claim(verifier, TaskType.verify)), .approve) }
        try await h.market.database.write { tx in try await tx.execute("UPDATE tasks SET vote_paid = 0 WHERE id = (SELECT MIN(id) FROM votes)") }
        let audit = try await LedgerAudit.run(h.market.database)
        #expect(audit.problems.count == 1)
        #expect(audit.problems.first?.contains("was paid 1 times") == true)
    }

    @Test(arguments: TestEngine.available) func aZeroVerifierRewardStillSettlesCleanly(engine: TestEngine) async throws {
        // Verifier rewards may be zero; the votes are settled without any transfer.
        let h = try await EngineHarness.make(engine)
        let requester = try await h.requester(funds: 10_000_000)
        let worker = try await h.worker("w")
        let v = [try await h.worker("v1"), try await h.worker("v2"), try await h.worker("v3")]
        let spec = try h.spec(verifiers: 3, quorum: 2, verifierReward: 0)
        #expect(FeePolicy().escrowHold(for: spec) == 1_050_000)
        let (task, _, _) = try await h.submitted(requester, worker, spec)
        for verifier in v.prefix(2) {
            try await h.vote(verifier, try #require(try await h.claim(verifier, TaskType.verify)), .approve)
        }
        #expect(try await h.state(task.id) == .approved)
        #expect(try await h.balance(worker) == 1_000_000)
        #expect(try await h.balance(v[0]) == 0)
        #expect(try await h.available(requester) == 10_000_000 - 1_050_000)
        #expect(try await !h.escrowOpen(task.id))
    }

    @Test(arguments: TestEngine.available) func ledgerTotalsAddUp(engine: TestEngine) async throws {
        let h = try await EngineHarness.make(engine)
        let a = try await h.requester("a", funds: 3_000_000)
        let b = try await h.requester("b", funds: 4_000_000)
        let worker = try await h.worker("w")
        let open = try await h.post(a, try h.spec())
        _ = try await h.submitted(b, worker, try h.spec(type: "x.auto", verifiers: 0, quorum: 0))
        let totals = try await h.market.ledgerTotals()
        #expect(totals.balanced)
        #expect(totals.debitsPosted == totals.creditsPosted && totals.debitsPending == totals.creditsPending)
        #expect(totals.depositsMicroUSDT == 7_000_000)
        #expect(totals.platformFeesMicroUSDT == 50_000)
        #expect(totals.escrowHeldMicroUSDT == FeePolicy().escrowHold(for: try h.spec()))
        // Money is conserved: every deposited micro-USDT is in funds, earnings or fees, or held in escrow
        // (held money still counts in its requester's posted balance until drawn).
        let postedFunds = try await h.balance(a) + (try await h.balance(b))
        let earned = try await h.balance(worker)
        #expect(postedFunds + earned + totals.platformFeesMicroUSDT == 7_000_000)
        let availableA = try await h.available(a)
        #expect(availableA + (try await h.escrowHeld(open.id)) == 3_000_000)
        let audit = try await LedgerAudit.run(h.market.database)
        #expect(audit.ok && audit.transfers > 0 && audit.accounts > 16)
    }
}
