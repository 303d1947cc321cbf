/// States of a task row. Work tasks move open → claimed → verifying → approved | rejected | failed,
/// and back to open when a lease expires or a submission is rejected with attempts left; verification
/// slots (type `verify`) move open → claimed → done, or to cancelled once consensus no longer needs them.
/// docs/state-machines.md draws both.
public enum TaskState: String, Sendable, Codable, CaseIterable {
    case open, claimed, verifying, approved, rejected, failed, cancelled, done

    /// No further transitions; escrow may be released.
    public var isFinal: Bool {
        switch self {
        case .approved, .rejected, .failed, .cancelled, .done: true
        case .open, .claimed, .verifying: false
        }
    }
}

public enum Visibility: String, Sendable, Codable { case `public`, `private` }

/// Fixed k-of-n, or adaptive: slots opened one at a time, votes weighted by the verifiers' estimated
/// accuracy, until the leading verdict is confident enough (see `AdaptiveConsensus`).
public enum VerificationMode: String, Sendable, Codable, CaseIterable { case fixed, adaptive }

/// How a submission is verified. Fixed: `verifiers` (n) slots, `quorum` (k) approvals approve and
/// n-k+1 rejections reject; n = 0 approves at once. Adaptive: `quorum` is the least and `verifiers`
/// the most votes, and the verdict is reached at `targetConfidence`. With probability
/// `spotCheckRate` one slot is reserved for a human. Escrow always holds `verifiers` rewards per attempt.
public struct VerificationPolicy: Sendable, Equatable, Codable {
    public var verifiers: Int
    public var quorum: Int
    public var spotCheckRate: Double
    public var verifierRewardMicroUSDT: Int64
    public var mode: VerificationMode
    /// Adaptive only: the posterior probability of the leading verdict at which voting stops.
    public var targetConfidence: Double
    /// When set, spot checks are trust-adaptive: `spotCheckRate` is the rate for proven submitters
    /// and this the rate for new or doubtful ones (see `TrustPolicy.spotCheckRate`).
    public var spotCheckMaxRate: Double?

    public init(verifiers: Int, quorum: Int, spotCheckRate: Double, verifierRewardMicroUSDT: Int64,
                mode: VerificationMode = .fixed, targetConfidence: Double = 0, spotCheckMaxRate: Double? = nil) {
        self.verifiers = verifiers
        self.quorum = quorum
        self.spotCheckRate = spotCheckRate
        self.verifierRewardMicroUSDT = verifierRewardMicroUSDT
        self.mode = mode
        self.targetConfidence = targetConfidence
        self.spotCheckMaxRate = spotCheckMaxRate
    }

    /// `{"mode": "adaptive", "target_confidence": t, "min_votes": min, "max_votes": max}`.
    public static func adaptive(targetConfidence: Double, minVotes: Int, maxVotes: Int, spotCheckRate: Double = 0,
                                verifierRewardMicroUSDT: Int64) -> VerificationPolicy {
        VerificationPolicy(verifiers: maxVotes, quorum: minVotes, spotCheckRate: spotCheckRate, verifierRewardMicroUSDT: verifierRewardMicroUSDT,
                           mode: .adaptive, targetConfidence: targetConfidence)
    }

    public var minVotes: Int { quorum }
    public var maxVotes: Int { verifiers }

    public static let maxVerifiers = 15

    public func validate() throws(WorkhiveError) {
        if mode == .adaptive {
            guard (1...Self.maxVerifiers).contains(maxVotes) else {
                throw .invalid("verification.max_votes must be between 1 and \(Self.maxVerifiers)")
            }
            guard (1...maxVotes).contains(minVotes) else {
                throw .invalid("verification.min_votes must be between 1 and max_votes (\(maxVotes))")
            }
            guard targetConfidence.isFinite, targetConfidence > 0.5, targetConfidence < 1 else {
                throw .invalid("verification.target_confidence must be above 0.5 and below 1")
            }
        }
        guard (0...Self.maxVerifiers).contains(verifiers) else {
            throw .invalid("verification.verifiers must be between 0 and \(Self.maxVerifiers)")
        }
        if verifiers == 0 {
            guard quorum == 0 else { throw .invalid("verification.quorum must be 0 when verifiers is 0") }
        } else {
            guard (1...verifiers).contains(quorum) else {
                throw .invalid("verification.quorum must be between 1 and verifiers (\(verifiers))")
            }
        }
        guard spotCheckRate.isFinite, (0...1).contains(spotCheckRate) else {
            throw .invalid("verification.spot_check_rate must be between 0 and 1")
        }
        if let spotCheckMaxRate {
            guard spotCheckMaxRate.isFinite, (spotCheckRate...1).contains(spotCheckMaxRate) else {
                throw .invalid("verification.spot_check_max_rate must be between spot_check_rate and 1")
            }
            guard verifiers > 0 else { throw .invalid("verification.spot_check_max_rate needs verifiers") }
        }
        guard verifierRewardMicroUSDT >= 0 else {
            throw .invalid("verification.verifier_reward_micro_usdt must not be negative")
        }
    }

    /// Rejections that make approval impossible: n - k + 1.
    public var rejectionsToReject: Int { verifiers - quorum + 1 }
}

/// A validated task as a requester posts it. Construction checks every field, so the engine only ever
/// sees tasks that make sense.
public struct TaskSpec: Sendable, Equatable {
    public static let maxPayloadBytes = 256 * 1024
    public static let maxRewardMicroUSDT: Int64 = 1_000_000_000_000  // one million USDT

    public var taskType: String
    public var title: String
    public var instructions: String
    public var payloadJSON: String
    public var requiredCapabilities: Capabilities
    public var rewardMicroUSDT: Int64
    public var leaseSeconds: Int
    public var maxAttempts: Int
    public var deadlineAtMillis: Int64?
    public var priority: Int
    public var visibility: Visibility
    public var verification: VerificationPolicy
    /// A gold task: the result the requester knows to be right (canonical JSON). A submission whose
    /// result equals it deserves approval and any other deserves rejection, whatever the votes say;
    /// the votes and the submission then teach reputations with certainty. Never shown to workers.
    public var goldResultJSON: String? = nil

    public init(
        taskType: String, title: String, instructions: String, payloadJSON: String,
        requiredCapabilities: Capabilities, rewardMicroUSDT: Int64, leaseSeconds: Int, maxAttempts: Int,
        deadlineAtMillis: Int64?, priority: Int, visibility: Visibility, verification: VerificationPolicy,
        nowMillis: Int64
    ) throws(WorkhiveError) {
        try TaskType.validate(taskType)
        guard !title.isEmpty, title.count <= 200 else { throw .invalid("title must be 1-200 characters") }
        guard instructions.utf8.count <= 20_000 else { throw .invalid("instructions must be at most 20000 bytes") }
        guard payloadJSON.utf8.count <= Self.maxPayloadBytes else {
            throw .invalid("payload must be at most \(Self.maxPayloadBytes) bytes of JSON")
        }
        guard rewardMicroUSDT > 0, rewardMicroUSDT <= Self.maxRewardMicroUSDT else {
            throw .invalid("reward_micro_usdt must be between 1 and \(Self.maxRewardMicroUSDT)")
        }
        guard (5...86_400).contains(leaseSeconds) else { throw .invalid("lease_seconds must be between 5 and 86400") }
        guard (1...20).contains(maxAttempts) else { throw .invalid("max_attempts must be between 1 and 20") }
        // (Verification slots allow up to 100 claims; claim ids reserve 7 bits for the attempt.)
        guard (-1000...1000).contains(priority) else { throw .invalid("priority must be between -1000 and 1000") }
        if let deadlineAtMillis, deadlineAtMillis <= nowMillis {
            throw .invalid("deadline must be in the future")
        }
        try verification.validate()
        guard verification.verifierRewardMicroUSDT <= Self.maxRewardMicroUSDT else {
            throw .invalid("verification.verifier_reward_micro_usdt is too large")
        }
        self.taskType = taskType
        self.title = title
        self.instructions = instructions
        self.payloadJSON = payloadJSON
        self.requiredCapabilities = requiredCapabilities
        self.rewardMicroUSDT = rewardMicroUSDT
        self.leaseSeconds = leaseSeconds
        self.maxAttempts = maxAttempts
        self.deadlineAtMillis = deadlineAtMillis
        self.priority = priority
        self.visibility = visibility
        self.verification = verification
    }
}
