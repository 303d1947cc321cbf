import Foundation
import Testing
import WorkhiveCore

/// The estimator and the adaptive rule on cases small enough to work by hand.
@Suite struct TrustTests {
    let policy = TrustPolicy()  // Beta(3, 1) prior, quarantine under 0.65 at z = 1.645 after 10 verdicts

    func close(_ a: Double, _ b: Double, _ tolerance: Double = 1e-9) -> Bool { abs(a - b) <= tolerance }

    @Test func aNewWorkerStartsAtThePrior() {
        let r = Reputation()
        #expect(close(policy.accuracy(r), 0.75))
        // sd of Beta(3, 1) = sqrt(3·1 / (4²·5)) = sqrt(3/80)
        #expect(close(policy.standardDeviation(r), (3.0 / 80).squareRoot()))
        #expect(close(policy.weight(r), 0.75))
    }

    @Test func certainVerdictsCountInFull() {
        var r = Reputation()
        for _ in 0..<3 { r.record(probabilityRight: 1) }
        #expect(r.observations == 3)
        #expect(close(policy.accuracy(r), 6.0 / 7))  // (3 + 3) / (4 + 3)
        r.record(probabilityRight: 0)
        #expect(close(policy.accuracy(r), 6.0 / 8))  // (3 + 3) / (4 + 4)
    }

    @Test func aVoteNothingCorroboratesLeavesTheEstimateWhereItWas() {
        // One vote alone: the posterior that it was right is the voter's own accuracy m, and
        // Beta(a + m, b + 1 - m) has the same mean a / (a + b).
        var r = Reputation()
        let m = policy.accuracy(r)
        let q = WeightedConsensus.probabilitiesRight([WeightedVote(.reject, accuracy: m)])
        #expect(close(q[0], 0.75))
        r.record(probabilityRight: q[0])
        #expect(close(policy.accuracy(r), 0.75))  // 3.75 / 5
        #expect(r.observations == 1)
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
        // 2 approve, 1 reject, all 0.8: odds 4 → P(approve) = 0.8, so the dissenter was right with 0.2.
        let votes = [WeightedVote(.approve, accuracy: 0.8), .init(.approve, accuracy: 0.8), .init(.reject, accuracy: 0.8)]
        let q = WeightedConsensus.probabilitiesRight(votes)
        #expect(close(q[0], 0.8) && close(q[1], 0.8) && close(q[2], 0.2))
        // A gold task's known answer overrides the votes.
        #expect(WeightedConsensus.probabilitiesRight(votes, truth: .rejected) == [0, 0, 1])
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
        // 5 right, 15 wrong: Beta(8, 16), mean 1/3, sd sqrt(128 / (576·25)) → upper 0.488 < 0.65.
        let bad = Reputation(correct: 5, incorrect: 15, observations: 20)
        #expect(close(policy.accuracy(bad), 1.0 / 3))
        #expect(close(policy.standardDeviation(bad), (128.0 / 14_400).squareRoot()))
        let reason = policy.quarantineReason(bad, taskType: "social.like")
        #expect(reason?.contains("33.3%") == true && reason?.contains("social.like") == true && reason?.contains("65.0%") == true)
        // The same ratio on 9 verdicts is too little evidence.
        #expect(policy.quarantineReason(Reputation(correct: 2.25, incorrect: 6.75, observations: 9), taskType: "x") == nil)
        // 10 of 20: Beta(13, 11), mean 0.542 but upper 0.706: not proven bad yet.
        #expect(policy.quarantineReason(Reputation(correct: 10, incorrect: 10, observations: 20), taskType: "x") == nil)
        // A 0.7 verifier is never quarantined.
        #expect(policy.quarantineReason(Reputation(correct: 70, incorrect: 30, observations: 100), taskType: "x") == nil)
        // A coin after 100 verdicts: Beta(53, 51), upper 0.51 + 1.645·0.049 = 0.590.
        #expect(policy.quarantineReason(Reputation(correct: 50, incorrect: 50, observations: 100), taskType: "x") != nil)
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
        // Escrow holds the maximum: 5 slots per attempt.
        let spec = try TaskSpec(taskType: "x.y", title: "t", instructions: "", payloadJSON: "{}", requiredCapabilities: try Capabilities([]),
                                rewardMicroUSDT: 1_000_000, leaseSeconds: 60, maxAttempts: 2, deadlineAtMillis: nil, priority: 0,
                                visibility: .public,
                                verification: .adaptive(targetConfidence: 0.95, minVotes: 1, maxVotes: 5, verifierRewardMicroUSDT: 10_000),
                                nowMillis: 0)
        #expect(FeePolicy().escrowHold(for: spec) == 1_000_000 + 50_000 + 2 * 5 * 10_000)
    }
}
