import Crypto
import Foundation
import WorkhiveCore

extension Marketplace {
    /// Creates an owner (a requester, and the holder of workers) with its funds account and an API key
    /// shown once.
    public func createOwner(name: String, admin: Bool = false) async throws -> Credentials<OwnerView> {
        let name = name.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !name.isEmpty, name.count <= 100 else { throw WorkhiveError.invalid("name must be 1-100 characters") }
        let now = self.now()
        let secret = newSecret()
        return try await transact { tx, _ in
            let account = AccountID(try await tx.insert("INSERT INTO accounts (kind, created_at) VALUES ('funds', ?)", now))
            let owner = OwnerID(try await tx.insert(
                "INSERT INTO owners (name, role, funds_account_id, created_at) VALUES (?, ?, ?, ?)",
                name, admin ? "admin" : "member", account, now))
            try await tx.execute("UPDATE accounts SET owner_id = ? WHERE id = ?", owner, account)
            let key = try await Self.insertKey(tx, owner: owner, worker: nil, secret: secret, now: now)
            return Credentials(apiKey: key, subject: OwnerView(id: owner, name: name, role: admin ? "admin" : "member", createdAtMillis: now))
        }
    }

    /// Creates a worker under an owner, with its earnings account and an API key shown once. An agent
    /// may declare its model family, so that verification panels avoid stacking one family's votes.
    public func createWorker(_ principal: Principal, name: String, kind: WorkerKind, capabilities: [String],
                             modelFamily: String? = nil) async throws -> Credentials<WorkerView> {
        guard case .owner(let owner, _) = principal else { throw WorkhiveError.forbidden("only an owner key can create workers") }
        let name = name.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !name.isEmpty, name.count <= 100 else { throw WorkhiveError.invalid("name must be 1-100 characters") }
        let modelFamily = try TrustPolicy.validModelFamily(modelFamily, kind: kind)
        let caps = try Capabilities(capabilities)
        let now = self.now()
        let secret = newSecret()
        return try await transact { tx, _ in
            let account = AccountID(try await tx.insert(
                "INSERT INTO accounts (kind, owner_id, created_at) VALUES ('earnings', ?, ?)", owner, now))
            let worker = WorkerID(try await tx.insert(
                "INSERT INTO workers (owner_id, name, kind, capabilities, earnings_account_id, created_at, model_family) VALUES (?, ?, ?, ?, ?, ?, ?)",
                owner, name, kind.rawValue, caps.canonical, account, now, modelFamily))
            try await tx.execute("UPDATE accounts SET worker_id = ? WHERE id = ?", worker, account)
            let key = try await Self.insertKey(tx, owner: owner, worker: worker, secret: secret, now: now)
            return Credentials(apiKey: key, subject: WorkerView(
                id: worker, ownerId: owner, name: name, kind: kind, capabilities: caps.names, status: .offline,
                suspended: false, lastHeartbeatAtMillis: nil, createdAtMillis: now, modelFamily: modelFamily))
        }
    }

    /// Resolves an API key to who is calling. Keys look like `wh_<id>_<secret>`; only SHA-256 of the
    /// secret is stored. Verified keys are cached in memory until revoked or their worker is suspended.
    public func authenticate(apiKey: String) async throws -> Principal {
        if let cached = keyCache.withLock({ $0[apiKey] }) { return cached }
        let parts = apiKey.split(separator: "_", maxSplits: 2)
        guard parts.count == 3, parts[0] == "wh", let keyID = Int64(parts[1]) else {
            throw WorkhiveError(.unauthenticated, "malformed API key")
        }
        let secretHash = sha256Hex(String(parts[2]))
        let row = try await read { tx in
            try await tx.queryOne("""
                SELECT k.secret_hash, k.owner_id, k.worker_id, k.revoked_at, o.role, w.kind, w.suspended
                FROM api_keys k JOIN owners o ON o.id = k.owner_id LEFT JOIN workers w ON w.id = k.worker_id
                WHERE k.id = ?
                """, keyID)
        }
        guard let row, constantTimeEqual(row.text(0), secretHash), row.optionalInt(3) == nil else {
            throw WorkhiveError(.unauthenticated, "unknown or revoked API key")
        }
        let principal: Principal
        if let worker: WorkerID = row.optionalID(2) {
            guard !row.bool(6) else { throw WorkhiveError(.workerSuspended, "this worker is suspended") }
            principal = .worker(worker, owner: row.id(1), kind: WorkerKind(rawValue: row.text(5)) ?? .agent)
        } else {
            principal = .owner(row.id(1), isAdmin: row.text(4) == "admin")
        }
        keyCache.withLock { cache in
            if cache.count > 100_000 { cache.removeAll() }
            cache[apiKey] = principal
        }
        return principal
    }

    /// Credits an owner's funds from outside: on the devnet, any owner may fund itself; otherwise only
    /// an admin may credit an owner.
    public func deposit(_ principal: Principal, to owner: OwnerID? = nil, amountMicroUSDT: Int64) async throws -> BalanceView {
        let target = owner ?? principal.ownerID
        guard case .owner = principal else { throw WorkhiveError.forbidden("deposits are made with an owner key") }
        guard principal.isAdmin || (configuration.devnetDeposits && target == principal.ownerID) else {
            throw WorkhiveError.forbidden("only an admin can credit funds outside the devnet")
        }
        guard amountMicroUSDT > 0, amountMicroUSDT <= TaskSpec.maxRewardMicroUSDT else {
            throw WorkhiveError.invalid("amount_micro_usdt must be between 1 and \(TaskSpec.maxRewardMicroUSDT)")
        }
        let now = self.now()
        let funds = try await fundsAccount(of: target)
        let source = system.deposits(for: target)
        return try await transact { tx, events in
            var batch = LedgerBatch()
            batch.posted(from: source, to: funds, amountMicroUSDT, .deposit)
            try await self.apply(batch, tx, now: now)
            events.append(.ledgerCredited(account: funds, owner: target, worker: nil, amountMicroUSDT: amountMicroUSDT, reason: .deposit, task: nil))
            return try await self.balance(of: funds, tx)
        }
    }

    /// A worker reports its own status; this also marks it as seen.
    public func workerHeartbeat(_ principal: Principal, status: WorkerStatus) async throws -> WorkerView {
        let (worker, _, _) = try principal.requireWorker(for: "heartbeat")
        let now = self.now()
        return try await transact { tx, _ in
            guard let row = try await tx.queryOne(
                "UPDATE workers SET status = ?, last_heartbeat_at = ? WHERE id = ? RETURNING \(Self.workerColumns)",
                status.rawValue, now, worker) else { throw WorkhiveError.notFound("worker \(worker)") }
            return Self.workerView(row)
        }
    }

    public func workers(_ principal: Principal) async throws -> [WorkerView] {
        guard case .owner(let owner, let admin) = principal else {
            throw WorkhiveError.forbidden("only an owner key can list workers")
        }
        return try await read { tx in
            let rows = admin
                ? try await tx.query("SELECT \(Self.workerColumns) FROM workers ORDER BY id LIMIT 1000", [])
                : try await tx.query("SELECT \(Self.workerColumns) FROM workers WHERE owner_id = ? ORDER BY id", owner)
            return rows.map(Self.workerView)
        }
    }

    public func worker(_ principal: Principal, id: WorkerID) async throws -> WorkerView {
        let view = try await read { tx in
            try await tx.queryOne("SELECT \(Self.workerColumns) FROM workers WHERE id = ?", id).map(Self.workerView)
        }
        guard let view, principal.isAdmin || view.ownerId == principal.ownerID else { throw WorkhiveError.notFound("worker \(id)") }
        return view
    }

    /// An admin stops a worker: its keys stop working at once and it can claim nothing more.
    public func setSuspended(_ principal: Principal, worker: WorkerID, suspended: Bool) async throws -> WorkerView {
        guard principal.isAdmin else { throw WorkhiveError.forbidden("only an admin can suspend workers") }
        let view = try await transact { tx, _ in
            guard let row = try await tx.queryOne(
                "UPDATE workers SET suspended = ? WHERE id = ? RETURNING \(Self.workerColumns)", suspended, worker)
            else { throw WorkhiveError.notFound("worker \(worker)") }
            return Self.workerView(row)
        }
        keyCache.withLock { $0.removeAll() }
        if suspended { hub.noteWorkerStopped() }
        return view
    }

    static let workerColumns = """
        id, owner_id, name, kind, capabilities, status, suspended, last_heartbeat_at, created_at, master_worker_id, paused, removed_at,
        wallet_address, model_family
        """

    static func workerView(_ r: SQLRow) -> WorkerView {
        WorkerView(
            id: r.id(0), ownerId: r.id(1), name: r.text(2), kind: WorkerKind(rawValue: r.text(3)) ?? .agent,
            capabilities: Capabilities(canonical: r.text(4)).names, status: WorkerStatus(rawValue: r.text(5)) ?? .offline,
            suspended: r.bool(6), lastHeartbeatAtMillis: r.optionalInt(7), createdAtMillis: r.int(8),
            masterWorkerId: r.optionalID(9), paused: r.bool(10), removedAtMillis: r.optionalInt(11), walletAddress: r.optionalText(12),
            modelFamily: r.optionalText(13))
    }

    static func insertKey(_ tx: any SQLExecutor, owner: OwnerID, worker: WorkerID?, secret: String, now: Int64) async throws -> String {
        let id = try await tx.insert(
            "INSERT INTO api_keys (secret_hash, owner_id, worker_id, created_at) VALUES (?, ?, ?, ?)",
            sha256Hex(secret), owner, worker, now)
        return "wh_\(id)_\(secret)"
    }

    /// 128 random bits as hex.
    func newSecret() -> String {
        var bytes: [UInt8] = []
        for _ in 0..<2 { withUnsafeBytes(of: random.nextUInt64()) { bytes.append(contentsOf: $0) } }
        return hexString(bytes)
    }
}

func constantTimeEqual(_ a: String, _ b: String) -> Bool {
    let x = Array(a.utf8), y = Array(b.utf8)
    guard x.count == y.count else { return false }
    var diff: UInt8 = 0
    for i in x.indices { diff |= x[i] ^ y[i] }
    return diff == 0
}
