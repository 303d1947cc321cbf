public enum DelegationTag {}
public enum DistributionTag {}
public typealias DelegationID = ID<DelegationTag>
public typealias DistributionID = ID<DistributionTag>

/// Where the rewards of delegated sub-tasks come from.
public enum DelegationFunding: String, Sendable, Codable, CaseIterable {
    /// Set aside from the parent's reward: sub-agents are paid when the parent is approved, and what
    /// the sub-tasks did not spend goes to the master with the parent's reward.
    case parentEscrow = "parent_escrow"
    /// Held from the master's own earnings: sub-agents are paid as soon as their sub-task is done.
    case masterBalance = "master_balance"
}

public enum DelegationStrategy: String, Sendable, Codable, CaseIterable {
    case fanOut = "fan_out"
}
