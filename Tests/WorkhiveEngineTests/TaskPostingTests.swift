import Foundation
import Testing
import WorkhiveTestSupport
import WorkhiveCore
@testable import WorkhiveEngine

@Suite struct TaskPostingTests {
    @Test(arguments: TestEngine.available) func invalidSpecsAreInvalidRequests(engine: TestEngine) async throws {
        let h = try await EngineHarness.make(engine)
        expectSpecError(.invalidRequest) { try h.spec(type: "Social Like") }
        expectSpecError(.invalidRequest) { try h.spec(type: "") }
        expectSpecError(.invalidRequest) { try h.spec(type: String(repeating: "a", count: 65)) }
        expectSpecError(.invalidRequest) { try h.spec(type: "verify") }
        expectSpecError(.invalidRequest) { try h.spec(reward: 0) }
        expectSpecError(.invalidRequest) { try h.spec(reward: -1) }
        expectSpecError(.invalidRequest) { try h.spec(reward: TaskSpec.maxRewardMicroUSDT + 1) }
        expectSpecError(.invalidRequest) { try h.spec(verifiers: 2, quorum: 3) }
        expectSpecError(.invalidRequest) { try h.spec(verifiers: 3, quorum: 0) }
        expectSpecError(.invalidRequest) { try h.spec(verifiers: 0, quorum: 1) }
        expectSpecError(.invalidRequest) { try h.spec(verifiers: VerificationPolicy.maxVerifiers + 1, quorum: 1) }
        expectSpecError(.invalidRequest) { try h.spec(spotCheck: 1.01) }
        expectSpecError(.invalidRequest) { try h.spec(spotCheck: -0.1) }
        expectSpecError(.invalidRequest) { try h.spec(spotCheck: .nan) }
        expectSpecError(.invalidRequest) { try h.spec(verifierReward: -1) }
        expectSpecError(.invalidRequest) { try h.spec(lease: 4) }
        expectSpecError(.invalidRequest) { try h.spec(attempts: 0) }
        expectSpecError(.invalidRequest) { try h.spec(attempts: 21) }
        expectSpecError(.invalidRequest) { try h.spec(priority: 1001) }
        expectSpecError(.invalidRequest) { try h.spec(deadline: h.clock.nowMillis()) }
        expectSpecError(.invalidRequest) { try h.spec(deadline: h.clock.nowMillis() - 1) }
        expectSpecError(.invalidRequest) { try h.spec(caps: ["not valid"]) }
        // The boundaries themselves are fine.
        _ = try h.spec(verifiers: 0, quorum: 0, spotCheck: 1, verifierReward: 0, lease: 5, attempts: 20, priority: -1000,
                       deadline: h.clock.nowMillis() + 1)
        _ = try h.spec(verifiers: 3, quorum: 3)
        // An empty idempotency key is refused before anything is written.
        let requester = try await h.requester()
        let before = try await h.footprint()
        try await h.expectError(.invalidRequest) { try await h.market.postTask(requester, try h.spec(), idempotencyKey: "") }
        try await h.expectError(.invalidRequest) {
            try await h.market.postTask(requester, try h.spec(), idempotencyKey: String(repeating: "k", count: 201))
        }
        #expect(try await h.footprint() == before)
    }

    @Test(arguments: TestEngine.available) func postingHoldsTheWholeEscrow(engine: TestEngine) async throws {
        let h = try await EngineHarness.make(engine)
        let requester = try await h.requester(funds: 10_000_000)
        let spec = try h.spec(reward: 2_000_000, verifiers: 4, quorum: 3, verifierReward: 30_000, attempts: 2)
        let task = try await h.post(requester, spec)
        let hold = 2_000_000 + 100_000 + 2 * 4 * 30_000 + 3 * 30_000  // and one appeal panel of 3
        #expect(FeePolicy().escrowHold(for: spec) == Int64(hold))
        #expect(task.state == .open && task.attempts == 0 && task.requesterId == requester.ownerID)
        #expect(try await h.available(requester) == 10_000_000 - Int64(hold))
        #expect(try await h.balance(requester) == 10_000_000)  // held, not spent
        #expect(try await h.escrowHeld(task.id) == Int64(hold))
        #expect(try await h.market.ledgerTotals().escrowHeldMicroUSDT == Int64(hold))
        #expect(try await h.market.task(requester, task.id) == task)
    }

    @Test(arguments: TestEngine.available) func insufficientFundsWritesNothing(engine: TestEngine) async throws {
        let h = try await EngineHarness.make(engine)
        let spec = try h.spec()
        let hold = FeePolicy().escrowHold(for: spec)
        let requester = try await h.requester(funds: hold - 1)
        let before = try await h.footprint()
        let totals = try await h.market.ledgerTotals()
        let error = try await h.expectError(.insufficientFunds) { try await h.market.postTask(requester, spec, idempotencyKey: "k1") }
        #expect(error?.message.contains("\(hold - 1)") == true)
        #expect(try await h.footprint() == before)
        #expect(try await h.scalar("SELECT COUNT(*) FROM accounts WHERE kind = 'escrow'") == 0)
        #expect(try await h.scalar("SELECT COUNT(*) FROM transfers WHERE reason = 'escrow_hold'") == 0)
        #expect(try await h.available(requester) == hold - 1)
        #expect(try await h.balance(requester) == hold - 1)
        #expect(try await h.market.ledgerTotals() == totals)
        #expect(try await h.market.listTasks(requester).isEmpty)

        // With one more micro-USDT the same request (and the same idempotency key) goes through.
        try await h.checked { try await h.market.deposit(requester, amountMicroUSDT: 1) }
        let task = try await h.checked { try await h.market.postTask(requester, spec, idempotencyKey: "k1") }
        #expect(task.state == .open)
        #expect(try await h.available(requester) == 0)
        // And a second one no longer fits.
        try await h.expectError(.insufficientFunds) { try await h.market.postTask(requester, spec) }
    }

    @Test(arguments: TestEngine.available) func idempotentRetryReturnsTheSameTaskAndHoldsOnce(engine: TestEngine) async throws {
        let h = try await EngineHarness.make(engine)
        let requester = try await h.requester(funds: 10_000_000)
        let other = try await h.requester("other", funds: 10_000_000)
        let spec = try h.spec()
        let hold = FeePolicy().escrowHold(for: spec)
        let first = try await h.checked { try await h.market.postTask(requester, spec, idempotencyKey: "post-1", requestHash: "h1") }
        let again = try await h.checked { try await h.market.postTask(requester, spec, idempotencyKey: "post-1", requestHash: "h1") }
        #expect(again.id == first.id)
        #expect(again.title == first.title && again.rewardMicroUSDT == first.rewardMicroUSDT)
        #expect(try await h.available(requester) == 10_000_000 - hold)
        #expect(try await h.scalar("SELECT COUNT(*) FROM tasks") == 1)
        #expect(try await h.scalar("SELECT COUNT(*) FROM transfers WHERE reason = 'escrow_hold'") == 1)

        // Same key, different request: refused, nothing held.
        try await h.expectError(.idempotencyKeyReused) {
            try await h.market.postTask(requester, try h.spec(reward: 2_000_000), idempotencyKey: "post-1", requestHash: "h2")
        }
        try await h.expectError(.idempotencyKeyReused) { try await h.market.postTask(requester, spec, idempotencyKey: "post-1") }
        #expect(try await h.available(requester) == 10_000_000 - hold)
        #expect(try await h.scalar("SELECT COUNT(*) FROM tasks") == 1)

        // Keys are per requester: another requester's same key is a new task.
        let theirs = try await h.checked { try await h.market.postTask(other, spec, idempotencyKey: "post-1", requestHash: "h2") }
        #expect(theirs.id != first.id)
        // A retry after the task moved on still returns it, without a second hold.
        let worker = try await h.worker("w")
        _ = try #require(try await h.claim(worker))
        let late = try await h.checked { try await h.market.postTask(requester, spec, idempotencyKey: "post-1", requestHash: "h1") }
        #expect(late.id == first.id)
        #expect(try await h.available(requester) == 10_000_000 - hold)
    }

    @Test(arguments: TestEngine.available) func concurrentIdempotentRetriesHoldOnce(engine: TestEngine) async throws {
        let h = try await EngineHarness.make(engine)
        let requester = try await h.requester(funds: 100_000_000)
        let spec = try h.spec()
        let ids = try await withThrowingTaskGroup(of: TaskID.self) { group in
            for _ in 0..<20 {
                group.addTask { try await h.market.postTask(requester, spec, idempotencyKey: "same", requestHash: "x").id }
            }
            return try await group.reduce(into: Set<TaskID>()) { $0.insert($1) }
        }
        try await h.assertLedger()
        #expect(ids.count == 1)
        #expect(try await h.available(requester) == 100_000_000 - FeePolicy().escrowHold(for: spec))
    }

    @Test(arguments: TestEngine.available) func cancellingAnOpenTaskReturnsTheWholeEscrow(engine: TestEngine) async throws {
        let h = try await EngineHarness.make(engine)
        let requester = try await h.requester(funds: 10_000_000)
        let task = try await h.post(requester, try h.spec())
        #expect(try await h.available(requester) < 10_000_000)
        let cancelled = try await h.checked { try await h.market.cancelTask(requester, task.id) }
        #expect(cancelled.state == .cancelled)
        #expect(cancelled.failureReason == "cancelled_by_requester")
        #expect(try await h.available(requester) == 10_000_000)
        #expect(try await h.balance(requester) == 10_000_000)
        #expect(try await h.escrowHeld(task.id) == 0)
        #expect(try await !h.escrowOpen(task.id))
        #expect(try await h.market.ledgerTotals().escrowHeldMicroUSDT == 0)
        // Cancelled work is not claimable, and cancelling twice is refused.
        let worker = try await h.worker("w")
        #expect(try await h.claim(worker) == nil)
        try await h.expectError(.taskNotOpen) { try await h.market.cancelTask(requester, task.id) }
        #expect(try await h.available(requester) == 10_000_000)
    }

    @Test(arguments: TestEngine.available) func onlyOpenTasksOfYourOwnCanBeCancelled(engine: TestEngine) async throws {
        let h = try await EngineHarness.make(engine)
        let requester = try await h.requester(funds: 10_000_000)
        let stranger = try await h.requester("stranger")
        let admin = try await h.admin()
        let worker = try await h.worker("w")
        let publicTask = try await h.post(requester, try h.spec())
        let privateTask = try await h.post(requester, try h.spec(type: "private.job", visibility: .private))

        try await h.expectError(.forbidden) { try await h.market.cancelTask(stranger, publicTask.id) }
        try await h.expectError(.notFound) { try await h.market.cancelTask(stranger, privateTask.id) }
        try await h.expectError(.forbidden) { try await h.market.cancelTask(worker, publicTask.id) }
        try await h.expectError(.notFound) { try await h.market.cancelTask(requester, TaskID(999_999)) }

        // Claimed: not open any more, escrow untouched.
        let held = try await h.available(requester)
        let claim = try #require(try await h.claim(worker))
        #expect(claim.task.id == publicTask.id)
        try await h.expectError(.taskNotOpen) { try await h.market.cancelTask(requester, publicTask.id) }
        #expect(try await h.state(publicTask.id) == .claimed)
        #expect(try await h.available(requester) == held)
        // Verifying: not open either.
        _ = try await h.submit(worker, claim)
        try await h.expectError(.taskNotOpen) { try await h.market.cancelTask(requester, publicTask.id) }
        // Verification slots are not tasks anyone cancels.
        let slot = try await h.scalar("SELECT id FROM tasks WHERE task_type = 'verify' LIMIT 1")
        try await h.expectError(.notFound) { try await h.market.cancelTask(requester, TaskID(slot)) }

        // An admin may cancel anyone's open task.
        try await h.checked { try await h.market.cancelTask(admin, privateTask.id) }
        #expect(try await h.state(privateTask.id) == .cancelled)
    }

    @Test(arguments: TestEngine.available) func privateTasksAreVisibleOnlyToTheirRequesterAdminsAndClaimant(engine: TestEngine) async throws {
        let h = try await EngineHarness.make(engine)
        let requester = try await h.requester(funds: 10_000_000)
        let stranger = try await h.requester("stranger")
        let admin = try await h.admin()
        let claimant = try await h.worker("claimant")
        let bystander = try await h.worker("bystander")
        let secret = try await h.post(requester, try h.spec(visibility: .private))
        let open = try await h.post(requester, try h.spec(type: "social.follow"))

        #expect(try await h.market.task(requester, secret.id).visibility == .private)
        #expect(try await h.market.task(admin, secret.id).id == secret.id)
        try await h.expectError(.notFound) { try await h.market.task(stranger, secret.id) }
        try await h.expectError(.notFound) { try await h.market.task(claimant, secret.id) }
        try await h.expectError(.notFound) { try await h.market.task(bystander, secret.id) }
        #expect(try await h.market.task(stranger, open.id).id == open.id)  // public tasks are readable

        #expect(Set(try await h.market.listTasks(requester).map(\.id)) == [secret.id, open.id])
        #expect(try await h.market.listTasks(stranger).isEmpty)
        #expect(Set(try await h.market.listTasks(admin).map(\.id)) == [secret.id, open.id])
        #expect(try await h.market.listTasks(claimant).map(\.id) == [open.id])
        #expect(try await h.market.listTasks(claimant, taskType: "social.like").isEmpty)

        // Claiming is how a worker meets a private task; then it, and only it, can read it.
        let claim = try #require(try await h.claim(claimant))
        #expect(claim.task.id == secret.id)
        #expect(try await h.market.task(claimant, secret.id).state == .claimed)
        try await h.expectError(.notFound) { try await h.market.task(bystander, secret.id) }
        try await h.expectError(.notFound) { try await h.market.task(stranger, secret.id) }
        #expect(try await h.market.listTasks(bystander).map(\.id) == [open.id])
    }

    @Test(arguments: TestEngine.available) func listingFiltersAndPages(engine: TestEngine) async throws {
        let h = try await EngineHarness.make(engine)
        let requester = try await h.requester(funds: 50_000_000)
        var ids: [TaskID] = []
        for i in 0..<5 { ids.append(try await h.post(requester, try h.spec(type: i.isMultiple(of: 2) ? "a.even" : "a.odd")).id) }
        let capped = try await h.post(requester, try h.spec(type: "a.even", caps: ["vision"]))
        let worker = try await h.worker("w")
        let seeing = try await h.worker("seeing", capabilities: ["vision"])

        #expect(try await h.market.listTasks(requester).map(\.id) == ([capped.id] + ids.reversed()))
        #expect(try await h.market.listTasks(requester, limit: 2).map(\.id) == [capped.id, ids[4]])
        #expect(try await h.market.listTasks(requester, limit: 2, beforeID: ids[4]).map(\.id) == [ids[3], ids[2]])
        #expect(try await h.market.listTasks(requester, taskType: "a.odd").map(\.id) == [ids[3], ids[1]])
        // Workers only see what they could claim.
        #expect(try await h.market.listTasks(worker, taskType: "a.even").map(\.id) == [ids[4], ids[2], ids[0]])
        #expect(try await h.market.listTasks(seeing, taskType: "a.even").map(\.id) == [capped.id, ids[4], ids[2], ids[0]])
        try await h.expectError(.forbidden) { try await h.market.listTasks(worker, state: .claimed) }

        try await h.checked { try await h.market.cancelTask(requester, ids[0]) }
        #expect(try await h.market.listTasks(requester, state: .cancelled).map(\.id) == [ids[0]])
        #expect(try await h.market.listTasks(worker, taskType: "a.even").map(\.id) == [ids[4], ids[2]])
    }
}
