import Foundation

/// What the server pushes on `GET /v1/events`, decoded from `{"type": ..., "data": {...}}` frames.
public enum WorkhiveEvent: Sendable, Hashable {
    /// A task this worker could claim became available (posted, reopened, or returned by the rescuer).
    case taskAvailable(TaskAvailable)
    /// This worker's lease is close to running out: renew it.
    case claimExpiring(ClaimExpiring)
    /// A submission (this worker's, or on this requester's task) was decided.
    case submissionVerdict(SubmissionVerdict)
    /// Money arrived in one of the caller's accounts.
    case ledgerCredited(LedgerCredited)
    /// A type this SDK does not know, kept as it came.
    case unknown(type: String, data: JSON)

    /// The wire name of the event type (`task.available`, ...).
    public var type: String {
        switch self {
        case .taskAvailable: "task.available"
        case .claimExpiring: "claim.expiring"
        case .submissionVerdict: "submission.verdict"
        case .ledgerCredited: "ledger.credited"
        case .unknown(let type, _): type
        }
    }

    /// `task.available`.
    public struct TaskAvailable: Sendable, Hashable {
        public var taskId: Int64
        public var taskType: String
        public var rewardMicroUSDT: Int64
        public var requiredCapabilities: [String]
        public var humanOnly: Bool

        public init(taskId: Int64, taskType: String, rewardMicroUSDT: Int64, requiredCapabilities: [String] = [], humanOnly: Bool = false) {
            self.taskId = taskId
            self.taskType = taskType
            self.rewardMicroUSDT = rewardMicroUSDT
            self.requiredCapabilities = requiredCapabilities
            self.humanOnly = humanOnly
        }
    }

    /// `claim.expiring`.
    public struct ClaimExpiring: Sendable, Hashable {
        public var claimId: Int64
        public var taskId: Int64
        public var workerId: Int64
        public var leaseExpiresAtMillis: Int64

        public init(claimId: Int64, taskId: Int64, workerId: Int64, leaseExpiresAtMillis: Int64) {
            self.claimId = claimId
            self.taskId = taskId
            self.workerId = workerId
            self.leaseExpiresAtMillis = leaseExpiresAtMillis
        }
    }

    /// `submission.verdict`; `outcome` is `approved` or `rejected`.
    public struct SubmissionVerdict: Sendable, Hashable {
        public var submissionId: Int64
        public var taskId: Int64
        public var workerId: Int64
        public var outcome: SubmissionState

        public init(submissionId: Int64, taskId: Int64, workerId: Int64, outcome: SubmissionState) {
            self.submissionId = submissionId
            self.taskId = taskId
            self.workerId = workerId
            self.outcome = outcome
        }
    }

    /// `ledger.credited`; `reason` is `deposit`, `reward`, `verifier_reward`, ...
    public struct LedgerCredited: Sendable, Hashable {
        public var accountId: Int64
        public var amountMicroUSDT: Int64
        public var reason: String
        public var workerId: Int64?
        public var taskId: Int64?

        public init(accountId: Int64, amountMicroUSDT: Int64, reason: String, workerId: Int64? = nil, taskId: Int64? = nil) {
            self.accountId = accountId
            self.amountMicroUSDT = amountMicroUSDT
            self.reason = reason
            self.workerId = workerId
            self.taskId = taskId
        }
    }

    /// Decodes one text frame; nil when it is not a JSON object with a string `type`.
    public init?(frame text: String) {
        guard let json = try? JSONDecoderBox.decode(text), let type = json["type"]?.stringValue else { return nil }
        let data = json["data"] ?? .object([:])
        func int(_ key: String) -> Int64 { data[key]?.intValue ?? 0 }
        switch type {
        case "task.available":
            self = .taskAvailable(.init(
                taskId: int("task_id"), taskType: data["task_type"]?.stringValue ?? "", rewardMicroUSDT: int("reward_micro_usdt"),
                requiredCapabilities: data["required_capabilities"]?.arrayValue?.compactMap(\.stringValue) ?? [],
                humanOnly: data["human_only"]?.boolValue ?? false))
        case "claim.expiring":
            self = .claimExpiring(.init(claimId: int("claim_id"), taskId: int("task_id"), workerId: int("worker_id"),
                                        leaseExpiresAtMillis: int("lease_expires_at_millis")))
        case "submission.verdict":
            self = .submissionVerdict(.init(submissionId: int("submission_id"), taskId: int("task_id"), workerId: int("worker_id"),
                                            outcome: SubmissionState(rawValue: data["outcome"]?.stringValue ?? "")))
        case "ledger.credited":
            self = .ledgerCredited(.init(accountId: int("account_id"), amountMicroUSDT: int("amount_micro_usdt"),
                                         reason: data["reason"]?.stringValue ?? "", workerId: data["worker_id"]?.intValue,
                                         taskId: data["task_id"]?.intValue))
        default:
            self = .unknown(type: type, data: data)
        }
    }
}

enum JSONDecoderBox {
    static func decode(_ text: String) throws -> JSON {
        try JSONDecoder().decode(JSON.self, from: Data(text.utf8))
    }
}
