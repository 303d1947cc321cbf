import Foundation
import Testing
import WorkhiveTestSupport
import WorkhiveCore
@testable import WorkhiveEngine

@Suite struct VerificationTests {
    @Test(arguments: TestEngine.available) func theSubmittersFleetNeverVerifiesAndNobodyGetsTwoSlots(engine: TestEngine) async throws {
        let h = try await EngineHarness.make(engine)
        let requester = try await h.requester(funds: 10_000_000)
        let fleet = try await h.owner("fleet")
        let worker = try await h.worker("w", owner: fleet)
        let mate = try await h.worker("mate", owner: fleet)
        let humanMate = try await h.worker("human-mate", kind: .human, owner: fleet)
        let v = [try await h.worker("v1"), try await h.worker("v2"), try await h.worker("v3"), try await h.worker("v4")]
        let (task, _, submission) = try await h.submitted(requester, worker, try h.spec())

        for own in [worker, mate, humanMate] { #expect(try await h.claim(own, TaskType.verify) == nil) }
        let first = try #require(try await h.claim(v[0], TaskType.verify))
        #expect(first.review?.submission.id == submission.id)
        #expect(first.review?.task.id == task.id)
        #expect(first.task.parentTaskId == task.id && first.task.submissionId == submission.id)
        #expect(first.task.rewardMicroUSDT == 50_000)
        #expect(try await h.claim(v[0], TaskType.verify) == nil)  // no second slot of the same submission
        let second = try #require(try await h.claim(v[1], TaskType.verify))
        let third = try #require(try await h.claim(v[2], TaskType.verify))
        #expect(Set([first.task.id, second.task.id, third.task.id]).count == 3)
        #expect(try await h.claim(v[3], TaskType.verify) == nil)  // all three slots are held
        // Releasing a slot does not let its verifier come back for another.
        try await h.checked { try await h.market.release(v[2], claim: third.claimId) }
        #expect(try await h.claim(v[2], TaskType.verify) == nil)
        let again = try #require(try await h.claim(v[3], TaskType.verify))
        #expect(again.task.id == third.task.id)

        // Another submission by the same fleet: still nobody from the fleet, and v1 may verify it.
        let (_, _, other) = try await h.submitted(requester, mate, try h.spec(type: "social.follow"))
        for own in [worker, mate, humanMate] { #expect(try await h.claim(own, TaskType.verify) == nil) }
        let next = try #require(try await h.claim(v[0], TaskType.verify))
        #expect(next.review?.submission.id == other.id)
    }

    @Test(arguments: TestEngine.available) func aSpotCheckedSlotGoesToHumansOnly(engine: TestEngine) async throws {
        let h = try await EngineHarness.make(engine)
        let requester = try await h.requester(funds: 10_000_000)
        let worker = try await h.worker("w")
        let agents = [try await h.worker("a1"), try await h.worker("a2"), try await h.worker("a3")]
        let human = try await h.worker("h1", kind: .human)
        let (task, _, _) = try await h.submitted(requester, worker, try h.spec(spotCheck: 1.0))
        #expect(try await h.scalar("SELECT COUNT(*) FROM tasks WHERE parent_task_id = ? AND human_only = 1", task.id) == 1)
        let s1 = try #require(try await h.claim(agents[0], TaskType.verify))
        let s2 = try #require(try await h.claim(agents[1], TaskType.verify))
        #expect(!s1.task.humanOnly && !s2.task.humanOnly)
        #expect(try await h.claim(agents[2], TaskType.verify) == nil)  // only the human slot is left
        let s3 = try #require(try await h.claim(human, TaskType.verify))
        #expect(s3.task.humanOnly)
        try await h.vote(human, s3, .approve)
        try await h.vote(agents[0], s1, .approve)
        #expect(try await h.state(task.id) == .approved)
        #expect(try await h.balance(human) == 50_000)

        // Without a spot check no slot is reserved, and a human may take any slot.
        let (plain, _, _) = try await h.submitted(requester, worker, try h.spec(type: "social.follow", spotCheck: 0))
        #expect(try await h.scalar("SELECT COUNT(*) FROM tasks WHERE parent_task_id = ? AND human_only = 1", plain.id) == 0)
        let humanSlot = try #require(try await h.claim(human, TaskType.verify))
        #expect(!humanSlot.task.humanOnly && humanSlot.task.parentTaskId == plain.id)
    }

    @Test(arguments: TestEngine.available) func noVerifiersApprovesAtOnceAndPays(engine: TestEngine) async throws {
        let h = try await EngineHarness.make(engine)
        let requester = try await h.requester(funds: 10_000_000)
        let worker = try await h.worker("w")
        let spec = try h.spec(reward: 2_000_000, verifiers: 0, quorum: 0, verifierReward: 70_000)
        #expect(FeePolicy().escrowHold(for: spec) == 2_100_000)
        let (task, _, submission) = try await h.submitted(requester, worker, spec)
        #expect(submission.state == "approved")
        #expect(submission.decidedAtMillis == h.clock.nowMillis())
        #expect(try await h.state(task.id) == .approved)
        #expect(try await h.scalar("SELECT COUNT(*) FROM tasks WHERE task_type = 'verify'") == 0)
        #expect(try await h.balance(worker) == 2_000_000)
        #expect(try await h.platformFees() == 100_000)
        #expect(try await h.available(requester) == 10_000_000 - 2_100_000)
        #expect(try await h.balance(requester) == 10_000_000 - 2_100_000)
        #expect(try await !h.escrowOpen(task.id))
        #expect(try await h.escrowHeld(task.id) == 0)
    }

    @Test(arguments: TestEngine.available) func kApprovalsApproveAndOnlyAgreeingVotersArePaid(engine: TestEngine) async throws {
        let h = try await EngineHarness.make(engine, fees: FeePolicy(platformFeeBasisPoints: 250))
        let requester = try await h.requester(funds: 20_000_000)
        let worker = try await h.worker("w")
        let v = [try await h.worker("v1"), try await h.worker("v2"), try await h.worker("v3"), try await h.worker("v4"), try await h.worker("v5")]
        let reward: Int64 = 1_000_001, vr: Int64 = 33_333
        let spec = try h.spec(reward: reward, verifiers: 5, quorum: 3, verifierReward: vr, attempts: 2)
        let fee: Int64 = 25_001  // 2.5% of 1_000_001, rounded up
        #expect(FeePolicy(platformFeeBasisPoints: 250).platformFee(reward: reward) == fee)
        let hold = reward + fee + (2 * 5 + 3) * vr  // 2 attempts of 5 slots, one appeal panel of 3
        let (task, _, submission) = try await h.submitted(requester, worker, spec)
        #expect(try await h.available(requester) == 20_000_000 - hold)
        var slots: [ClaimView] = []
        for verifier in v { slots.append(try #require(try await h.claim(verifier, TaskType.verify))) }

        try await h.vote(v[0], slots[0], .approve)
        try await h.vote(v[1], slots[1], .reject, "did not like it")
        try await h.vote(v[2], slots[2], .approve, "looks right")
        #expect(try await h.state(task.id) == .verifying)  // 2 of 3 approvals, 1 of 3 rejections
        #expect(try await h.balance(v[0]) == 0)  // nobody is paid before the outcome
        let deciding = try await h.vote(v[3], slots[3], .approve)
        #expect(deciding.paid)
        #expect(try await h.state(task.id) == .approved)
        let decided = try #require(try await h.market.submissions(requester, task: task.id).first)
        #expect(decided.id == submission.id && decided.state == "approved" && decided.approvals == 3 && decided.rejections == 1)
        #expect(try await h.balance(worker) == reward)
        #expect(try await h.platformFees() == fee)
        for (i, paid) in [true, false, true, true].enumerated() { #expect(try await h.balance(v[i]) == (paid ? vr : 0)) }
        // The fifth verifier still holds its slot: a late vote against the outcome is recorded but unpaid.
        #expect(try await h.escrowOpen(task.id))
        let late = try await h.vote(v[4], slots[4], .reject, "too late, and wrong")
        #expect(!late.paid)
        #expect(try await h.balance(v[4]) == 0)
        #expect(try await !h.escrowOpen(task.id))

        let votes = try await h.checked { try await h.market.votes(requester, submission: submission.id) }
        #expect(votes.map(\.paid) == [true, false, true, true, false])
        #expect(votes.map(\.verdict) == [.approve, .reject, .approve, .approve, .reject])
        // Exact money: requester paid reward, fee and three verifiers; the rest came back.
        #expect(try await h.available(requester) == 20_000_000 - reward - fee - 3 * vr)
        #expect(try await h.balance(requester) == 20_000_000 - reward - fee - 3 * vr)
        let totals = try await h.market.ledgerTotals()
        #expect(totals.escrowHeldMicroUSDT == 0)
        #expect(totals.depositsMicroUSDT == 20_000_000)
        #expect(totals.balanced)
    }

    @Test(arguments: TestEngine.available) func enoughRejectionsReopenWhileAttemptsRemainThenApprovalPays(engine: TestEngine) async throws {
        let h = try await EngineHarness.make(engine)
        let requester = try await h.requester(funds: 10_000_000)
        let first = try await h.worker("first")
        let second = try await h.worker("second")
        let v = [try await h.worker("v1"), try await h.worker("v2"), try await h.worker("v3")]
        let spec = try h.spec(verifiers: 3, quorum: 2, attempts: 2)
        let (task, claim, submission) = try await h.submitted(requester, first, spec)
        let s0 = try #require(try await h.claim(v[0], TaskType.verify))
        let s1 = try #require(try await h.claim(v[1], TaskType.verify))
        try await h.vote(v[0], s0, .reject, "no like visible")
        #expect(try await h.state(task.id) == .verifying)
        try await h.vote(v[1], s1, .reject, "no like visible")
        // n - k + 1 = 2 rejections: rejected, and with an attempt left the task reopens.
        let reopened = try await h.market.task(requester, task.id)
        #expect(reopened.state == .open && reopened.attempts == 1)
        #expect(try await h.market.submissions(requester, task: task.id).first?.state == "rejected")
        // The unclaimed third slot is no longer needed.
        #expect(try await h.scalar("SELECT COUNT(*) FROM tasks WHERE submission_id = ? AND state = 'cancelled'", submission.id) == 1)
        #expect(try await h.claim(v[2], TaskType.verify) == nil)
        #expect(try await h.escrowOpen(task.id))
        #expect(try await h.balance(v[0]) == 50_000)
        #expect(try await h.balance(v[1]) == 50_000)
        // The first worker's claim is spent.
        try await h.expectError(.claimExpired) { try await h.market.heartbeat(first, claim: claim.claimId) }

        let retry = try #require(try await h.claim(second))
        #expect(retry.task.id == task.id && retry.attempt == 2)
        _ = try await h.submit(second, retry)
        let r0 = try #require(try await h.claim(v[0], TaskType.verify))  // v1 may verify the new submission
        let r2 = try #require(try await h.claim(v[2], TaskType.verify))
        try await h.vote(v[0], r0, .approve)
        try await h.vote(v[2], r2, .approve)
        #expect(try await h.state(task.id) == .approved)
        #expect(try await h.balance(second) == 1_000_000)
        #expect(try await h.balance(first) == 0)
        #expect(try await h.balance(v[0]) == 100_000)
        #expect(try await h.platformFees() == 50_000)
        #expect(try await !h.escrowOpen(task.id))
        #expect(try await h.available(requester) == 10_000_000 - 1_000_000 - 50_000 - 4 * 50_000)
    }

    @Test(arguments: TestEngine.available) func rejectionOnTheLastAttemptRejectsAndRefunds(engine: TestEngine) async throws {
        let h = try await EngineHarness.make(engine, fees: FeePolicy(platformFeeBasisPoints: 1000))
        let requester = try await h.requester(funds: 10_000_000)
        let worker = try await h.worker("w")
        let v = [try await h.worker("v1"), try await h.worker("v2"), try await h.worker("v3"), try await h.worker("v4")]
        let vr: Int64 = 12_345
        let (task, _, submission) = try await h.submitted(requester, worker, try h.spec(verifiers: 4, quorum: 2, verifierReward: vr, attempts: 1))
        var slots: [ClaimView] = []
        for verifier in v { slots.append(try #require(try await h.claim(verifier, TaskType.verify))) }
        try await h.vote(v[0], slots[0], .approve)
        try await h.vote(v[1], slots[1], .reject, "wrong post")
        try await h.vote(v[2], slots[2], .reject, "wrong post")
        #expect(try await h.state(task.id) == .verifying)  // n - k + 1 = 3 rejections needed
        try await h.vote(v[3], slots[3], .reject, "wrong post")
        let rejected = try await h.market.task(requester, task.id)
        #expect(rejected.state == .rejected)
        #expect(rejected.failureReason == "rejected_by_verifiers")
        #expect(try await h.market.submissions(requester, task: task.id).first?.id == submission.id)
        #expect(try await h.balance(worker) == 0)
        #expect(try await h.platformFees() == 0)
        #expect(try await h.balance(v[0]) == 0)
        for i in 1...3 { #expect(try await h.balance(v[i]) == vr) }
        // The escrow waits out the appeal window, then goes back less the three rejecting votes.
        #expect(try await h.escrowOpen(task.id))
        h.clock.advance(seconds: TrustPolicy().appealWindowSeconds)
        #expect(try await h.rescue().appealWindowsClosed == 1)
        #expect(try await h.available(requester) == 10_000_000 - 3 * vr)
        #expect(try await !h.escrowOpen(task.id))
        #expect(try await h.market.ledgerTotals().escrowHeldMicroUSDT == 0)
        #expect(try await h.claim(worker) == nil)
    }

    @Test(arguments: TestEngine.available) func votesAreValidatedAndIdempotent(engine: TestEngine) async throws {
        let h = try await EngineHarness.make(engine)
        let requester = try await h.requester(funds: 10_000_000)
        let worker = try await h.worker("w")
        let v1 = try await h.worker("v1"), v2 = try await h.worker("v2")
        _ = try await h.submitted(requester, worker, try h.spec())
        let s1 = try #require(try await h.claim(v1, TaskType.verify))
        let s2 = try #require(try await h.claim(v2, TaskType.verify))
        try await h.expectError(.invalidRequest) { try await h.market.vote(v1, claim: s1.claimId, verdict: .reject, reason: "") }
        try await h.expectError(.invalidRequest) { try await h.market.vote(v1, claim: s1.claimId, verdict: .reject, reason: " \n\t ") }
        try await h.expectError(.invalidRequest) {
            try await h.market.vote(v1, claim: s1.claimId, verdict: .approve, reason: String(repeating: "r", count: 2001))
        }
        #expect(try await h.scalar("SELECT COUNT(*) FROM votes") == 0)
        #expect(try await h.state(s1.task.id) == .claimed)

        let first = try await h.vote(v1, s1, .reject, "  not liked  ")
        #expect(first.reason == "not liked")
        h.clock.advance(seconds: 5)
        let again = try await h.vote(v1, s1, .reject, "not liked")
        #expect(again.slotTaskId == first.slotTaskId && again.verdict == first.verdict && again.reason == first.reason)
        #expect(again.createdAtMillis == first.createdAtMillis)
        #expect(try await h.scalar("SELECT COUNT(*) FROM votes") == 1)
        #expect(try await h.scalar("SELECT rejections FROM submissions") == 1)
        try await h.expectError(.conflict) { try await h.market.vote(v1, claim: s1.claimId, verdict: .approve, reason: "") }
        try await h.expectError(.conflict) { try await h.market.vote(v1, claim: s1.claimId, verdict: .reject, reason: "another reason") }
        try await h.expectError(.forbidden) { try await h.market.vote(v2, claim: s1.claimId, verdict: .reject, reason: "not liked") }
        // Idempotent after the outcome too, and the retry reports the vote as paid.
        try await h.vote(v2, s2, .reject, "nope")
        let settled = try await h.vote(v1, s1, .reject, "not liked")
        #expect(settled.paid)
        #expect(try await h.balance(v1) == 50_000)
    }

    @Test(arguments: TestEngine.available) func aVoteOnACancelledSlotIsVerificationClosed(engine: TestEngine) async throws {
        let h = try await EngineHarness.make(engine)
        let requester = try await h.requester(funds: 10_000_000)
        let worker = try await h.worker("w")
        let v = [try await h.worker("v1"), try await h.worker("v2"), try await h.worker("v3")]
        let (task, _, _) = try await h.submitted(requester, worker, try h.spec())
        let s0 = try #require(try await h.claim(v[0], TaskType.verify))
        let s1 = try #require(try await h.claim(v[1], TaskType.verify))
        let s2 = try #require(try await h.claim(v[2], TaskType.verify))
        // v3 gives its slot back; consensus then makes that open slot unnecessary.
        try await h.checked { try await h.market.release(v[2], claim: s2.claimId) }
        try await h.vote(v[0], s0, .approve)
        try await h.vote(v[1], s1, .approve)
        #expect(try await h.state(task.id) == .approved)
        #expect(try await h.state(s2.task.id) == .cancelled)
        try await h.expectError(.verificationClosed) { try await h.market.vote(v[2], claim: s2.claimId, verdict: .approve, reason: "") }
        #expect(try await !h.escrowOpen(task.id))
        #expect(try await h.available(requester) == 10_000_000 - 1_000_000 - 50_000 - 2 * 50_000)
    }

    @Test(arguments: TestEngine.available) func aReleasedSlotClaimCannotBeUsedOnceSomeoneElseHoldsTheSlot(engine: TestEngine) async throws {
        let h = try await EngineHarness.make(engine)
        let requester = try await h.requester(funds: 10_000_000)
        let worker = try await h.worker("w")
        let quitter = try await h.worker("quitter"), taker = try await h.worker("taker")
        let (task, _, _) = try await h.submitted(requester, worker, try h.spec(verifiers: 1, quorum: 1))
        let given = try #require(try await h.claim(quitter, TaskType.verify))
        try await h.checked { try await h.market.release(quitter, claim: given.claimId) }
        let taken = try #require(try await h.claim(taker, TaskType.verify))
        #expect(taken.task.id == given.task.id)
        #expect(taken.attempt == given.attempt)  // a release does not count, so the claim id comes round again
        // Whatever the id, the quitter's claim is no longer its own.
        try await h.expectError(.forbidden) { try await h.market.vote(quitter, claim: given.claimId, verdict: .reject, reason: "x") }
        try await h.expectError(.forbidden) { try await h.market.heartbeat(quitter, claim: given.claimId) }
        try await h.vote(taker, taken, .approve)
        #expect(try await h.state(task.id) == .approved)
        #expect(try await h.balance(taker) == 50_000)
        #expect(try await h.balance(quitter) == 0)
    }

    @Test(arguments: TestEngine.available) func votesAreVisibleToTheRequesterAndTheSubmitterOnly(engine: TestEngine) async throws {
        let h = try await EngineHarness.make(engine)
        let requester = try await h.requester(funds: 10_000_000)
        let stranger = try await h.requester("stranger")
        let worker = try await h.worker("w")
        let v1 = try await h.worker("v1")
        let (task, _, submission) = try await h.submitted(requester, worker, try h.spec(visibility: .private))
        let slot = try #require(try await h.claim(v1, TaskType.verify))
        #expect(slot.review?.task.id == task.id)
        try await h.vote(v1, slot, .approve, "fine")
        #expect(try await h.market.votes(requester, submission: submission.id).count == 1)
        #expect(try await h.market.votes(worker, submission: submission.id).first?.reason == "fine")
        try await h.expectError(.notFound) { try await h.market.votes(stranger, submission: submission.id) }
        try await h.expectError(.notFound) { try await h.market.votes(requester, submission: SubmissionID(424_242)) }
        try await h.expectError(.notFound) { try await h.market.submissions(stranger, task: task.id) }
        try await h.expectError(.forbidden) { try await h.market.submissions(worker, task: task.id) }
    }

    /// A slot that comes back wakes one waiting verifier. If that one may not take it (here: it is
    /// already on the submission's panel, which only the claim statement knows), it passes the wake
    /// on, and the next waiting verifier gets the slot at once instead of at its timeout.
    @Test(arguments: TestEngine.available) func aWokenVerifierThatMayNotTakeASlotPassesItOn(engine: TestEngine) async throws {
        let h = try await EngineHarness.make(engine)
        let requester = try await h.requester(funds: 10_000_000)
        let worker = try await h.worker("w")
        let v = [try await h.worker("v1"), try await h.worker("v2"), try await h.worker("v3"), try await h.worker("v4")]
        _ = try await h.submitted(requester, worker, try h.spec())
        _ = try #require(try await h.claim(v[0], TaskType.verify))
        _ = try #require(try await h.claim(v[1], TaskType.verify))
        let third = try #require(try await h.claim(v[2], TaskType.verify))

        // v1, on the panel, waits first (and so is woken first); v4 waits behind it.
        let market = h.market
        let onPanel = Task { try await market.claim(v[0], taskType: TaskType.verify, waitSeconds: 20) }
        for _ in 0..<5000 where market.hub.waitingClaimers(TaskType.verify) < 1 { try await Task.sleep(for: .milliseconds(1)) }
        let start = ContinuousClock.now
        let next = Task { try await market.claim(v[3], taskType: TaskType.verify, waitSeconds: 20) }
        for _ in 0..<5000 where market.hub.waitingClaimers(TaskType.verify) < 2 { try await Task.sleep(for: .milliseconds(1)) }
        #expect(market.hub.waitingClaimers(TaskType.verify) == 2)

        try await h.checked { try await market.release(v[2], claim: third.claimId) }
        let taken = try #require(try await next.value)
        #expect(taken.task.id == third.task.id)
        #expect(ContinuousClock.now - start < .seconds(10))
        // v1 was woken first and passed the slot on; it waits again until cancelled.
        onPanel.cancel()
        #expect(try await onPanel.value == nil)
        try await h.assertLedger()
    }
}
