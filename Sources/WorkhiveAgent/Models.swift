// Work models as the API returns them (snake_case keys). Decoding is tolerant: fields the server may
// leave out (nil values, or fields added later to requests of older servers) fall back to defaults, so
// only identity fields are required.

/// How a submission of a task is verified: `verifiers` slots, `quorum` approvals to approve.
public struct VerificationPolicy: Sendable, Hashable, Codable {
    public var verifiers: Int
    public var quorum: Int
    public var spotCheckRate: Double
    public var verifierRewardMicroUSDT: Int64

    public init(verifiers: Int, quorum: Int, spotCheckRate: Double = 0, verifierRewardMicroUSDT: Int64 = 0) {
        self.verifiers = verifiers
        self.quorum = quorum
        self.spotCheckRate = spotCheckRate
        self.verifierRewardMicroUSDT = verifierRewardMicroUSDT
    }

    enum CodingKeys: String, CodingKey {
        case verifiers, quorum
        case spotCheckRate = "spot_check_rate"
        case verifierRewardMicroUSDT = "verifier_reward_micro_usdt"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        verifiers = try c.value(.verifiers, default: 0)
        quorum = try c.value(.quorum, default: 0)
        spotCheckRate = try c.value(.spotCheckRate, default: 0)
        verifierRewardMicroUSDT = try c.value(.verifierRewardMicroUSDT, default: 0)
    }
}

/// A task (named so as not to clash with Swift's `Task`): work a requester posted, or a verification
/// slot (`taskType == "verify"`) opened for a submission.
public struct WorkTask: Sendable, Hashable, Codable, Identifiable {
    public var id: Int64
    public var requesterId: Int64
    public var taskType: String
    public var title: String
    public var instructions: String
    public var payload: JSON
    public var requiredCapabilities: [String]
    public var rewardMicroUSDT: Int64
    public var leaseSeconds: Int
    public var maxAttempts: Int
    public var deadlineAtMillis: Int64?
    public var priority: Int
    public var visibility: Visibility
    public var verification: VerificationPolicy?
    public var state: TaskState
    public var attempts: Int
    public var failureReason: String?
    /// For verification slots: the work task under review.
    public var parentTaskId: Int64?
    /// For verification slots: the submission under review.
    public var submissionId: Int64?
    public var humanOnly: Bool
    public var createdAtMillis: Int64
    public var updatedAtMillis: Int64

    /// Whether this is a verification slot, answered with a vote.
    public var isVerification: Bool { taskType == TaskTypes.verify }

    /// A task value, for example to unit-test an executor without a server.
    public init(
        id: Int64, requesterId: Int64 = 0, taskType: String, title: String = "", instructions: String = "", payload: JSON = [:],
        requiredCapabilities: [String] = [], rewardMicroUSDT: Int64 = 0, leaseSeconds: Int = 300, maxAttempts: Int = 3,
        deadlineAtMillis: Int64? = nil, priority: Int = 0, visibility: Visibility = .public, verification: VerificationPolicy? = nil,
        state: TaskState = .open, attempts: Int = 0, failureReason: String? = nil, parentTaskId: Int64? = nil,
        submissionId: Int64? = nil, humanOnly: Bool = false, createdAtMillis: Int64 = 0, updatedAtMillis: Int64 = 0
    ) {
        self.id = id
        self.requesterId = requesterId
        self.taskType = taskType
        self.title = title
        self.instructions = instructions
        self.payload = payload
        self.requiredCapabilities = requiredCapabilities
        self.rewardMicroUSDT = rewardMicroUSDT
        self.leaseSeconds = leaseSeconds
        self.maxAttempts = maxAttempts
        self.deadlineAtMillis = deadlineAtMillis
        self.priority = priority
        self.visibility = visibility
        self.verification = verification
        self.state = state
        self.attempts = attempts
        self.failureReason = failureReason
        self.parentTaskId = parentTaskId
        self.submissionId = submissionId
        self.humanOnly = humanOnly
        self.createdAtMillis = createdAtMillis
        self.updatedAtMillis = updatedAtMillis
    }

    enum CodingKeys: String, CodingKey {
        case id, title, instructions, payload, priority, visibility, verification, state, attempts
        case requesterId = "requester_id"
        case taskType = "task_type"
        case requiredCapabilities = "required_capabilities"
        case rewardMicroUSDT = "reward_micro_usdt"
        case leaseSeconds = "lease_seconds"
        case maxAttempts = "max_attempts"
        case deadlineAtMillis = "deadline_at_millis"
        case failureReason = "failure_reason"
        case parentTaskId = "parent_task_id"
        case submissionId = "submission_id"
        case humanOnly = "human_only"
        case createdAtMillis = "created_at_millis"
        case updatedAtMillis = "updated_at_millis"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(Int64.self, forKey: .id)
        requesterId = try c.value(.requesterId, default: 0)
        taskType = try c.decode(String.self, forKey: .taskType)
        title = try c.value(.title, default: "")
        instructions = try c.value(.instructions, default: "")
        payload = try c.value(.payload, default: .object([:]))
        requiredCapabilities = try c.value(.requiredCapabilities, default: [])
        rewardMicroUSDT = try c.value(.rewardMicroUSDT, default: 0)
        leaseSeconds = try c.value(.leaseSeconds, default: 300)
        maxAttempts = try c.value(.maxAttempts, default: 1)
        deadlineAtMillis = try c.decodeIfPresent(Int64.self, forKey: .deadlineAtMillis)
        priority = try c.value(.priority, default: 0)
        visibility = try c.value(.visibility, default: .public)
        verification = try c.decodeIfPresent(VerificationPolicy.self, forKey: .verification)
        state = try c.value(.state, default: .open)
        attempts = try c.value(.attempts, default: 0)
        failureReason = try c.decodeIfPresent(String.self, forKey: .failureReason)
        parentTaskId = try c.decodeIfPresent(Int64.self, forKey: .parentTaskId)
        submissionId = try c.decodeIfPresent(Int64.self, forKey: .submissionId)
        humanOnly = try c.value(.humanOnly, default: false)
        createdAtMillis = try c.value(.createdAtMillis, default: 0)
        updatedAtMillis = try c.value(.updatedAtMillis, default: createdAtMillis)
    }
}

/// A worker's result for a task, with its verification tally.
public struct Submission: Sendable, Hashable, Codable, Identifiable {
    public var id: Int64
    public var taskId: Int64
    public var workerId: Int64
    public var attempt: Int
    public var state: SubmissionState
    public var approvals: Int
    public var rejections: Int
    public var result: JSON
    /// SHA-256 digests of uploaded blobs backing the result.
    public var proofs: [String]
    public var createdAtMillis: Int64
    public var decidedAtMillis: Int64?

    /// A submission value, for example to unit-test a verifier without a server.
    public init(id: Int64, taskId: Int64, workerId: Int64 = 0, attempt: Int = 1, state: SubmissionState = .pending, approvals: Int = 0,
                rejections: Int = 0, result: JSON, proofs: [String] = [], createdAtMillis: Int64 = 0, decidedAtMillis: Int64? = nil) {
        self.id = id
        self.taskId = taskId
        self.workerId = workerId
        self.attempt = attempt
        self.state = state
        self.approvals = approvals
        self.rejections = rejections
        self.result = result
        self.proofs = proofs
        self.createdAtMillis = createdAtMillis
        self.decidedAtMillis = decidedAtMillis
    }

    enum CodingKeys: String, CodingKey {
        case id, attempt, state, approvals, rejections, result, proofs
        case taskId = "task_id"
        case workerId = "worker_id"
        case createdAtMillis = "created_at_millis"
        case decidedAtMillis = "decided_at_millis"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(Int64.self, forKey: .id)
        taskId = try c.decode(Int64.self, forKey: .taskId)
        workerId = try c.value(.workerId, default: 0)
        attempt = try c.value(.attempt, default: 1)
        state = try c.value(.state, default: .pending)
        approvals = try c.value(.approvals, default: 0)
        rejections = try c.value(.rejections, default: 0)
        result = try c.value(.result, default: .null)
        proofs = try c.value(.proofs, default: [])
        createdAtMillis = try c.value(.createdAtMillis, default: 0)
        decidedAtMillis = try c.decodeIfPresent(Int64.self, forKey: .decidedAtMillis)
    }
}

/// What a verifier sees with a verification claim: the work task and the submission under review.
public struct Review: Sendable, Hashable, Codable {
    public var task: WorkTask
    public var submission: Submission

    public init(task: WorkTask, submission: Submission) {
        self.task = task
        self.submission = submission
    }
}

/// A leased task: the claimant must submit (or vote) before `leaseExpiresAtMillis`, renewing the
/// lease with heartbeats during long work.
public struct Claim: Sendable, Hashable, Codable, Identifiable {
    public var claimId: Int64
    public var workerId: Int64
    public var task: WorkTask
    public var attempt: Int
    public var leaseExpiresAtMillis: Int64
    /// Present when the claimed task is a verification slot.
    public var review: Review?

    public var id: Int64 { claimId }
    /// Whether this claim is a verification slot, answered with a vote.
    public var isVerification: Bool { review != nil || task.isVerification }

    /// A claim value, for example to unit-test an executor without a server.
    public init(claimId: Int64, workerId: Int64 = 0, task: WorkTask, attempt: Int = 1, leaseExpiresAtMillis: Int64, review: Review? = nil) {
        self.claimId = claimId
        self.workerId = workerId
        self.task = task
        self.attempt = attempt
        self.leaseExpiresAtMillis = leaseExpiresAtMillis
        self.review = review
    }

    enum CodingKeys: String, CodingKey {
        case task, attempt, review
        case claimId = "claim_id"
        case workerId = "worker_id"
        case leaseExpiresAtMillis = "lease_expires_at_millis"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        claimId = try c.decode(Int64.self, forKey: .claimId)
        workerId = try c.value(.workerId, default: 0)
        task = try c.decode(WorkTask.self, forKey: .task)
        attempt = try c.value(.attempt, default: 1)
        leaseExpiresAtMillis = try c.decode(Int64.self, forKey: .leaseExpiresAtMillis)
        review = try c.decodeIfPresent(Review.self, forKey: .review)
    }
}

/// A renewed lease.
public struct Lease: Sendable, Hashable, Codable {
    public var claimId: Int64
    public var leaseExpiresAtMillis: Int64

    enum CodingKeys: String, CodingKey {
        case claimId = "claim_id"
        case leaseExpiresAtMillis = "lease_expires_at_millis"
    }
}

/// A verifier's vote on a submission.
public struct Vote: Sendable, Hashable, Codable {
    public var submissionId: Int64
    public var slotTaskId: Int64
    public var verifierId: Int64
    public var verdict: Verdict
    public var reason: String
    /// Whether the vote agreed with the outcome and its reward was paid.
    public var paid: Bool
    public var createdAtMillis: Int64

    enum CodingKeys: String, CodingKey {
        case verdict, reason, paid
        case submissionId = "submission_id"
        case slotTaskId = "slot_task_id"
        case verifierId = "verifier_id"
        case createdAtMillis = "created_at_millis"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        submissionId = try c.decode(Int64.self, forKey: .submissionId)
        slotTaskId = try c.value(.slotTaskId, default: 0)
        verifierId = try c.value(.verifierId, default: 0)
        verdict = try c.decode(Verdict.self, forKey: .verdict)
        reason = try c.value(.reason, default: "")
        paid = try c.value(.paid, default: false)
        createdAtMillis = try c.value(.createdAtMillis, default: 0)
    }
}

/// An uploaded proof artifact, named by the SHA-256 of its bytes.
public struct Blob: Sendable, Hashable, Codable {
    public var sha256: String
    public var size: Int64
    public var mediaType: String

    enum CodingKeys: String, CodingKey {
        case sha256, size
        case mediaType = "media_type"
    }
}

extension KeyedDecodingContainer {
    /// The value under `key`, or `fallback` when the key is missing or null.
    func value<T: Decodable>(_ key: Key, default fallback: @autoclosure () -> T) throws -> T {
        try decodeIfPresent(T.self, forKey: key) ?? fallback()
    }
}
