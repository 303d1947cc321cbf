/// What the platform tells connected workers and requesters. Published after the transaction that
/// caused it commits.
public enum Event: Sendable, Equatable, Codable {
    /// A task became claimable: posted, reopened or returned by the rescuer.
    case taskAvailable(TaskAvailable)
    /// A lease is close to running out; the holder should heartbeat.
    case claimExpiring(claim: ClaimID, task: TaskID, worker: WorkerID, leaseExpiresAtMillis: Int64)
    /// A submission reached an outcome.
    case submissionVerdict(submission: SubmissionID, task: TaskID, worker: WorkerID, requester: OwnerID, outcome: Outcome)
    /// Money arrived in an account.
    case ledgerCredited(account: AccountID, owner: OwnerID, worker: WorkerID?, amountMicroUSDT: Int64, reason: TransferReason, task: TaskID?)

    public struct TaskAvailable: Sendable, Equatable, Codable {
        public var task: TaskID
        public var taskType: String
        public var requiredCapabilities: String
        public var rewardMicroUSDT: Int64
        public var humanOnly: Bool
        /// Verification slots are never offered to the submitter's owner.
        public var excludedOwner: OwnerID?
        /// Delegated sub-tasks are offered only to the fleet of this master (and, when named, only to `assignee`).
        public var fleetMaster: WorkerID?
        public var assignee: WorkerID?
        public init(task: TaskID, taskType: String, requiredCapabilities: String, rewardMicroUSDT: Int64, humanOnly: Bool, excludedOwner: OwnerID?,
                    fleetMaster: WorkerID? = nil, assignee: WorkerID? = nil) {
            self.fleetMaster = fleetMaster
            self.assignee = assignee
            self.task = task
            self.taskType = taskType
            self.requiredCapabilities = requiredCapabilities
            self.rewardMicroUSDT = rewardMicroUSDT
            self.humanOnly = humanOnly
            self.excludedOwner = excludedOwner
        }

        /// Whether a worker could claim this, so it is only told about work it can take.
        public func matches(capabilities: String, kind: WorkerKind, owner: OwnerID, master: WorkerID? = nil, worker: WorkerID? = nil) -> Bool {
            if let fleetMaster, fleetMaster != master || (assignee != nil && assignee != worker) { return false }
            if humanOnly && kind != .human { return false }
            if excludedOwner == owner { return false }
            return Capabilities.isSubset(requiredCapabilities, of: capabilities)
        }
    }

    public var name: String {
        switch self {
        case .taskAvailable: "task.available"
        case .claimExpiring: "claim.expiring"
        case .submissionVerdict: "submission.verdict"
        case .ledgerCredited: "ledger.credited"
        }
    }
}
