/// A vote as settlement sees it.
public struct VoteRecord: Sendable, Equatable {
    public var verifier: WorkerID
    public var verdict: Verdict
    public var paid: Bool
    public init(verifier: WorkerID, verdict: Verdict, paid: Bool) {
        self.verifier = verifier
        self.verdict = verdict
        self.paid = paid
    }
}

/// Who is paid what from a task's escrow when its submission reaches an outcome. The engine turns
/// this into ledger transfers; nothing here touches storage.
public struct SettlementPlan: Sendable, Equatable {
    public var workerReward: Int64 = 0
    public var platformFee: Int64 = 0
    public var verifierRewards: [WorkerID] = []
    public var verifierReward: Int64 = 0
    public var total: Int64 { workerReward + platformFee + Int64(verifierRewards.count) * verifierReward }

    public static func on(
        _ outcome: Outcome, reward: Int64, verifierReward: Int64, votes: [VoteRecord], fees: FeePolicy
    ) -> SettlementPlan {
        var plan = SettlementPlan(verifierReward: verifierReward)
        if outcome == .approved {
            plan.workerReward = reward
            plan.platformFee = fees.platformFee(reward: reward)
        }
        plan.verifierRewards = votes.filter { !$0.paid && Consensus.agrees($0.verdict, with: outcome) }.map(\.verifier)
        return plan
    }
}
