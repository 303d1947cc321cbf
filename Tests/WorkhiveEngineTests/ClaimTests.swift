import Foundation
import Testing
import WorkhiveTestSupport
import WorkhiveCore
@testable import WorkhiveEngine

@Suite struct ClaimTests {
    @Test(arguments: TestEngine.available) func claimsMatchTypeAndCapabilities(engine: TestEngine) async throws {
        let h = try await EngineHarness.make(engine)
        let requester = try await h.requester(funds: 50_000_000)
        let task = try await h.post(requester, try h.spec(type: "image.label", caps: ["vision", "lang:en"]))
        let blind = try await h.worker("blind", capabilities: ["lang:en"])
        let seeing = try await h.worker("seeing", capabilities: ["vision"])
        let able = try await h.worker("able", capabilities: ["vision", "lang:en", "lang:fr"])

        #expect(try await h.claim(able, "social.like") == nil)     // wrong type
        #expect(try await h.claim(blind, "image.label") == nil)    // missing vision
        #expect(try await h.claim(seeing, "image.label") == nil)   // missing lang:en
        // Claiming with fewer capabilities than registered narrows what matches…
        #expect(try await h.checked { try await h.market.claim(able, taskType: "image.label", capabilities: ["vision"]) } == nil)
        // …and more than registered is refused.
        try await h.expectError(.forbidden) {
            try await h.market.claim(blind, taskType: "image.label", capabilities: ["lang:en", "vision"])
        }
        try await h.expectError(.invalidRequest) { try await h.market.claim(able, taskType: "Not A Type") }
        try await h.expectError(.invalidRequest) { try await h.market.claim(able, taskType: "x", capabilities: ["bad cap"]) }
        #expect(try await h.state(task.id) == .open)

        let claim = try #require(try await h.checked {
            try await h.market.claim(able, taskType: "image.label", capabilities: ["LANG:EN", "vision"])
        })
        #expect(claim.task.id == task.id)
        #expect(claim.task.requiredCapabilities == ["lang:en", "vision"])
        #expect(claim.attempt == 1)
        #expect(claim.workerId == able.workerID)
        #expect(claim.leaseExpiresAtMillis == h.clock.nowMillis() + 60_000)
        #expect(claim.review == nil)
        #expect(claim.task.state == .claimed)
        // A task without requirements is open to a worker without capabilities.
        _ = try await h.post(requester, try h.spec(type: "image.label"))
        #expect(try await h.claim(blind, "image.label") != nil)
    }

    @Test(arguments: TestEngine.available) func claimsComeInPriorityThenAgeOrder(engine: TestEngine) async throws {
        let h = try await EngineHarness.make(engine)
        let requester = try await h.requester(funds: 50_000_000)
        let low = try await h.post(requester, try h.spec(priority: -5))
        let oldNormal = try await h.post(requester, try h.spec(priority: 0))
        let oldUrgent = try await h.post(requester, try h.spec(priority: 10))
        let newNormal = try await h.post(requester, try h.spec(priority: 0))
        let newUrgent = try await h.post(requester, try h.spec(priority: 10))
        let top = try await h.post(requester, try h.spec(priority: 1000))
        let worker = try await h.worker("w")
        var order: [TaskID] = []
        while let claim = try await h.claim(worker) { order.append(claim.task.id) }
        #expect(order == [top.id, oldUrgent.id, newUrgent.id, oldNormal.id, newNormal.id, low.id])
    }

    @Test(arguments: TestEngine.available) func tasksPastTheirDeadlineAreNotClaimable(engine: TestEngine) async throws {
        let h = try await EngineHarness.make(engine)
        let requester = try await h.requester(funds: 50_000_000)
        let worker = try await h.worker("w")
        let soon = try await h.post(requester, try h.spec(priority: 5, deadline: h.clock.nowMillis() + 10_000))
        let later = try await h.post(requester, try h.spec(deadline: h.clock.nowMillis() + 100_000))
        h.clock.advance(seconds: 10)  // exactly at the deadline: too late
        let claim = try #require(try await h.claim(worker))
        #expect(claim.task.id == later.id)
        #expect(try await h.claim(worker) == nil)
        #expect(try await h.state(soon.id) == .open)  // until the rescuer fails it
    }

    @Test(arguments: TestEngine.available) func longPollReturnsNilAfterTheWaitWhenNothingComes(engine: TestEngine) async throws {
        let h = try await EngineHarness.make(engine)
        let requester = try await h.requester(funds: 50_000_000)
        let worker = try await h.worker("w", capabilities: [])
        // Work the worker cannot take does not end the wait early with a claim.
        _ = try await h.post(requester, try h.spec(type: "social.follow"))
        let start = ContinuousClock.now
        let claim = try await h.market.claim(worker, taskType: "social.like", waitSeconds: 2)
        let elapsed = ContinuousClock.now - start
        #expect(claim == nil)
        #expect(elapsed >= .milliseconds(1950))
        #expect(elapsed < .seconds(10))  // the timer ends it (a machine with load 14 took 5.5 s)
        // No wait answers without waiting: in less time than the 2 s wait above took, whatever the
        // machine's load (one query took over a second on a machine with four builds running).
        let quick = ContinuousClock.now
        #expect(try await h.market.claim(worker, taskType: "social.like", waitSeconds: 0) == nil)
        #expect(ContinuousClock.now - quick < elapsed)
        try await h.assertLedger()
    }

    @Test(arguments: TestEngine.available) func longPollReturnsPromptlyWhenMatchingWorkArrives(engine: TestEngine) async throws {
        let h = try await EngineHarness.make(engine)
        let requester = try await h.requester(funds: 50_000_000)
        let worker = try await h.worker("w", capabilities: [])
        let market = h.market
        let waiting = Task { try await market.claim(worker, taskType: "social.like", waitSeconds: 30) }
        try await Task.sleep(for: .milliseconds(150))
        // A matching type the worker cannot take (capabilities) wakes it, but it keeps waiting.
        _ = try await h.post(requester, try h.spec(caps: ["vision"]))
        try await Task.sleep(for: .milliseconds(150))
        let task = try await h.post(requester, try h.spec())
        let posted = ContinuousClock.now
        let claim = try #require(try await waiting.value)
        // Woken by the post, not by the 30 s timeout (the bound is loose: the test machine may be busy).
        let elapsed = ContinuousClock.now - posted
        try await h.assertLedger()
        #expect(claim.task.id == task.id)
        #expect(elapsed < .seconds(10))
        #expect(try await h.state(task.id) == .claimed)
    }

    @Test(arguments: TestEngine.available) func aCancelledLongPollReturnsNil(engine: TestEngine) async throws {
        let h = try await EngineHarness.make(engine)
        let worker = try await h.worker("w")
        let market = h.market
        let start = ContinuousClock.now
        let waiting = Task { try await market.claim(worker, taskType: "social.like", waitSeconds: 30) }
        try await Task.sleep(for: .milliseconds(100))
        waiting.cancel()
        #expect(try await waiting.value == nil)
        // Well before the 30 s wait ends (a full test run on 2 cores once took 8.6 s).
        #expect(ContinuousClock.now - start < .seconds(20))
    }

    @Test(arguments: TestEngine.available) func heartbeatExtendsTheLeaseFromNow(engine: TestEngine) async throws {
        let h = try await EngineHarness.make(engine)
        let requester = try await h.requester(funds: 50_000_000)
        let worker = try await h.worker("w")
        let task = try await h.post(requester, try h.spec(lease: 60))
        let t0 = h.clock.nowMillis()
        let claim = try #require(try await h.claim(worker))
        #expect(claim.leaseExpiresAtMillis == t0 + 60_000)
        h.clock.advance(seconds: 30)
        let lease = try await h.checked { try await h.market.heartbeat(worker, claim: claim.claimId) }
        #expect(lease.claimId == claim.claimId)
        #expect(lease.leaseExpiresAtMillis == t0 + 30_000 + 60_000)
        // Past the original expiry, the claim is still held.
        h.clock.advance(seconds: 50)
        #expect(try await h.rescue().reopened == 0)
        #expect(try await h.state(task.id) == .claimed)
        let again = try await h.checked { try await h.market.heartbeat(worker, claim: claim.claimId) }
        #expect(again.leaseExpiresAtMillis == t0 + 80_000 + 60_000)
        let submission = try await h.submit(worker, claim)
        #expect(submission.state == "pending")
        #expect(try await h.state(task.id) == .verifying)
        // A submitted claim is no longer held.
        try await h.expectError(.claimExpired) { try await h.market.heartbeat(worker, claim: claim.claimId) }
    }

    @Test(arguments: TestEngine.available) func releaseReopensWithoutCountingTheAttempt(engine: TestEngine) async throws {
        let h = try await EngineHarness.make(engine)
        let requester = try await h.requester(funds: 50_000_000)
        let first = try await h.worker("first")
        let second = try await h.worker("second")
        let task = try await h.post(requester, try h.spec(attempts: 1))
        let claim = try #require(try await h.claim(first))
        #expect(claim.attempt == 1)
        let released = try await h.checked { try await h.market.release(first, claim: claim.claimId) }
        #expect(released.state == .open)
        #expect(released.attempts == 0)
        try await h.expectError(.claimExpired) { try await h.market.release(first, claim: claim.claimId) }
        try await h.expectError(.claimExpired) { try await h.market.submit(first, claim: claim.claimId, result: liked, proofs: []) }
        // With max_attempts 1 the task is still claimable, as attempt 1.
        let next = try #require(try await h.claim(second))
        #expect(next.task.id == task.id)
        #expect(next.attempt == 1)
        let submission = try await h.submit(second, next)
        #expect(submission.workerId == second.workerID)
        #expect(submission.attempt == 1)
        #expect(try await h.escrowOpen(task.id))
    }

    @Test(arguments: TestEngine.available) func someoneElsesClaimIsForbiddenAndAnUnknownOneNotFound(engine: TestEngine) async throws {
        let h = try await EngineHarness.make(engine)
        let requester = try await h.requester(funds: 50_000_000)
        let holder = try await h.worker("holder")
        let thief = try await h.worker("thief")
        let fleetmate = try await h.worker("fleetmate", owner: try await h.owner("x"))
        let task = try await h.post(requester, try h.spec())
        let claim = try #require(try await h.claim(holder))
        for other in [thief, fleetmate] {
            try await h.expectError(.forbidden) { try await h.market.heartbeat(other, claim: claim.claimId) }
            try await h.expectError(.forbidden) { try await h.market.release(other, claim: claim.claimId) }
            try await h.expectError(.forbidden) { try await h.market.submit(other, claim: claim.claimId, result: liked, proofs: []) }
            try await h.expectError(.forbidden) { try await h.market.vote(other, claim: claim.claimId, verdict: .approve, reason: "") }
        }
        let unknown = ClaimID(claim.claimId.rawValue + 1_000_000)
        try await h.expectError(.notFound) { try await h.market.heartbeat(holder, claim: unknown) }
        try await h.expectError(.notFound) { try await h.market.release(holder, claim: unknown) }
        try await h.expectError(.notFound) { try await h.market.submit(holder, claim: unknown, result: liked, proofs: []) }
        try await h.expectError(.notFound) { try await h.market.vote(holder, claim: unknown, verdict: .approve, reason: "") }
        // Nothing moved.
        #expect(try await h.state(task.id) == .claimed)
        #expect(try await h.scalar("SELECT COUNT(*) FROM submissions") == 0)
        _ = try await h.submit(holder, claim)
    }

    @Test(arguments: TestEngine.available) func anExpiredClaimIsRefusedBeforeTheRescuerRuns(engine: TestEngine) async throws {
        let h = try await EngineHarness.make(engine)
        let requester = try await h.requester(funds: 50_000_000)
        let worker = try await h.worker("w")
        let task = try await h.post(requester, try h.spec(lease: 30))
        let claim = try #require(try await h.claim(worker))
        h.clock.advance(seconds: 30)  // the lease ends at exactly this instant
        try await h.expectError(.claimExpired) { try await h.market.heartbeat(worker, claim: claim.claimId) }
        try await h.expectError(.claimExpired) { try await h.market.submit(worker, claim: claim.claimId, result: liked, proofs: []) }
        try await h.expectError(.claimExpired) { try await h.market.release(worker, claim: claim.claimId) }
        // The rescuer has not run: the row still says claimed, but nobody holds it.
        #expect(try await h.state(task.id) == .claimed)
        #expect(try await h.scalar("SELECT COUNT(*) FROM submissions") == 0)
        #expect(try await h.rescue().reopened == 1)
        #expect(try await h.state(task.id) == .open)
    }

    @Test(arguments: TestEngine.available) func workClaimsAndVerificationClaimsAreNotInterchangeable(engine: TestEngine) async throws {
        let h = try await EngineHarness.make(engine)
        let requester = try await h.requester(funds: 50_000_000)
        let worker = try await h.worker("w")
        let verifier = try await h.worker("v")
        let (_, claim, _) = try await h.submitted(requester, worker, try h.spec())
        let slot = try #require(try await h.claim(verifier, TaskType.verify))
        try await h.expectError(.invalidRequest) { try await h.market.submit(verifier, claim: slot.claimId, result: liked, proofs: []) }
        // A work claim already submitted cannot be voted on by its own worker.
        try await h.expectError(.invalidRequest) { try await h.market.vote(worker, claim: claim.claimId, verdict: .approve, reason: "") }
        #expect(try await h.state(slot.task.id) == .claimed)
    }
}
