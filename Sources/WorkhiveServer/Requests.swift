import Foundation
import WorkhiveCore
import WorkhiveEngine

// Request bodies of the API, decoded from snake_case JSON. Defaults for optional fields live here.

struct CreateOwnerRequest: Decodable {
    var name: String
}

struct CreateWorkerRequest: Decodable {
    var name: String
    var kind: WorkerKind
    var capabilities: [String]?
    var modelFamily: String?
    enum CodingKeys: String, CodingKey {
        case name, kind, capabilities
        case modelFamily = "model_family"
    }
}

struct WorkerHeartbeatRequest: Decodable {
    var status: WorkerStatus
}

struct DepositRequest: Decodable {
    var amountMicroUSDT: Int64
    var ownerId: OwnerID?
    enum CodingKeys: String, CodingKey {
        case amountMicroUSDT = "amount_micro_usdt"
        case ownerId = "owner_id"
    }
}

struct VerificationRequest: Decodable {
    var mode: VerificationMode?
    var verifiers: Int?
    var quorum: Int?
    var spotCheckRate: Double?
    var spotCheckMaxRate: Double?
    var verifierRewardMicroUSDT: Int64?
    var targetConfidence: Double?
    var minVotes: Int?
    var maxVotes: Int?
    enum CodingKeys: String, CodingKey {
        case mode, verifiers, quorum
        case spotCheckRate = "spot_check_rate"
        case spotCheckMaxRate = "spot_check_max_rate"
        case verifierRewardMicroUSDT = "verifier_reward_micro_usdt"
        case targetConfidence = "target_confidence"
        case minVotes = "min_votes"
        case maxVotes = "max_votes"
    }

    /// The policy asked for, with the documented defaults: fixed 2-of-3, or adaptive to 0.95 with
    /// 1 to 5 votes. Fields of the other mode are refused rather than ignored.
    func policy(reward: Int64) throws -> VerificationPolicy {
        let verifierReward = verifierRewardMicroUSDT ?? FeePolicy.defaultVerifierReward(reward: reward)
        switch mode ?? .fixed {
        case .fixed:
            guard targetConfidence == nil, minVotes == nil, maxVotes == nil else {
                throw WorkhiveError.invalid("verification.target_confidence, min_votes and max_votes need \"mode\": \"adaptive\"")
            }
            let verifiers = verifiers ?? 3
            return VerificationPolicy(verifiers: verifiers, quorum: quorum ?? (verifiers == 0 ? 0 : verifiers / 2 + 1),
                                      spotCheckRate: spotCheckRate ?? 0, verifierRewardMicroUSDT: verifierReward, spotCheckMaxRate: spotCheckMaxRate)
        case .adaptive:
            guard verifiers == nil, quorum == nil else {
                throw WorkhiveError.invalid("an adaptive policy takes min_votes and max_votes, not verifiers and quorum")
            }
            var policy = VerificationPolicy.adaptive(targetConfidence: targetConfidence ?? 0.95, minVotes: minVotes ?? 1, maxVotes: maxVotes ?? 5,
                                                     spotCheckRate: spotCheckRate ?? 0, verifierRewardMicroUSDT: verifierReward)
            policy.spotCheckMaxRate = spotCheckMaxRate
            return policy
        }
    }
}

struct PostTaskRequest: Decodable {
    var taskType: String
    var title: String
    var instructions: String?
    var payload: JSONValue?
    var requiredCapabilities: [String]?
    var rewardMicroUSDT: Int64
    var leaseSeconds: Int?
    var maxAttempts: Int?
    var deadlineAtMillis: Int64?
    var priority: Int?
    var visibility: Visibility?
    var verification: VerificationRequest?
    var goldResult: JSONValue?

    enum CodingKeys: String, CodingKey {
        case taskType = "task_type"
        case title, instructions, payload, priority, visibility, verification
        case goldResult = "gold_result"
        case requiredCapabilities = "required_capabilities"
        case rewardMicroUSDT = "reward_micro_usdt"
        case leaseSeconds = "lease_seconds"
        case maxAttempts = "max_attempts"
        case deadlineAtMillis = "deadline_at_millis"
    }

    /// Validated spec with the documented defaults: lease 300 s, 3 attempts, priority 0, public,
    /// 2-of-3 verification without spot checks, verifier reward 5% of the reward.
    func spec(now: Int64) throws -> TaskSpec {
        let policy = try (verification ?? VerificationRequest()).policy(reward: rewardMicroUSDT)
        let payload = payload ?? .object([:])
        guard case .object = payload else { throw WorkhiveError.invalid("payload must be a JSON object") }
        var spec = try TaskSpec(
            taskType: taskType, title: title, instructions: instructions ?? "", payloadJSON: StoredJSON.encode(payload),
            requiredCapabilities: try Capabilities(requiredCapabilities ?? []), rewardMicroUSDT: rewardMicroUSDT,
            leaseSeconds: leaseSeconds ?? 300, maxAttempts: maxAttempts ?? 3, deadlineAtMillis: deadlineAtMillis,
            priority: priority ?? 0, visibility: visibility ?? .public, verification: policy, nowMillis: now)
        if let goldResult {
            let text = StoredJSON.encode(goldResult)
            guard text.utf8.count <= TaskSpec.maxPayloadBytes else {
                throw WorkhiveError.invalid("gold_result must be at most \(TaskSpec.maxPayloadBytes) bytes of JSON")
            }
            spec.goldResultJSON = text
        }
        return spec
    }
}

struct ClaimRequest: Decodable {
    var taskType: String
    var capabilities: [String]?
    var waitSeconds: Double?
    enum CodingKeys: String, CodingKey {
        case taskType = "task_type"
        case capabilities
        case waitSeconds = "wait_seconds"
    }
}

struct SubmitRequest: Decodable {
    var result: JSONValue
    var proofs: [String]?
}

struct VoteRequest: Decodable {
    var verdict: Verdict
    var reason: String?
}

struct AppealRequest: Decodable {
    var reason: String
}
