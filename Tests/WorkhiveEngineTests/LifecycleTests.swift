import Foundation
import Testing
import WorkhiveTestSupport
import WorkhiveCore
@testable import WorkhiveEngine

@Suite struct LifecycleTests {
    @Test(arguments: TestEngine.available) func postClaimSubmitVerifyApprovePays(engine: TestEngine) async throws {
        let h = try await EngineHarness.make(engine)
        let requester = try await h.requester(funds: 10_000_000)
        let worker = try await h.worker("w")
        let verifiers = [try await h.worker("v1"), try await h.worker("v2"), try await h.worker("v3")]
        let spec = try h.spec()
        let task = try await h.checked { try await h.market.postTask(requester, spec) }
        let hold = FeePolicy().escrowHold(for: spec)
        #expect(hold == 1_000_000 + 50_000 + 3 * 3 * 50_000 + 3 * 50_000)  // and one appeal panel
        #expect(try await h.available(requester) == 10_000_000 - hold)

        let claim = try #require(try await h.checked { try await h.market.claim(worker, taskType: "social.like") })
        #expect(claim.task.id == task.id)
        #expect(try await h.checked { try await h.market.claim(worker, taskType: "social.like") } == nil)
        let submission = try await h.checked {
            try await h.market.submit(worker, claim: claim.claimId, result: .object(["liked": .bool(true)]), proofs: [])
        }
        #expect(submission.state == "pending")
        // The submitter can never verify its own work.
        #expect(try await h.checked { try await h.market.claim(worker, taskType: TaskType.verify) } == nil)

        var slots: [ClaimView] = []
        for v in verifiers {
            slots.append(try #require(try await h.checked { try await h.market.claim(v, taskType: TaskType.verify) }))
        }
        #expect(slots[0].review?.submission.id == submission.id)
        #expect(slots[0].review?.task.id == task.id)
        try await h.checked { try await h.market.vote(verifiers[0], claim: slots[0].claimId, verdict: .approve, reason: "") }
        try await h.checked { try await h.market.vote(verifiers[1], claim: slots[1].claimId, verdict: .approve, reason: "ok") }
        #expect(try await h.market.task(requester, task.id).state == .approved)
        #expect(try await h.balance(worker) == 1_000_000)
        #expect(try await h.balance(verifiers[0]) == 50_000)
        // The third verifier still holds its slot; its late vote agrees and is paid.
        try await h.checked { try await h.market.vote(verifiers[2], claim: slots[2].claimId, verdict: .approve, reason: "") }
        #expect(try await h.balance(verifiers[2]) == 50_000)
        // All slots resolved: the rest of the escrow went back to the requester.
        #expect(try await h.available(requester) == 10_000_000 - 1_000_000 - 50_000 - 3 * 50_000)
        let totals = try await h.market.ledgerTotals()
        #expect(totals.platformFeesMicroUSDT == 50_000)
        #expect(totals.balanced)
    }

    @Test(arguments: TestEngine.available) func rejectionReopensThenFailsAndRefunds(engine: TestEngine) async throws {
        let h = try await EngineHarness.make(engine)
        let requester = try await h.requester(funds: 10_000_000)
        let worker = try await h.worker("w")
        let v = [try await h.worker("v1"), try await h.worker("v2"), try await h.worker("v3")]
        let task = try await h.checked { try await h.market.postTask(requester, try h.spec(attempts: 2)) }
        for attempt in 1...2 {
            let claim = try #require(try await h.checked { try await h.market.claim(worker, taskType: "social.like") })
            #expect(claim.attempt == attempt)
            try await h.checked { try await h.market.submit(worker, claim: claim.claimId, result: .object([:]), proofs: []) }
            let s0 = try #require(try await h.checked { try await h.market.claim(v[0], taskType: "verify") })
            let s1 = try #require(try await h.checked { try await h.market.claim(v[1], taskType: "verify") })
            try await h.checked { try await h.market.vote(v[0], claim: s0.claimId, verdict: .reject, reason: "not liked") }
            try await h.checked { try await h.market.vote(v[1], claim: s1.claimId, verdict: .reject, reason: "no like") }
        }
        let final = try await h.market.task(requester, task.id)
        #expect(final.state == .rejected)
        #expect(try await h.balance(worker) == 0)
        #expect(try await h.balance(v[0]) == 100_000)
        // The escrow is kept while the worker may appeal the rejection, then released: nothing but the
        // four rejecting votes was spent; no fee on rejected work.
        #expect(try await h.available(requester) == 10_000_000 - FeePolicy().escrowHold(for: try h.spec(attempts: 2)))
        h.clock.advance(seconds: TrustPolicy().appealWindowSeconds)
        #expect(try await h.checked { try await h.market.rescue() }.appealWindowsClosed == 1)
        #expect(try await h.available(requester) == 10_000_000 - 4 * 50_000)
        #expect(try await h.market.ledgerTotals().platformFeesMicroUSDT == 0)
    }
}
