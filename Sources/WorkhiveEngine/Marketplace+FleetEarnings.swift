import WorkhiveCore

/// How a master asks to share its earnings.
public struct DistributionRequest: Sendable, Equatable {
    public var split: FleetSplit
    /// What to share; for `explicit`, the sum of the shares when left out.
    public var amountMicroUSDT: Int64?
    /// For `per_sub_task`: the delegation whose finished sub-tasks set the weights.
    public var delegation: DelegationID?
    /// For `explicit`: who gets what.
    public var shares: [FleetShareView]

    public init(split: FleetSplit, amountMicroUSDT: Int64? = nil, delegation: DelegationID? = nil, shares: [FleetShareView] = []) {
        self.split = split
        self.amountMicroUSDT = amountMicroUSDT
        self.delegation = delegation
        self.shares = shares
    }
}

extension Marketplace {
    /// The master pays its sub-agents from its earnings: equally among active sub-agents, by the
    /// sub-tasks each finished in a delegation, or by explicit amounts. Posted transfers, one per
    /// share; what rounding leaves stays with the master. A retry with the same idempotency key
    /// returns the first distribution.
    public func distribute(_ principal: Principal, _ request: DistributionRequest, idempotencyKey: String? = nil, requestHash: String) async throws -> DistributionView {
        let (master, owner) = try await requireMaster(principal, for: "distributing earnings")
        if let idempotencyKey, idempotencyKey.isEmpty || idempotencyKey.utf8.count > 200 {
            throw WorkhiveError.invalid("Idempotency-Key must be 1-200 characters")
        }
        if let amount = request.amountMicroUSDT, !(1...TaskSpec.maxRewardMicroUSDT).contains(amount) {
            throw WorkhiveError.invalid("amount_micro_usdt must be between 1 and \(TaskSpec.maxRewardMicroUSDT)")
        }
        switch request.split {
        case .explicit:
            guard !request.shares.isEmpty, request.shares.count <= Self.maxFleetSize else { throw WorkhiveError.invalid("explicit split needs 1-\(Self.maxFleetSize) shares") }
            guard request.shares.allSatisfy({ $0.amountMicroUSDT > 0 && $0.amountMicroUSDT <= TaskSpec.maxRewardMicroUSDT }) else {
                throw WorkhiveError.invalid("every share's amount_micro_usdt must be positive")
            }
            guard Set(request.shares.map(\.workerId)).count == request.shares.count else { throw WorkhiveError.invalid("a sub-agent appears twice in shares") }
        case .equal, .perSubTask:
            guard request.amountMicroUSDT != nil else { throw WorkhiveError.invalid("amount_micro_usdt is required for the \(request.split.rawValue) split") }
            guard request.shares.isEmpty else { throw WorkhiveError.invalid("shares are given only with the explicit split") }
            if request.split == .perSubTask && request.delegation == nil {
                throw WorkhiveError.invalid("the per_sub_task split needs delegation_id")
            }
        }
        let now = self.now()
        let earnings = try await workerFacts(master).earnings
        return try await transact { tx, events in
            if let idempotencyKey, let existing = try await tx.queryOne(
                "SELECT \(Self.distributionColumns) FROM fleet_distributions WHERE master_worker_id = ? AND idempotency_key = ?", master, idempotencyKey) {
                guard existing.text(7) == requestHash else {
                    throw WorkhiveError(.idempotencyKeyReused, "Idempotency-Key '\(idempotencyKey)' was used for a different distribution")
                }
                return Self.distributionView(existing)
            }
            let members = try await tx.query("SELECT id, earnings_account_id, removed_at FROM workers WHERE master_worker_id = ? ORDER BY id", master)
            let accounts = Dictionary(uniqueKeysWithValues: members.map { (WorkerID($0.int(0)), AccountID($0.int(1))) })
            var shares: [FleetShareView]
            let amount: Int64
            switch request.split {
            case .explicit:
                for share in request.shares where accounts[share.workerId] == nil {
                    throw WorkhiveError.invalid("worker \(share.workerId) is not a sub-agent of this fleet")
                }
                shares = request.shares
                amount = request.amountMicroUSDT ?? shares.reduce(0) { $0 + $1.amountMicroUSDT }
                guard shares.reduce(0, { $0 + $1.amountMicroUSDT }) <= amount else {
                    throw WorkhiveError.invalid("the shares add up to more than amount_micro_usdt")
                }
            case .equal:
                let active = members.filter { $0.optionalInt(2) == nil }.map { WorkerID($0.int(0)) }
                guard !active.isEmpty else { throw WorkhiveError.invalid("the fleet has no active sub-agent") }
                amount = request.amountMicroUSDT!
                shares = zip(active, FleetSplit.shares(of: amount, weights: active.map { _ in 1 })).map { FleetShareView(workerId: $0, amountMicroUSDT: $1) }
            case .perSubTask:
                guard let d = try await tx.queryOne("SELECT master_worker_id FROM delegations WHERE id = ?", request.delegation!), d.id(0) == master else {
                    throw WorkhiveError.notFound("delegation \(request.delegation!)")
                }
                let counts = try await tx.query("""
                    SELECT s.worker_id, COUNT(*) FROM submissions s JOIN tasks t ON t.id = s.task_id
                    WHERE t.delegation_id = ? AND t.state = 'approved' GROUP BY s.worker_id ORDER BY s.worker_id
                    """, request.delegation!)
                guard !counts.isEmpty else { throw WorkhiveError(.conflict, "no sub-task of delegation \(request.delegation!) has been approved yet") }
                amount = request.amountMicroUSDT!
                shares = zip(counts, FleetSplit.shares(of: amount, weights: counts.map { $0.int(1) })).map {
                    FleetShareView(workerId: $0.0.id(0), amountMicroUSDT: $0.1)
                }
            }
            shares = shares.filter { $0.amountMicroUSDT > 0 }
            var batch = LedgerBatch()
            for share in shares { batch.posted(from: earnings, to: accounts[share.workerId]!, share.amountMicroUSDT, .fleetShare) }
            let distributed = shares.reduce(0) { $0 + $1.amountMicroUSDT }
            do {
                try await self.apply(batch, tx, now: now)
            } catch is LedgerShortfall {
                let available = try await self.totals(of: earnings, tx).available
                throw WorkhiveError(.insufficientFunds, "distributing \(distributed) micro-USDT needs that much available; the master has \(available)")
            }
            for share in shares {
                events.append(.ledgerCredited(account: accounts[share.workerId]!, owner: owner, worker: share.workerId,
                                              amountMicroUSDT: share.amountMicroUSDT, reason: .fleetShare, task: nil))
            }
            let sharesJSON = StoredJSON.encode(.array(shares.map { .object(["worker_id": .int($0.workerId.rawValue), "amount_micro_usdt": .int($0.amountMicroUSDT)]) }))
            let id = try await tx.insert("""
                INSERT INTO fleet_distributions (master_worker_id, split, amount, delegation_id, shares, idempotency_key, request_hash, created_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """, master, request.split.rawValue, amount, request.delegation, sharesJSON, idempotencyKey, requestHash, now)
            return DistributionView(id: DistributionID(id), split: request.split, amountMicroUSDT: amount, distributedMicroUSDT: distributed,
                                    keptMicroUSDT: amount - distributed, delegationId: request.delegation, shares: shares, createdAtMillis: now)
        }
    }

    static let distributionColumns = "id, split, amount, delegation_id, shares, created_at, idempotency_key, request_hash"

    static func distributionView(_ r: SQLRow) -> DistributionView {
        var shares: [FleetShareView] = []
        if case .array(let items) = StoredJSON.decode(r.text(4)) {
            for case .object(let o) in items {
                if case .int(let w) = o["worker_id"], case .int(let a) = o["amount_micro_usdt"] { shares.append(FleetShareView(workerId: WorkerID(w), amountMicroUSDT: a)) }
            }
        }
        let distributed = shares.reduce(0) { $0 + $1.amountMicroUSDT }
        return DistributionView(id: r.id(0), split: FleetSplit(rawValue: r.text(1)) ?? .explicit, amountMicroUSDT: r.int(2), distributedMicroUSDT: distributed,
                                keptMicroUSDT: r.int(2) - distributed, delegationId: r.optionalID(3), shares: shares, createdAtMillis: r.int(5))
    }
}
