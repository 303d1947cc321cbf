import Foundation
import Testing
import WorkhiveTestSupport
import WorkhiveCore
@testable import WorkhiveEngine

/// Reputation as verdicts land, adaptive verification with its escrow refund, and quarantine, on both
/// engines with the ledger audited after every operation.
@Suite struct TrustEngineTests {
    func close(_ a: Double?, _ b: Double, _ tolerance: Double = 1e-9) -> Bool { a.map { abs($0 - b) <= tolerance } ?? false }

    func rep(_ h: EngineHarness, _ p: Principal, _ role: ReputationRole = .verifier, _ type: String = "social.like") async throws -> ReputationView? {
        try await h.market.reputation(p, worker: p.workerID!).reputations.first { $0.role == role && $0.taskType == type }
    }

    @Test(arguments: TestEngine.available) func reputationFollowsVerdictsAndLateVotes(engine: TestEngine) async throws {
        let h = try await EngineHarness.make(engine)
        let requester = try await h.requester(funds: 10_000_000)
        let worker = try await h.worker("w")
        let v = [try await h.worker("v1"), try await h.worker("v2"), try await h.worker("v3")]
        let (task, _, submission) = try await h.submitted(requester, worker, try h.spec())
        let slots = [try #require(try await h.claim(v[0], TaskType.verify)), try #require(try await h.claim(v[1], TaskType.verify)),
                     try #require(try await h.claim(v[2], TaskType.verify))]
        #expect(try await h.market.reputation(v[0], worker: v[0].workerID!).reputations.isEmpty)
        #expect(try await h.market.reputation(v[0], worker: v[0].workerID!).priorAccuracy == 0.75)
        try await h.vote(v[0], slots[0], .approve)
        #expect(try await rep(h, v[0]) == nil)  // nothing is learnt before the verdict
        try await h.vote(v[1], slots[1], .approve)
        #expect(try await h.state(task.id) == .approved)
        // Two approvals at the prior 0.75: odds 3·3 = 9, P(approve) = 0.9; each voter was right with 0.9,
        // so Beta(3 + 0.9, 1 + 0.1): accuracy 3.9 / 5 = 0.78.
        let r1 = try #require(try await rep(h, v[0]))
        #expect(close(r1.correct, 0.9) && close(r1.incorrect, 0.1) && r1.observations == 1 && close(r1.accuracy, 0.78))
        #expect(close(try await rep(h, v[1])?.accuracy, 0.78))
        // The submitter's work was right with 0.9 too.
        #expect(close(try await rep(h, worker, .worker)?.correct, 0.9))
        #expect(try await h.text("SELECT CAST(confidence AS TEXT) FROM submissions WHERE id = ?", submission.id).flatMap(Double.init).map { abs($0 - 0.9) < 1e-9 } == true)
        // A late rejection: votes A(.75) A(.75) R(.75) give odds 3, P(approve) 0.75, so the dissenter
        // was right with 0.25: Beta(3.25, 1.75), accuracy 0.65. It is not paid.
        let late = try await h.vote(v[2], slots[2], .reject, "not liked")
        #expect(!late.paid)
        let r3 = try #require(try await rep(h, v[2]))
        #expect(close(r3.correct, 0.25) && close(r3.accuracy, 0.65) && !r3.quarantined)
        #expect(try await h.balance(v[2]) == 0 && try await h.balance(v[0]) == 50_000)

        // Only the worker's own side sees it.
        let stranger = try await h.worker("stranger")
        await #expect(throws: WorkhiveError.notFound("worker \(v[0].workerID!)")) { try await h.market.reputation(stranger, worker: v[0].workerID!) }
        await #expect(throws: WorkhiveError.self) { try await h.market.reputation(requester, worker: v[0].workerID!) }
        #expect(try await h.market.reputation(try await h.admin(), worker: v[0].workerID!).reputations.count == 1)
    }

    @Test(arguments: TestEngine.available) func adaptiveOpensSlotsAsNeededAndRefundsWhatItDidNotSpend(engine: TestEngine) async throws {
        let h = try await EngineHarness.make(engine)
        let requester = try await h.requester(funds: 10_000_000)
        let worker = try await h.worker("w")
        let v = (1...5).map { "v\($0)" }
        var verifiers: [Principal] = []
        for name in v { verifiers.append(try await h.worker(name)) }
        let policy = VerificationPolicy.adaptive(targetConfidence: 0.95, minVotes: 1, maxVotes: 5, verifierRewardMicroUSDT: 50_000)
        var spec = try h.spec()
        spec.verification = policy
        // Escrow holds the maximum: reward + 5% fee + 3 attempts × 5 votes × 50,000.
        #expect(FeePolicy().escrowHold(for: spec) == 1_800_000)
        let (task, _, submission) = try await h.submitted(requester, worker, spec)
        #expect(try await h.available(requester) == 10_000_000 - 1_800_000)
        #expect(task.verification.mode == .adaptive && task.verification.maxVotes == 5 && task.verification.targetConfidence == 0.95)
        let slotsOf = { try await h.scalar("SELECT COUNT(*) FROM tasks WHERE submission_id = ?", submission.id) }
        #expect(try await slotsOf() == 1)  // min_votes
        // At the prior 0.75 one approval is 0.75 sure, two 0.9, three 0.964 ≥ 0.95.
        for (i, verifier) in verifiers.prefix(3).enumerated() {
            let slot = try #require(try await h.claim(verifier, TaskType.verify))
            #expect(slot.task.submissionId == submission.id)
            #expect(try await h.claim(verifiers[3], TaskType.verify) == nil)  // one slot at a time
            try await h.vote(verifier, slot, .approve)
            #expect(try await slotsOf() == (i < 2 ? Int64(i + 2) : 3))
            #expect(try await h.state(task.id) == (i < 2 ? .verifying : .approved))
        }
        // Paid: the worker, the fee and three verifiers; the other two slots' rewards (and the two
        // spare attempts') went back to the requester.
        #expect(try await h.balance(worker) == 1_000_000)
        for verifier in verifiers.prefix(3) { #expect(try await h.balance(verifier) == 50_000) }
        #expect(try await h.escrowHeld(task.id) == 0 && !(try await h.escrowOpen(task.id)))
        #expect(try await h.available(requester) == 10_000_000 - 1_000_000 - 50_000 - 3 * 50_000)
        #expect(try await h.claim(verifiers[3], TaskType.verify) == nil)
    }

    @Test(arguments: TestEngine.available) func adaptiveStopsAtTheMaximumWithTheLeader(engine: TestEngine) async throws {
        let h = try await EngineHarness.make(engine)
        let requester = try await h.requester(funds: 10_000_000)
        let worker = try await h.worker("w")
        var spec = try h.spec()
        spec.verification = .adaptive(targetConfidence: 0.95, minVotes: 2, maxVotes: 5, verifierRewardMicroUSDT: 50_000)
        let (task, _, submission) = try await h.submitted(requester, worker, spec)
        #expect(try await h.scalar("SELECT COUNT(*) FROM tasks WHERE submission_id = ? AND state = 'open'", submission.id) == 2)
        let verdicts: [Verdict] = [.approve, .reject, .approve, .reject, .approve]
        for (i, verdict) in verdicts.enumerated() {
            let verifier = try await h.worker("v\(i)")
            let slot = try #require(try await h.claim(verifier, TaskType.verify))
            try await h.vote(verifier, slot, verdict, verdict == .reject ? "no" : "")
            #expect(try await h.state(task.id) == (i < 4 ? .verifying : .approved))
        }
        #expect(try await h.scalar("SELECT COUNT(*) FROM tasks WHERE submission_id = ?", submission.id) == 5)
        // 3 against 2 at equal weight: P(approve) = 0.75; the three approvers are paid.
        #expect(try await h.scalar("SELECT COUNT(*) FROM tasks WHERE submission_id = ? AND vote_paid = 1", submission.id) == 3)
        #expect(try await h.available(requester) == 10_000_000 - 1_000_000 - 50_000 - 3 * 50_000)
    }

    @Test(arguments: TestEngine.available) func aVerifierThatKeepsLosingIsQuarantinedWithItsReason(engine: TestEngine) async throws {
        let h = try await EngineHarness.make(engine)
        let requester = try await h.requester(funds: 100_000_000)
        let worker = try await h.worker("w")
        let honest = [try await h.worker("h1"), try await h.worker("h2")]
        let spammer = try await h.worker("spam")
        var quarantinedAt: Int?
        for round in 1...14 {
            let (task, _, _) = try await h.submitted(requester, worker, try h.spec())
            guard let spamSlot = try await h.claim(spammer, TaskType.verify) else {
                quarantinedAt = round
                // A slot is open, but not for it.
                #expect(try await h.scalar("SELECT COUNT(*) FROM tasks WHERE parent_task_id = ? AND state = 'open'", task.id) == 3)
                break
            }
            try await h.vote(spammer, spamSlot, .reject, "no")
            for v in honest { try await h.vote(v, try #require(try await h.claim(v, TaskType.verify)), .approve) }
            #expect(try await h.state(task.id) == .approved)
        }
        // The default policy quarantines on 10 verdicts at the earliest; these verdicts condemn it then.
        #expect(quarantinedAt == 11)
        let r = try #require(try await rep(h, spammer))
        #expect(r.quarantined && r.observations == 10 && r.accuracy < 0.3)
        #expect(r.quarantineReason?.hasPrefix("estimated accuracy verifying social.like is ") == true)
        for v in honest { #expect(try await rep(h, v)?.quarantined == false) }
        // The quarantine is per task type: a slot reviewing other work is still its to take.
        let (other, _, _) = try await h.submitted(requester, worker, try h.spec(type: "social.follow"))
        let slot = try #require(try await h.claim(spammer, TaskType.verify))
        #expect(slot.task.parentTaskId == other.id)
    }
}
