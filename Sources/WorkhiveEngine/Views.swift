import WorkhiveCore

// What engine operations return, and what the API encodes (snake_case keys) as it is.

public struct OwnerView: Sendable, Codable, Equatable {
    public var id: OwnerID
    public var name: String
    public var role: String
    public var createdAtMillis: Int64
}

public struct WorkerView: Sendable, Codable, Equatable {
    public var id: WorkerID
    public var ownerId: OwnerID
    public var name: String
    public var kind: WorkerKind
    public var capabilities: [String]
    public var status: WorkerStatus
    public var suspended: Bool
    public var lastHeartbeatAtMillis: Int64?
    public var createdAtMillis: Int64
    /// Fleets: the master of a sub-agent, whether its master paused it, when it was removed, and the
    /// wallet address it withdraws to.
    public var masterWorkerId: WorkerID? = nil
    public var paused: Bool = false
    public var removedAtMillis: Int64? = nil
    public var walletAddress: String? = nil
    /// An agent's declared model family (see panels in docs/api.md, "Trust").
    public var modelFamily: String? = nil
}

/// A credential shown once: only its hash is stored.
public struct Credentials<Subject: Sendable & Codable & Equatable>: Sendable, Codable, Equatable {
    public var apiKey: String
    public var subject: Subject
}

/// Fixed: `verifiers` (n) and `quorum` (k). Adaptive: `min_votes`..`max_votes` (stored as quorum and
/// verifiers) until `target_confidence`.
public struct VerificationPolicyView: Sendable, Codable, Equatable {
    public var verifiers: Int
    public var quorum: Int
    public var spotCheckRate: Double
    public var verifierRewardMicroUSDT: Int64
    public var mode: VerificationMode = .fixed
    public var targetConfidence: Double? = nil
    public var minVotes: Int? = nil
    public var maxVotes: Int? = nil
    /// Trust-adaptive spot checks: the rate for new or doubtful submitters (`spot_check_rate` is the
    /// rate for proven ones).
    public var spotCheckMaxRate: Double? = nil

    public init(verifiers: Int, quorum: Int, spotCheckRate: Double, verifierRewardMicroUSDT: Int64, mode: VerificationMode = .fixed,
                targetConfidence: Double = 0, spotCheckMaxRate: Double? = nil) {
        self.verifiers = verifiers
        self.quorum = quorum
        self.spotCheckRate = spotCheckRate
        self.verifierRewardMicroUSDT = verifierRewardMicroUSDT
        self.mode = mode
        self.spotCheckMaxRate = spotCheckMaxRate
        if mode == .adaptive {
            self.targetConfidence = targetConfidence
            self.minVotes = quorum
            self.maxVotes = verifiers
        }
    }
}

public struct TaskView: Sendable, Codable, Equatable {
    public var id: TaskID
    public var requesterId: OwnerID
    public var taskType: String
    public var title: String
    public var instructions: String
    public var payload: JSONValue
    public var requiredCapabilities: [String]
    public var rewardMicroUSDT: Int64
    public var leaseSeconds: Int
    public var maxAttempts: Int
    public var deadlineAtMillis: Int64?
    public var priority: Int
    public var visibility: Visibility
    public var verification: VerificationPolicyView
    public var state: TaskState
    public var attempts: Int
    public var failureReason: String?
    /// For verification slots: the work task and submission under review, and whether the slot is
    /// reserved for humans.
    public var parentTaskId: TaskID?
    public var submissionId: SubmissionID?
    public var humanOnly: Bool
    public var createdAtMillis: Int64
    public var updatedAtMillis: Int64
    /// For delegated sub-tasks: the master whose fleet may claim it, the one sub-agent it is for (if
    /// named), and its delegation.
    public var fleetMasterId: WorkerID? = nil
    public var assigneeId: WorkerID? = nil
    public var delegationId: DelegationID? = nil
}

public struct BlobView: Sendable, Codable, Equatable {
    public var sha256: String
    public var size: Int64
    public var mediaType: String
}

public struct SubmissionView: Sendable, Codable, Equatable {
    public var id: SubmissionID
    public var taskId: TaskID
    public var workerId: WorkerID
    public var attempt: Int
    public var state: String
    public var approvals: Int
    public var rejections: Int
    public var result: JSONValue
    public var proofs: [String]
    public var createdAtMillis: Int64
    public var decidedAtMillis: Int64?
}

public struct VoteView: Sendable, Codable, Equatable {
    public var submissionId: SubmissionID
    public var slotTaskId: TaskID
    public var verifierId: WorkerID
    public var verdict: Verdict
    public var reason: String
    public var paid: Bool
    public var createdAtMillis: Int64
}

/// What a verifier sees with a verification claim: the work under review beside its instructions.
public struct ReviewView: Sendable, Codable, Equatable {
    public var task: TaskView
    public var submission: SubmissionView
}

public struct ClaimView: Sendable, Codable, Equatable {
    public var claimId: ClaimID
    public var workerId: WorkerID
    public var task: TaskView
    public var attempt: Int
    public var leaseExpiresAtMillis: Int64
    /// Present when the claimed task is a verification slot.
    public var review: ReviewView?
}

public struct LeaseView: Sendable, Codable, Equatable {
    public var claimId: ClaimID
    public var leaseExpiresAtMillis: Int64
}

public struct TransferView: Sendable, Codable, Equatable {
    public var id: TransferID
    public var kind: TransferKind
    public var reason: TransferReason
    /// Positive when money came in, negative when it went out (pending holds count as out).
    public var amountMicroUSDT: Int64
    public var taskId: TaskID?
    public var createdAtMillis: Int64
}

public struct BalanceView: Sendable, Codable, Equatable {
    public var accountId: AccountID
    public var kind: AccountKind
    public var workerId: WorkerID?
    public var balanceMicroUSDT: Int64
    public var heldMicroUSDT: Int64
    public var availableMicroUSDT: Int64
}

public struct WalletView: Sendable, Codable, Equatable {
    public var accounts: [BalanceView]
    public var history: [TransferView]
}

public struct LedgerTotalsView: Sendable, Codable, Equatable {
    public var debitsPosted: Int64
    public var creditsPosted: Int64
    public var debitsPending: Int64
    public var creditsPending: Int64
    public var platformFeesMicroUSDT: Int64
    public var depositsMicroUSDT: Int64
    public var escrowHeldMicroUSDT: Int64
    public var balanced: Bool
}
