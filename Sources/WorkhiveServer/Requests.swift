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
    var verifiers: Int?
    var quorum: Int?
    var spotCheckRate: Double?
    var verifierRewardMicroUSDT: Int64?
    enum CodingKeys: String, CodingKey {
        case verifiers, quorum
        case spotCheckRate = "spot_check_rate"
        case verifierRewardMicroUSDT = "verifier_reward_micro_usdt"
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

    enum CodingKeys: String, CodingKey {
        case taskType = "task_type"
        case title, instructions, payload, priority, visibility, verification
        case requiredCapabilities = "required_capabilities"
        case rewardMicroUSDT = "reward_micro_usdt"
        case leaseSeconds = "lease_seconds"
        case maxAttempts = "max_attempts"
        case deadlineAtMillis = "deadline_at_millis"
    }

    /// Validated spec with the documented defaults: lease 300 s, 3 attempts, priority 0, public,
    /// 2-of-3 verification without spot checks, verifier reward 5% of the reward.
    func spec(now: Int64) throws -> TaskSpec {
        let verifiers = verification?.verifiers ?? 3
        let policy = VerificationPolicy(
            verifiers: verifiers,
            quorum: verification?.quorum ?? (verifiers == 0 ? 0 : verifiers / 2 + 1),
            spotCheckRate: verification?.spotCheckRate ?? 0,
            verifierRewardMicroUSDT: verification?.verifierRewardMicroUSDT ?? FeePolicy.defaultVerifierReward(reward: rewardMicroUSDT))
        let payload = payload ?? .object([:])
        guard case .object = payload else { throw WorkhiveError.invalid("payload must be a JSON object") }
        return try TaskSpec(
            taskType: taskType, title: title, instructions: instructions ?? "", payloadJSON: StoredJSON.encode(payload),
            requiredCapabilities: try Capabilities(requiredCapabilities ?? []), rewardMicroUSDT: rewardMicroUSDT,
            leaseSeconds: leaseSeconds ?? 300, maxAttempts: maxAttempts ?? 3, deadlineAtMillis: deadlineAtMillis,
            priority: priority ?? 0, visibility: visibility ?? .public, verification: policy, nowMillis: now)
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
