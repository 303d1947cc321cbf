import WorkhiveCore

/// One slot of a delegation: its current sub-task (a retry replaces a failed one) and its result.
public struct SubTaskView: Sendable, Codable, Equatable {
    public var slot: Int
    public var taskId: TaskID
    public var state: TaskState
    /// Whether the sub-task has a result (for `parent_escrow` funding it is paid with the parent).
    public var done: Bool
    public var assigneeId: WorkerID?
    public var workerId: WorkerID?
    public var attempts: Int
    public var maxAttempts: Int
    public var retries: Int
    public var failureReason: String?
    public var rewardMicroUSDT: Int64
    public var deadlineAtMillis: Int64?
    public var result: JSONValue?
}

public struct DelegationView: Sendable, Codable, Equatable {
    public var id: DelegationID
    public var parentTaskId: TaskID
    public var parentClaimId: ClaimID
    public var masterWorkerId: WorkerID
    public var delegationStrategy: DelegationStrategy
    public var aggregationMethod: AggregationMethod
    public var funding: DelegationFunding
    /// `running`, `needs_retry` (a sub-task failed or timed out; retry it) or `complete`.
    public var state: String
    public var done: Int
    public var failed: Int
    public var running: Int
    public var subTasks: [SubTaskView]
    /// Present once the aggregate is ready (all done, or the first for `first`).
    public var aggregate: JSONValue?
    public var aggregationError: String?
    public var createdAtMillis: Int64
}

/// A sub-agent as its master sees it.
public struct FleetMemberView: Sendable, Codable, Equatable {
    public var worker: WorkerView
    public var earningsMicroUSDT: Int64
    public var currentClaims: Int
    public var subTasksDone: Int
}

public struct FleetView: Sendable, Codable, Equatable {
    public var master: WorkerView
    public var masterAvailableMicroUSDT: Int64
    public var subAgents: [FleetMemberView]
    public var active: Int
    public var paused: Int
    public var removed: Int
    public var currentClaims: Int
    public var earningsMicroUSDT: Int64
}

public struct FleetShareView: Sendable, Codable, Equatable {
    public var workerId: WorkerID
    public var amountMicroUSDT: Int64
    public init(workerId: WorkerID, amountMicroUSDT: Int64) {
        self.workerId = workerId
        self.amountMicroUSDT = amountMicroUSDT
    }
}

public struct DistributionView: Sendable, Codable, Equatable {
    public var id: DistributionID
    public var split: FleetSplit
    public var amountMicroUSDT: Int64
    public var distributedMicroUSDT: Int64
    /// What rounding left with the master.
    public var keptMicroUSDT: Int64
    public var delegationId: DelegationID?
    public var shares: [FleetShareView]
    public var createdAtMillis: Int64
}
