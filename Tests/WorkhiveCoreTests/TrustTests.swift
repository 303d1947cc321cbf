import Foundation
import Testing
import WorkhiveCore

/// The estimator and the adaptive rule on cases small enough to work by hand.
@Suite struct TrustTests {
    let policy = TrustPolicy(priorCorrect: 3, priorIncorrect: 1, quarantineThreshold: 0.65, quarantineZ: 1.645, quarantineMinObservations: 10)

    func close(_ a: Double, _ b: Double, _ tolerance: Double = 1e-9) -> Bool { abs(a - b) <= tolerance }

    @Test func aNewWorkerStartsAtThePrior() {
        let r = policy.prior
        #expect(r.alpha == 3 && r.beta == 1 && r.observations == 0)
        #expect(close(r.mean, 0.75))
        // sd of Beta(3, 1) = sqrt(3·1 / (4²·5)) = sqrt(3/80)
        #expect(close(r.standardDeviation, (3.0 / 80).squareRoot()))
        #expect(close(policy.weight(r), 0.75))
        #expect(close(policy.weight(Reputation(alpha: 1, beta: 3)), 0.5))  // worse than a coin counts as a coin
        #expect(close(policy.weight(Reputation(alpha: 1000, beta: 1)), 0.99))
    }

    @Test func certainVerdictsCountInFull() {
        var r = policy.prior
        for _ in 0..<3 { r.record(probabilityRightGivenOthers: 1) }
        // Beta(3 + 3, 1): the mixture is a single Beta, matched exactly.
        #expect(r.observations == 3 && close(r.alpha, 6) && close(r.beta, 1))
        #expect(close(r.mean, 6.0 / 7))
        r.record(probabilityRightGivenOthers: 0)
        #expect(close(r.alpha, 6) && close(r.beta, 2) && close(r.mean, 0.75))
    }

    @Test func aVoteNothingCorroboratesChangesNothing() {
        // One vote alone: the others say nothing (q = ½), the mixture m·Beta(a+1, b) + (1−m)·Beta(a, b+1)
        // with m = a/(a+b) has exactly the mean and variance of Beta(a, b).
        var r = policy.prior
        let q = WeightedConsensus.probabilitiesRightGivenOthers([WeightedVote(.reject, accuracy: 0.75)])
        #expect(q == [0.5])
        r.record(probabilityRightGivenOthers: q[0])
        #expect(close(r.alpha, 3) && close(r.beta, 1) && r.observations == 1)
    }

    @Test func softEvidenceIsMomentMatchedByHand() {
        // Prior Beta(3, 1), and one other verifier at 0.75 agreed: q = 0.75.
        // w = q·m / (q·m + (1−q)(1−m)) = 0.5625 / 0.625 = 0.9; mean = (3 + 0.9) / 5 = 0.78;
        // E[p²] = (0.9·4·5 + 0.1·3·4) / (5·6) = 0.64; variance 0.64 − 0.78² = 0.0316;
        // α + β = 0.78·0.22 / 0.0316 − 1 = 350/79, so α = 0.78·350/79 = 273/79, β = 77/79.
        var r = policy.prior
        r.record(probabilityRightGivenOthers: 0.75)
        #expect(close(r.alpha, 273.0 / 79, 1e-12) && close(r.beta, 77.0 / 79, 1e-12))
        #expect(close(r.mean, 0.78, 1e-12))
        // It learnt less than a whole verdict: α + β grew by 0.43, not 1.
        #expect(close(r.alpha + r.beta, 350.0 / 79, 1e-12))
    }

    @Test func weightedPosteriorByHand() {
        // Two approvals at 0.8: odds 4 · 4 = 16 → 16/17.
        #expect(close(WeightedConsensus.probabilityApprove([.init(.approve, accuracy: 0.8), .init(.approve, accuracy: 0.8)]), 16.0 / 17))
        // Approve at 0.9 against reject at 0.6: odds 9 / 1.5 = 6 → 6/7.
        #expect(close(WeightedConsensus.probabilityApprove([.init(.approve, accuracy: 0.9), .init(.reject, accuracy: 0.6)]), 6.0 / 7))
        // A coin (0.5) moves nothing.
        #expect(close(WeightedConsensus.probabilityApprove([.init(.reject, accuracy: 0.5)]), 0.5))
        // A prior of 0.8 for approval is odds 4 before any vote.
        #expect(close(WeightedConsensus.probabilityApprove([], approvePrior: 0.8), 0.8))
        // 2 approve, 1 reject, all 0.8. Leaving each out: an approver faces one approval and one
        // rejection (½); the dissenter faces two approvals, odds 16, so it was right with 1/17.
        let votes = [WeightedVote(.approve, accuracy: 0.8), .init(.approve, accuracy: 0.8), .init(.reject, accuracy: 0.8)]
        let q = WeightedConsensus.probabilitiesRightGivenOthers(votes)
        #expect(close(q[0], 0.5) && close(q[1], 0.5) && close(q[2], 1.0 / 17))
        // A gold task's known answer overrides the votes.
        #expect(WeightedConsensus.probabilitiesRightGivenOthers(votes, truth: .rejected) == [0, 0, 1])
    }

    @Test func adaptiveStopsAtTheTargetOrTheMaximum() {
        let step = { (votes: [WeightedVote]) in AdaptiveConsensus.step(votes, minVotes: 1, maxVotes: 5, targetConfidence: 0.95) }
        // One vote at 0.85 is 0.85 sure: not enough.
        #expect(step([.init(.approve, accuracy: 0.85)]) == .needMoreVotes(confidence: 0.85))
        // Two agreeing at 0.85: odds (0.85/0.15)² = 32.1 → 0.9698.
        guard case .decided(.approved, let c) = step([.init(.approve, accuracy: 0.85), .init(.approve, accuracy: 0.85)]) else {
            Issue.record("two agreeing 0.85 votes should decide"); return
        }
        #expect(close(c, 289.0 / 298, 1e-12))  // 0.85² / (0.85² + 0.15²)
        // One very trusted vote (0.97) decides alone with min_votes 1, but not with min_votes 2.
        #expect(step([.init(.reject, accuracy: 0.97)]) == .decided(.rejected, confidence: 0.97))
        #expect(AdaptiveConsensus.step([.init(.reject, accuracy: 0.97)], minVotes: 2, maxVotes: 5, targetConfidence: 0.95)
                == .needMoreVotes(confidence: 0.97))
        // Disagreement cancels out.
        #expect(step([.init(.approve, accuracy: 0.85), .init(.reject, accuracy: 0.85)]) == .needMoreVotes(confidence: 0.5))
        // At the maximum the leader wins however unsure: 3 approve / 2 reject at 0.6 → odds 1.5 → 0.6.
        let five: [WeightedVote] = [.init(.approve, accuracy: 0.6), .init(.reject, accuracy: 0.6), .init(.approve, accuracy: 0.6),
                                    .init(.reject, accuracy: 0.6), .init(.approve, accuracy: 0.6)]
        guard case .decided(.approved, let c5) = step(five) else { Issue.record("the maximum must decide"); return }
        #expect(close(c5, 0.6))
        // A dead heat at the maximum rejects.
        #expect(AdaptiveConsensus.step([.init(.approve, accuracy: 0.8), .init(.reject, accuracy: 0.8)], minVotes: 1, maxVotes: 2,
                                       targetConfidence: 0.95) == .decided(.rejected, confidence: 0.5))
    }

    @Test func quarantineNeedsEvidenceAndAClearlyLowBound() {
        // Beta(8, 16): mean 1/3, sd sqrt(128 / (576·25)) → upper 0.488 < 0.65.
        let bad = Reputation(alpha: 8, beta: 16, observations: 20)
        #expect(close(bad.mean, 1.0 / 3))
        #expect(close(bad.standardDeviation, (128.0 / 14_400).squareRoot()))
        let reason = policy.quarantineReason(bad, taskType: "social.like")
        #expect(reason?.contains("33.3%") == true && reason?.contains("social.like") == true && reason?.contains("65.0%") == true)
        // The same ratio on 9 verdicts is too little evidence.
        #expect(policy.quarantineReason(Reputation(alpha: 8, beta: 16, observations: 9), taskType: "x") == nil)
        // Beta(13, 11): mean 0.542 but upper 0.706: not proven bad yet.
        #expect(policy.quarantineReason(Reputation(alpha: 13, beta: 11, observations: 20), taskType: "x") == nil)
        // Beta(73, 31), mean 0.70: never quarantined.
        #expect(policy.quarantineReason(Reputation(alpha: 73, beta: 31, observations: 100), taskType: "x") == nil)
        // A coin after 100 verdicts: Beta(53, 51), upper 0.51 + 1.645·0.049 = 0.590.
        #expect(policy.quarantineReason(Reputation(alpha: 53, beta: 51, observations: 100), taskType: "x") != nil)
    }

    @Test func spotChecksFollowTheSubmittersRecord() {
        // New: Beta(3, 1), mean − sd = 0.75 − 0.19365 = 0.55635, proven (0.55635 − 0.5) / 0.45 = 0.12522,
        // so the rate is 0.5 − 0.4 · 0.12522 = 0.44991 between bounds 0.1 and 0.5.
        let fresh = policy.spotCheckRate(submitter: policy.prior, minRate: 0.1, maxRate: 0.5)
        #expect(close(fresh, 0.5 - 0.4 * ((0.75 - (3.0 / 80).squareRoot()) - 0.5) / 0.45))
        #expect(close(fresh, 0.44991, 1e-5))
        // Proven (pessimistic accuracy past 0.95): the requester's minimum. Doubtful: the maximum.
        #expect(close(policy.spotCheckRate(submitter: Reputation(alpha: 1000, beta: 1), minRate: 0.1, maxRate: 0.5), 0.1))
        #expect(close(policy.spotCheckRate(submitter: Reputation(alpha: 1, beta: 3), minRate: 0.1, maxRate: 0.5), 0.5))
        #expect(throws: WorkhiveError.self) {
            try VerificationPolicy(verifiers: 3, quorum: 2, spotCheckRate: 0.5, verifierRewardMicroUSDT: 1, spotCheckMaxRate: 0.4).validate()
        }
        #expect(throws: WorkhiveError.self) {
            try VerificationPolicy(verifiers: 3, quorum: 2, spotCheckRate: 0.1, verifierRewardMicroUSDT: 1, spotCheckMaxRate: 1.5).validate()
        }
    }

    @Test func adaptivePolicyValidation() throws {
        try VerificationPolicy.adaptive(targetConfidence: 0.95, minVotes: 1, maxVotes: 5, verifierRewardMicroUSDT: 10).validate()
        for bad in [VerificationPolicy.adaptive(targetConfidence: 0.5, minVotes: 1, maxVotes: 5, verifierRewardMicroUSDT: 10),
                    .adaptive(targetConfidence: 1, minVotes: 1, maxVotes: 5, verifierRewardMicroUSDT: 10),
                    .adaptive(targetConfidence: .nan, minVotes: 1, maxVotes: 5, verifierRewardMicroUSDT: 10),
                    .adaptive(targetConfidence: 0.9, minVotes: 0, maxVotes: 5, verifierRewardMicroUSDT: 10),
                    .adaptive(targetConfidence: 0.9, minVotes: 6, maxVotes: 5, verifierRewardMicroUSDT: 10),
                    .adaptive(targetConfidence: 0.9, minVotes: 1, maxVotes: 16, verifierRewardMicroUSDT: 10)] {
            #expect(throws: WorkhiveError.self) { try bad.validate() }
        }
        // Escrow holds the maximum: 5 slots per attempt, and one appeal panel of 3.
        let spec = try TaskSpec(taskType: "x.y", title: "t", instructions: "", payloadJSON: "{}", requiredCapabilities: try Capabilities([]),
                                rewardMicroUSDT: 1_000_000, leaseSeconds: 60, maxAttempts: 2, deadlineAtMillis: nil, priority: 0,
                                visibility: .public,
                                verification: .adaptive(targetConfidence: 0.95, minVotes: 1, maxVotes: 5, verifierRewardMicroUSDT: 10_000),
                                nowMillis: 0)
        #expect(FeePolicy().escrowHold(for: spec) == 1_000_000 + 50_000 + (2 * 5 + 3) * 10_000)
    }
}
