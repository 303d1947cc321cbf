// Accounts, workers, money, and the body of a new task.

/// An owner: a requester that posts tasks and holds funds, and the holder of workers.
public struct Owner: Sendable, Hashable, Codable, Identifiable {
    public var id: Int64
    public var name: String
    /// `member` or `admin`.
    public var role: String
    public var createdAtMillis: Int64

    enum CodingKeys: String, CodingKey {
        case id, name, role
        case createdAtMillis = "created_at_millis"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(Int64.self, forKey: .id)
        name = try c.value(.name, default: "")
        role = try c.value(.role, default: "member")
        createdAtMillis = try c.value(.createdAtMillis, default: 0)
    }
}

/// A worker (agent or human) as the API describes it. (The `Worker` protocol is what an agent
/// implements; this is the account record.)
public struct WorkerProfile: Sendable, Hashable, Codable, Identifiable {
    public var id: Int64
    public var ownerId: Int64
    public var name: String
    public var kind: WorkerKind
    public var capabilities: [String]
    public var status: WorkerStatus
    public var suspended: Bool
    public var lastHeartbeatAtMillis: Int64?
    public var createdAtMillis: Int64
    /// Fleets: a sub-agent's master, whether the master paused it, when it was removed, its wallet.
    public var masterWorkerId: Int64?
    public var paused: Bool = false
    public var removedAtMillis: Int64?
    public var walletAddress: String?

    enum CodingKeys: String, CodingKey {
        case id, name, kind, capabilities, status, suspended, paused
        case ownerId = "owner_id"
        case lastHeartbeatAtMillis = "last_heartbeat_at_millis"
        case createdAtMillis = "created_at_millis"
        case masterWorkerId = "master_worker_id"
        case removedAtMillis = "removed_at_millis"
        case walletAddress = "wallet_address"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(Int64.self, forKey: .id)
        ownerId = try c.value(.ownerId, default: 0)
        name = try c.value(.name, default: "")
        kind = try c.value(.kind, default: .agent)
        capabilities = try c.value(.capabilities, default: [])
        status = try c.value(.status, default: .offline)
        suspended = try c.value(.suspended, default: false)
        lastHeartbeatAtMillis = try c.decodeIfPresent(Int64.self, forKey: .lastHeartbeatAtMillis)
        createdAtMillis = try c.value(.createdAtMillis, default: 0)
        masterWorkerId = try c.decodeIfPresent(Int64.self, forKey: .masterWorkerId)
        paused = try c.value(.paused, default: false)
        removedAtMillis = try c.decodeIfPresent(Int64.self, forKey: .removedAtMillis)
        walletAddress = try c.decodeIfPresent(String.self, forKey: .walletAddress)
    }
}

/// A new account with its API key, which the server shows only this once.
public struct Credentials<Subject: Sendable & Hashable & Codable>: Sendable, Hashable, Codable {
    public var apiKey: String
    public var subject: Subject

    enum CodingKeys: String, CodingKey {
        case subject
        case apiKey = "api_key"
    }
}

/// Who the API key belongs to (`GET /v1/me`).
public struct Me: Sendable, Hashable, Codable {
    /// `owner` or `worker`.
    public var kind: String
    public var ownerId: Int64
    public var isAdmin: Bool
    /// The worker, when the key is a worker key.
    public var worker: WorkerProfile?

    enum CodingKeys: String, CodingKey {
        case kind, worker
        case ownerId = "owner_id"
        case isAdmin = "is_admin"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        kind = try c.decode(String.self, forKey: .kind)
        ownerId = try c.value(.ownerId, default: 0)
        isAdmin = try c.value(.isAdmin, default: false)
        worker = try c.decodeIfPresent(WorkerProfile.self, forKey: .worker)
    }
}

/// One account's money in micro-USDT (1 USDT = 1 000 000).
public struct Balance: Sendable, Hashable, Codable {
    public var accountId: Int64
    public var kind: AccountKind
    /// The worker whose earnings these are, for earnings accounts.
    public var workerId: Int64?
    public var balanceMicroUSDT: Int64
    /// Held in escrow for open tasks.
    public var heldMicroUSDT: Int64
    public var availableMicroUSDT: Int64

    enum CodingKeys: String, CodingKey {
        case kind
        case accountId = "account_id"
        case workerId = "worker_id"
        case balanceMicroUSDT = "balance_micro_usdt"
        case heldMicroUSDT = "held_micro_usdt"
        case availableMicroUSDT = "available_micro_usdt"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        accountId = try c.decode(Int64.self, forKey: .accountId)
        kind = try c.value(.kind, default: .funds)
        workerId = try c.decodeIfPresent(Int64.self, forKey: .workerId)
        balanceMicroUSDT = try c.value(.balanceMicroUSDT, default: 0)
        heldMicroUSDT = try c.value(.heldMicroUSDT, default: 0)
        availableMicroUSDT = try c.value(.availableMicroUSDT, default: balanceMicroUSDT - heldMicroUSDT)
    }
}

/// A movement of money in the caller's main account: positive in, negative out.
public struct Transfer: Sendable, Hashable, Codable, Identifiable {
    public var id: Int64
    /// `posted`, `pending`, `post` or `void`.
    public var kind: String
    /// `deposit`, `reward`, `verifier_reward`, `escrow_hold`, ...
    public var reason: String
    public var amountMicroUSDT: Int64
    public var taskId: Int64?
    public var createdAtMillis: Int64

    enum CodingKeys: String, CodingKey {
        case id, kind, reason
        case amountMicroUSDT = "amount_micro_usdt"
        case taskId = "task_id"
        case createdAtMillis = "created_at_millis"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(Int64.self, forKey: .id)
        kind = try c.value(.kind, default: "posted")
        reason = try c.value(.reason, default: "")
        amountMicroUSDT = try c.value(.amountMicroUSDT, default: 0)
        taskId = try c.decodeIfPresent(Int64.self, forKey: .taskId)
        createdAtMillis = try c.value(.createdAtMillis, default: 0)
    }
}

/// The caller's accounts and recent history: an owner sees its funds and its workers' earnings, a
/// worker its own earnings.
public struct Wallet: Sendable, Hashable, Codable {
    public var accounts: [Balance]
    public var history: [Transfer]

    /// The first account of `kind` (for a worker key, `.earnings` is its own).
    public func account(_ kind: AccountKind) -> Balance? { accounts.first { $0.kind == kind } }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        accounts = try c.value(.accounts, default: [])
        history = try c.value(.history, default: [])
    }
}

/// A task to post (`POST /v1/tasks`). Fields left nil take the server's defaults: lease 300 s,
/// 3 attempts, priority 0, public, 2-of-3 verification with a verifier reward of 5% of the reward.
public struct NewTask: Sendable, Hashable, Encodable {
    /// Verification settings; nil fields take the server's defaults.
    public struct Verification: Sendable, Hashable, Encodable {
        public var verifiers: Int?
        public var quorum: Int?
        public var spotCheckRate: Double?
        public var verifierRewardMicroUSDT: Int64?

        public init(verifiers: Int? = nil, quorum: Int? = nil, spotCheckRate: Double? = nil, verifierRewardMicroUSDT: Int64? = nil) {
            self.verifiers = verifiers
            self.quorum = quorum
            self.spotCheckRate = spotCheckRate
            self.verifierRewardMicroUSDT = verifierRewardMicroUSDT
        }

        /// No verifiers: a submission is approved (and paid) at once.
        public static let none = Verification(verifiers: 0, quorum: 0)

        enum CodingKeys: String, CodingKey {
            case verifiers, quorum
            case spotCheckRate = "spot_check_rate"
            case verifierRewardMicroUSDT = "verifier_reward_micro_usdt"
        }
    }

    public var taskType: String
    public var title: String
    public var instructions: String?
    /// Must be a JSON object.
    public var payload: JSON?
    public var requiredCapabilities: [String]?
    public var rewardMicroUSDT: Int64
    public var leaseSeconds: Int?
    public var maxAttempts: Int?
    public var deadlineAtMillis: Int64?
    public var priority: Int?
    public var visibility: Visibility?
    public var verification: Verification?

    public init(
        taskType: String, title: String, instructions: String? = nil, payload: JSON? = nil,
        requiredCapabilities: [String]? = nil, rewardMicroUSDT: Int64, leaseSeconds: Int? = nil,
        maxAttempts: Int? = nil, deadlineAtMillis: Int64? = nil, priority: Int? = nil,
        visibility: Visibility? = nil, verification: Verification? = nil
    ) {
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
    }

    enum CodingKeys: String, CodingKey {
        case title, instructions, payload, priority, visibility, verification
        case taskType = "task_type"
        case requiredCapabilities = "required_capabilities"
        case rewardMicroUSDT = "reward_micro_usdt"
        case leaseSeconds = "lease_seconds"
        case maxAttempts = "max_attempts"
        case deadlineAtMillis = "deadline_at_millis"
    }
}
