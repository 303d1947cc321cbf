import Foundation
import Testing
import WorkhiveTestSupport
import WorkhiveCore
@testable import WorkhiveEngine

@Suite struct RescueTests {
    @Test(arguments: TestEngine.available) func expiredLeasesReturnToTheQueueCountingTheAttempt(engine: TestEngine) async throws {
        let h = try await EngineHarness.make(engine)
        let requester = try await h.requester(funds: 50_000_000)
        let first = try await h.worker("first")
        let second = try await h.worker("second")
        let task = try await h.post(requester, try h.spec(lease: 60, attempts: 3))
        let claim = try #require(try await h.claim(first))
        h.clock.advance(seconds: 59)
        #expect(try await h.rescue().reopened == 0)
        h.clock.advance(seconds: 1)
        let report = try await h.rescue()
        #expect(report.reopened == 1 && report.failed == 0 && report.total == 1)
        let view = try await h.market.task(requester, task.id)
        #expect(view.state == .open && view.attempts == 1)
        #expect(try await h.rescue().total == 0)  // nothing twice
        let next = try #require(try await h.claim(second))
        #expect(next.attempt == 2)
        #expect(next.claimId != claim.claimId)
        // The escrow is still whole: nothing was paid, nothing released.
        #expect(try await h.escrowHeld(task.id) == FeePolicy().escrowHold(for: try h.spec(lease: 60, attempts: 3)))
    }

    @Test(arguments: TestEngine.available) func pastMaxAttemptsTheTaskFailsAndTheEscrowIsRefunded(engine: TestEngine) async throws {
        let h = try await EngineHarness.make(engine)
        let requester = try await h.requester(funds: 10_000_000)
        let worker = try await h.worker("w")
        let task = try await h.post(requester, try h.spec(lease: 10, attempts: 2))
        for attempt in 1...2 {
            let claim = try #require(try await h.claim(worker))
            #expect(claim.attempt == attempt)
            h.clock.advance(seconds: 11)
            let report = try await h.rescue()
            #expect(report.reopened == (attempt < 2 ? 1 : 0))
            #expect(report.failed == (attempt == 2 ? 1 : 0))
        }
        let failed = try await h.market.task(requester, task.id)
        #expect(failed.state == .failed)
        #expect(failed.failureReason == "max_attempts_exhausted")
        #expect(try await h.available(requester) == 10_000_000)
        #expect(try await h.balance(requester) == 10_000_000)
        #expect(try await h.escrowHeld(task.id) == 0)
        #expect(try await !h.escrowOpen(task.id))
        #expect(try await h.balance(worker) == 0)
        #expect(try await h.claim(worker) == nil)
    }

    @Test(arguments: TestEngine.available) func aLateSubmitAfterRescueIsRefused(engine: TestEngine) async throws {
        let h = try await EngineHarness.make(engine)
        let requester = try await h.requester(funds: 10_000_000)
        let slow = try await h.worker("slow")
        let fast = try await h.worker("fast")
        let task = try await h.post(requester, try h.spec(lease: 10))
        let stale = try #require(try await h.claim(slow))
        h.clock.advance(seconds: 15)
        #expect(try await h.rescue().reopened == 1)
        try await h.expectError(.claimExpired) { try await h.market.submit(slow, claim: stale.claimId, result: liked, proofs: []) }
        try await h.expectError(.claimExpired) { try await h.market.heartbeat(slow, claim: stale.claimId) }
        #expect(try await h.state(task.id) == .open)

        // Someone else takes the task; the stale claim still cannot touch it.
        let fresh = try #require(try await h.claim(fast))
        // (The claim id is gone from the task row; it still answers claim_expired, not not_found.)
        try await h.expectError(.claimExpired) { try await h.market.submit(slow, claim: stale.claimId, result: liked, proofs: []) }
        try await h.expectError(.claimExpired) { try await h.market.heartbeat(slow, claim: stale.claimId) }
        #expect(try await h.state(task.id) == .claimed)
        #expect(try await h.scalar("SELECT COUNT(*) FROM submissions") == 0)
        let submission = try await h.submit(fast, fresh)
        #expect(submission.workerId == fast.workerID)
        try await h.expectError(.claimExpired) { try await h.market.release(slow, claim: stale.claimId) }
        #expect(try await h.state(task.id) == .verifying)
    }

    @Test(arguments: TestEngine.available) func passedDeadlinesFailOpenAndClaimedTasksAndRefund(engine: TestEngine) async throws {
        let h = try await EngineHarness.make(engine)
        let requester = try await h.requester(funds: 10_000_000)
        let worker = try await h.worker("w")
        let now = h.clock.nowMillis()
        let open = try await h.post(requester, try h.spec(type: "a.open", deadline: now + 30_000))
        let held = try await h.post(requester, try h.spec(type: "a.held", lease: 3600, deadline: now + 30_000))
        let submitted = try await h.post(requester, try h.spec(type: "a.done", deadline: now + 30_000))
        let forever = try await h.post(requester, try h.spec(type: "a.open"))
        let claim = try #require(try await h.claim(worker, "a.held"))
        let done = try #require(try await h.claim(worker, "a.done"))
        _ = try await h.submit(worker, done)
        let beforeDeadline = try await h.available(requester)

        h.clock.advance(seconds: 29)
        #expect(try await h.rescue().pastDeadline == 0)
        h.clock.advance(seconds: 1)
        let report = try await h.rescue()
        #expect(report.pastDeadline == 2)
        for id in [open.id, held.id] {
            let view = try await h.market.task(requester, id)
            #expect(view.state == .failed)
            #expect(view.failureReason == "deadline_passed")
            #expect(try await h.escrowHeld(id) == 0)
        }
        // Submitted work is judged, not failed; undated work is untouched.
        #expect(try await h.state(submitted.id) == .verifying)
        #expect(try await h.state(forever.id) == .open)
        let refund = FeePolicy().escrowHold(for: try h.spec())
        #expect(try await h.available(requester) == beforeDeadline + 2 * refund)
        // The holder of the failed task can no longer submit, even within its lease.
        try await h.expectError(.claimExpired) { try await h.market.submit(worker, claim: claim.claimId, result: liked, proofs: []) }
        #expect(try await h.state(held.id) == .failed)
    }

    @Test(arguments: TestEngine.available) func anExpiredVerificationSlotBeforeConsensusReopens(engine: TestEngine) async throws {
        let h = try await EngineHarness.make(engine)
        let requester = try await h.requester(funds: 10_000_000)
        let worker = try await h.worker("w")
        let sleepy = try await h.worker("sleepy")
        let v2 = try await h.worker("v2"), v3 = try await h.worker("v3")
        let (task, _, _) = try await h.submitted(requester, worker, try h.spec(lease: 20))
        let slot = try #require(try await h.claim(sleepy, TaskType.verify))
        h.clock.advance(seconds: 21)
        try await h.expectError(.claimExpired) { try await h.market.vote(sleepy, claim: slot.claimId, verdict: .approve, reason: "") }
        let report = try await h.rescue()
        #expect(report.reopened == 1 && report.cancelledSlots == 0)
        #expect(try await h.state(slot.task.id) == .open)
        #expect(try await h.state(task.id) == .verifying)
        // The slot is claimable again, by someone else (the sleepy verifier already had its turn).
        #expect(try await h.claim(sleepy, TaskType.verify) == nil)
        let s2 = try #require(try await h.claim(v2, TaskType.verify))
        let s3 = try #require(try await h.claim(v3, TaskType.verify))
        #expect(Set([s2.task.id, s3.task.id]).contains(slot.task.id))
        #expect(s2.task.id == slot.task.id ? s2.attempt == 2 : s3.attempt == 2)
        try await h.vote(v2, s2, .approve)
        try await h.vote(v3, s3, .approve)
        #expect(try await h.state(task.id) == .approved)
        #expect(try await h.balance(sleepy) == 0)
        try await h.expectError(.claimExpired) { try await h.market.vote(sleepy, claim: slot.claimId, verdict: .approve, reason: "") }
    }

    @Test(arguments: TestEngine.available) func anExpiredVerificationSlotAfterConsensusIsCancelledAndTheEscrowCloses(engine: TestEngine) async throws {
        let h = try await EngineHarness.make(engine)
        let requester = try await h.requester(funds: 10_000_000)
        let worker = try await h.worker("w")
        let v = [try await h.worker("v1"), try await h.worker("v2"), try await h.worker("v3")]
        let spec = try h.spec(lease: 20)
        let (task, _, _) = try await h.submitted(requester, worker, spec)
        let slots = [try #require(try await h.claim(v[0], TaskType.verify)), try #require(try await h.claim(v[1], TaskType.verify)),
                     try #require(try await h.claim(v[2], TaskType.verify))]
        try await h.vote(v[0], slots[0], .approve)
        try await h.vote(v[1], slots[1], .approve)
        #expect(try await h.state(task.id) == .approved)
        // The third slot is still held, so the escrow stays open for its possible reward.
        #expect(try await h.escrowOpen(task.id))
        h.clock.advance(seconds: 21)
        let report = try await h.rescue()
        #expect(report.cancelledSlots == 1 && report.reopened == 0)
        #expect(try await h.state(slots[2].task.id) == .cancelled)
        #expect(try await !h.escrowOpen(task.id))
        #expect(try await h.escrowHeld(task.id) == 0)
        #expect(try await h.available(requester) == 10_000_000 - 1_000_000 - 50_000 - 2 * 50_000)
        try await h.expectError(.verificationClosed) {
            try await h.market.vote(v[2], claim: slots[2].claimId, verdict: .approve, reason: "")
        }
        #expect(try await h.balance(v[2]) == 0)
    }

    @Test(arguments: TestEngine.available) func aFailedTaskKeepsItsEscrowOpenForASlotStillHeldThenCloses(engine: TestEngine) async throws {
        let h = try await EngineHarness.make(engine)
        let requester = try await h.requester(funds: 10_000_000)
        let worker = try await h.worker("w")
        let v = [try await h.worker("v1"), try await h.worker("v2"), try await h.worker("v3")]
        let (task, _, _) = try await h.submitted(requester, worker, try h.spec(lease: 300, deadline: h.clock.nowMillis() + 100_000))
        var slots: [ClaimView] = []
        for verifier in v { slots.append(try #require(try await h.claim(verifier, TaskType.verify))) }
        try await h.vote(v[0], slots[0], .reject, "no")
        try await h.vote(v[1], slots[1], .reject, "no")
        #expect(try await h.state(task.id) == .open)  // rejected, reopened
        h.clock.advance(seconds: 100)
        #expect(try await h.rescue().pastDeadline == 1)
        #expect(try await h.state(task.id) == .failed)
        // v3 still holds a slot of the rejected submission: the escrow waits for it.
        #expect(try await h.escrowOpen(task.id))
        let late = try await h.vote(v[2], slots[2], .reject, "agreed, no")
        #expect(late.paid)
        // And for the appeal window of the rejection (it could still be appealed: the task failed unapproved).
        #expect(try await h.escrowOpen(task.id))
        h.clock.advance(seconds: TrustPolicy().appealWindowSeconds)
        #expect(try await h.rescue().appealWindowsClosed == 1)
        #expect(try await !h.escrowOpen(task.id))
        #expect(try await h.escrowHeld(task.id) == 0)
        #expect(try await h.available(requester) == 10_000_000 - 3 * 50_000)
        for verifier in v { #expect(try await h.balance(verifier) == 50_000) }
    }

    @Test(arguments: TestEngine.available) func expiringLeasesAreAnnouncedOnce(engine: TestEngine) async throws {
        let h = try await EngineHarness.make(engine)
        let requester = try await h.requester(funds: 10_000_000)
        let worker = try await h.worker("w")
        _ = try await h.post(requester, try h.spec(lease: 100))
        let events = h.market.hub.subscribe { if case .claimExpiring = $0 { true } else { false } }
        var iterator = events.makeAsyncIterator()
        let claim = try #require(try await h.claim(worker))
        h.clock.advance(seconds: 79)  // 21 s left of 100: not yet
        #expect(try await h.rescue().expiringNotified == 0)
        h.clock.advance(seconds: 1)   // 20 s left: the last fifth
        #expect(try await h.rescue().expiringNotified == 1)
        #expect(try await h.rescue().expiringNotified == 0)
        let event = await iterator.next()
        #expect(event == .claimExpiring(claim: claim.claimId, task: claim.task.id, worker: try #require(worker.workerID),
                                        leaseExpiresAtMillis: claim.leaseExpiresAtMillis))
        // A heartbeat re-arms the warning.
        try await h.checked { try await h.market.heartbeat(worker, claim: claim.claimId) }
        #expect(try await h.rescue().expiringNotified == 0)
        h.clock.advance(seconds: 85)
        #expect(try await h.rescue().expiringNotified == 1)
    }
}
