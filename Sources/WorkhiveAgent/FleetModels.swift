// Fleet and delegation models as the API returns them (snake_case keys).

/// How a master combines its sub-tasks' results.
public enum AggregationMethod: String, Sendable, Codable, CaseIterable {
    case mergeJSON = "merge_json", concat, majority, first, none
}

/// Where sub-task rewards come from: set aside from the parent's reward, or the master's earnings.
public enum DelegationFunding: String, Sendable, Codable, CaseIterable {
    case parentEscrow = "parent_escrow", masterBalance = "master_balance"
}

/// How a master shares its earnings with its sub-agents.
public enum FleetSplit: String, Sendable, Codable, CaseIterable {
    case equal, perSubTask = "per_sub_task", explicit
}

/// A sub-task as the master asks for it. Without `assignee` any sub-agent of the fleet may take it.
public struct NewSubTask: Sendable, Hashable, Encodable {
    public var payload: JSON
    public var rewardMicroUSDT: Int64
    public var title: String?
    public var instructions: String?
    public var taskType: String?
    public var requiredCapabilities: [String]?
    public var assignee: Int64?
    public var leaseSeconds: Int?
    public var maxAttempts: Int?
    public var deadlineAtMillis: Int64?

    public init(payload: JSON, rewardMicroUSDT: Int64, title: String? = nil, instructions: String? = nil, taskType: String? = nil,
                requiredCapabilities: [String]? = nil, assignee: Int64? = nil, leaseSeconds: Int? = nil, maxAttempts: Int? = nil,
                deadlineAtMillis: Int64? = nil) {
        self.payload = payload
        self.rewardMicroUSDT = rewardMicroUSDT
        self.title = title
        self.instructions = instructions
        self.taskType = taskType
        self.requiredCapabilities = requiredCapabilities
        self.assignee = assignee
        self.leaseSeconds = leaseSeconds
        self.maxAttempts = maxAttempts
        self.deadlineAtMillis = deadlineAtMillis
    }

    enum CodingKeys: String, CodingKey {
        case payload, title, instructions, assignee
        case rewardMicroUSDT = "reward_micro_usdt"
        case taskType = "task_type"
        case requiredCapabilities = "required_capabilities"
        case leaseSeconds = "lease_seconds"
        case maxAttempts = "max_attempts"
        case deadlineAtMillis = "deadline_at_millis"
    }
}

/// One slot of a delegation: its current sub-task and, once done, its result.
public struct SubTaskStatus: Sendable, Hashable, Decodable {
    public var slot: Int
    public var taskId: Int64
    public var state: TaskState
    public var done: Bool
    public var assigneeId: Int64?
    public var workerId: Int64?
    public var attempts: Int
    public var maxAttempts: Int
    public var retries: Int
    public var failureReason: String?
    public var rewardMicroUSDT: Int64
    public var deadlineAtMillis: Int64?
    public var result: JSON?

    enum CodingKeys: String, CodingKey {
        case slot, state, done, attempts, retries, result
        case taskId = "task_id"
        case assigneeId = "assignee_id"
        case workerId = "worker_id"
        case maxAttempts = "max_attempts"
        case failureReason = "failure_reason"
        case rewardMicroUSDT = "reward_micro_usdt"
        case deadlineAtMillis = "deadline_at_millis"
    }
}

/// A master's fan-out of one claim: `state` is `running`, `needs_retry` or `complete`; `aggregate`
/// is present once complete (or `aggregationError` says why it could not be formed).
public struct Delegation: Sendable, Hashable, Decodable, Identifiable {
    public var id: Int64
    public var parentTaskId: Int64
    public var parentClaimId: Int64
    public var masterWorkerId: Int64
    public var aggregationMethod: AggregationMethod
    public var funding: DelegationFunding
    public var state: String
    public var done: Int
    public var failed: Int
    public var running: Int
    public var subTasks: [SubTaskStatus]
    public var aggregate: JSON?
    public var aggregationError: String?

    public var isComplete: Bool { state == "complete" }

    enum CodingKeys: String, CodingKey {
        case id, funding, state, done, failed, running, aggregate
        case parentTaskId = "parent_task_id"
        case parentClaimId = "parent_claim_id"
        case masterWorkerId = "master_worker_id"
        case aggregationMethod = "aggregation_method"
        case subTasks = "sub_tasks"
        case aggregationError = "aggregation_error"
    }
}

public struct FleetMember: Sendable, Hashable, Decodable {
    public var worker: WorkerProfile
    public var earningsMicroUSDT: Int64
    public var currentClaims: Int
    public var subTasksDone: Int
    enum CodingKeys: String, CodingKey {
        case worker
        case earningsMicroUSDT = "earnings_micro_usdt"
        case currentClaims = "current_claims"
        case subTasksDone = "sub_tasks_done"
    }
}

/// The master's view of its fleet.
public struct FleetStatus: Sendable, Hashable, Decodable {
    public var master: WorkerProfile
    public var masterAvailableMicroUSDT: Int64
    public var subAgents: [FleetMember]
    public var active: Int
    public var paused: Int
    public var removed: Int
    public var currentClaims: Int
    public var earningsMicroUSDT: Int64
    enum CodingKeys: String, CodingKey {
        case master, active, paused, removed
        case masterAvailableMicroUSDT = "master_available_micro_usdt"
        case subAgents = "sub_agents"
        case currentClaims = "current_claims"
        case earningsMicroUSDT = "earnings_micro_usdt"
    }
}

public struct FleetShare: Sendable, Hashable, Codable {
    public var workerId: Int64
    public var amountMicroUSDT: Int64
    public init(workerId: Int64, amountMicroUSDT: Int64) {
        self.workerId = workerId
        self.amountMicroUSDT = amountMicroUSDT
    }
    enum CodingKeys: String, CodingKey {
        case workerId = "worker_id"
        case amountMicroUSDT = "amount_micro_usdt"
    }
}

public struct Distribution: Sendable, Hashable, Decodable {
    public var id: Int64
    public var split: FleetSplit
    public var amountMicroUSDT: Int64
    public var distributedMicroUSDT: Int64
    public var keptMicroUSDT: Int64
    public var shares: [FleetShare]
    enum CodingKeys: String, CodingKey {
        case id, split, shares
        case amountMicroUSDT = "amount_micro_usdt"
        case distributedMicroUSDT = "distributed_micro_usdt"
        case keptMicroUSDT = "kept_micro_usdt"
    }
}
