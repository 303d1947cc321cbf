/// Money rules. All amounts are integer micro-USDT (1 USDT = 1_000_000).
public struct FeePolicy: Sendable, Equatable {
    /// Platform fee as basis points of the worker reward, charged only when work is approved.
    public var platformFeeBasisPoints: Int64

    public init(platformFeeBasisPoints: Int64 = 500) { self.platformFeeBasisPoints = platformFeeBasisPoints }

    /// Rounded up, so tiny rewards still carry a fee once there is any.
    public func platformFee(reward: Int64) -> Int64 {
        let (product, overflow) = reward.multipliedReportingOverflow(by: platformFeeBasisPoints)
        precondition(!overflow, "reward bounded by TaskSpec.maxRewardMicroUSDT")
        return (product + 9_999) / 10_000
    }

    /// Escrow held when a task is posted: the reward, the fee, a verifier reward for every slot of
    /// every attempt the task may need, and one appeal panel (see `AppealPanel`), so that an appeal
    /// is always paid for. What is not spent returns to the requester when the task ends.
    public func escrowHold(for spec: TaskSpec) -> Int64 {
        let slots = Int64(spec.maxAttempts) * Int64(spec.verification.verifiers) + Int64(AppealPanel.slotsFunded(by: spec.verification))
        return spec.rewardMicroUSDT + platformFee(reward: spec.rewardMicroUSDT)
            + slots * spec.verification.verifierRewardMicroUSDT
    }

    /// The verifier reward when a requester names none: 5% of the reward, at least 1 micro-USDT.
    public static func defaultVerifierReward(reward: Int64) -> Int64 { max(1, reward / 20) }
}
