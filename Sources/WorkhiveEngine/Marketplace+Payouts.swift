import WorkhiveChains
import WorkhiveCore

/// The system accounts payouts move money through, sharded like the platform fee account.
struct PayoutAccounts: Sendable {
    let inFlight: [AccountID]
    let paidOut: [AccountID]
    let networkFees: [AccountID]

    func inFlight(_ payout: PayoutID) -> AccountID { inFlight[Int(payout.rawValue % Int64(inFlight.count))] }
    func paidOut(_ payout: PayoutID) -> AccountID { paidOut[Int(payout.rawValue % Int64(paidOut.count))] }
    func networkFees(_ payout: PayoutID) -> AccountID { networkFees[Int(payout.rawValue % Int64(networkFees.count))] }

    /// Created by migration 3; one small indexed read.
    static func load(_ tx: any SQLExecutor) async throws -> PayoutAccounts {
        var ids: [String: [AccountID]] = [:]
        for r in try await tx.query(
            "SELECT kind, id FROM accounts WHERE kind IN ('payouts_in_flight','paid_out','network_fees') ORDER BY kind, shard", []) {
            ids[r.text(0), default: []].append(r.id(1))
        }
        guard let inFlight = ids["payouts_in_flight"], let paidOut = ids["paid_out"], let fees = ids["network_fees"] else {
            throw WorkhiveError(.internalError, "the payout system accounts are missing")
        }
        return PayoutAccounts(inFlight: inFlight, paidOut: paidOut, networkFees: fees)
    }
}

extension Marketplace {
    /// A worker withdraws `amountMicroUSDT` of its available earnings. The network is chosen by the
    /// NetworkChooser (or is `network`, if named), its quoted fee comes out of the amount, and the amount
    /// moves from the balance to payouts-in-flight at once. With an idempotency key, a retry returns the
    /// payout the first call queued.
    public func requestPayout(
        _ principal: Principal, amountMicroUSDT: Int64, network: String? = nil, idempotencyKey: String? = nil
    ) async throws -> PayoutView {
        let (worker, _, _) = try principal.requireWorker(for: "withdraw")
        if let idempotencyKey, idempotencyKey.isEmpty || idempotencyKey.utf8.count > 200 {
            throw WorkhiveError.invalid("Idempotency-Key must be 1-200 characters")
        }
        guard amountMicroUSDT > 0, amountMicroUSDT <= TaskSpec.maxRewardMicroUSDT * 1_000 else {
            throw WorkhiveError.invalid("amount_micro_usdt must be positive")
        }
        let only = try network.map(Self.payoutNetwork)
        let requestHash = "\(amountMicroUSDT)|\(only?.rawValue ?? "")"
        let now = self.now()
        return try await transact { tx, _ in
            if let idempotencyKey, let existing = try await tx.queryOne(
                "SELECT \(Self.payoutColumns), p.request_hash FROM payouts p WHERE p.worker_id = ? AND p.idempotency_key = ?", worker, idempotencyKey) {
                guard existing.optionalText(Self.payoutColumnCount) == requestHash else {
                    throw WorkhiveError(.idempotencyKeyReused, "Idempotency-Key '\(idempotencyKey)' was used for a different payout")
                }
                return Self.payoutView(existing)
            }
            let choice: NetworkChoice
            do {
                choice = try await self.choosePayoutNetwork(worker: worker, amount: amountMicroUSDT, only: only, tx)
            } catch let error as NetworkChoiceError {
                throw Self.workhiveError(error, only: only)
            }
            guard choice.estimatedFeeMicroUSDT < amountMicroUSDT else {
                throw WorkhiveError(.belowMinimumPayout,
                    "the \(choice.network) fee of \(USDTAmount.format(microUSDT: choice.estimatedFeeMicroUSDT)) would take the whole amount")
            }
            let id = try await self.queuePayout(
                worker: worker, amount: amountMicroUSDT, choice: choice, origin: .withdrawal,
                idempotencyKey: idempotencyKey, requestHash: idempotencyKey == nil ? nil : requestHash, tx, now: now)
            return try await Self.payout(id, tx)!
        }
    }

    /// The network for a payout of `amount` to `worker`: its addresses, preference and holdings.
    func choosePayoutNetwork(worker: WorkerID, amount: Int64, only: PayoutNetwork?, _ tx: any SQLExecutor) async throws -> NetworkChoice {
        var addresses = Set(try await tx.query("SELECT network FROM payout_addresses WHERE worker_id = ?", worker)
            .compactMap { PayoutNetwork(rawValue: $0.text(0)) })
        var preference = try await Self.payoutPreference(of: worker, tx)
        if let only {
            addresses = addresses.intersection([only])
            preference = .network(only)
        }
        // An address that was paid before holds USDT there, so the cheaper holder transfer applies.
        let holds = Set(try await tx.query("SELECT DISTINCT network FROM payouts WHERE worker_id = ? AND state = 'confirmed'", worker)
            .compactMap { PayoutNetwork(rawValue: $0.text(0)) })
        return try configuration.payouts.chooser.choose(NetworkChoiceRequest(
            amountMicroUSDT: amount, preference: preference, addressNetworks: addresses, holdsUSDTOn: holds))
    }

    static func workhiveError(_ error: NetworkChoiceError, only: PayoutNetwork?) -> WorkhiveError {
        switch error {
        case .nonPositiveAmount: WorkhiveError.invalid(error.description)
        case .noPayoutAddress:
            WorkhiveError(.noPayoutAddress, only.map { "the worker has no \($0.rawValue) payout address; set one with PUT /v1/wallet/addresses/\($0.rawValue)" }
                ?? "the worker has no payout address; set one with PUT /v1/wallet/addresses/{network}")
        case .belowMinimum: WorkhiveError(.belowMinimumPayout, error.description)
        }
    }

    /// Inserts a queued payout and moves its amount from the worker's earnings to payouts-in-flight.
    func queuePayout(
        worker: WorkerID, amount: Int64, choice: NetworkChoice, origin: PayoutOrigin,
        idempotencyKey: String? = nil, requestHash: String? = nil, _ tx: any SQLExecutor, now: Int64
    ) async throws -> PayoutID {
        guard let facts = try await tx.queryOne(
            "SELECT w.earnings_account_id, a.address FROM workers w JOIN payout_addresses a ON a.worker_id = w.id AND a.network = ? WHERE w.id = ?",
            choice.network.rawValue, worker) else { throw WorkhiveError(.noPayoutAddress, "no \(choice.network) payout address") }
        let earnings: AccountID = facts.id(0)
        let id = PayoutID(try await tx.insert("""
            INSERT INTO payouts (worker_id, earnings_account_id, network, address, amount, fee, rule, reason, origin, state,
                                 idempotency_key, request_hash, created_at, updated_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'queued', ?, ?, ?, ?)
            """, [worker.sqlValue, earnings.sqlValue, .text(choice.network.rawValue), .text(facts.text(1)), .integer(amount),
                  .integer(choice.estimatedFeeMicroUSDT), .text(choice.rule.rawValue), .text(choice.reason), .text(origin.rawValue),
                  idempotencyKey.sqlValue, requestHash.sqlValue, .integer(now), .integer(now)], rows: 1)[0])
        let accounts = try await PayoutAccounts.load(tx)
        var batch = LedgerBatch()
        batch.posted(from: earnings, to: accounts.inFlight(id), amount, .payout, payout: id)
        do {
            try await apply(batch, tx, now: now)
        } catch is LedgerShortfall {
            let available = try await totals(of: earnings, tx).available
            throw WorkhiveError(.insufficientFunds,
                "a payout of \(USDTAmount.format(microUSDT: amount)) needs that much available, but only \(USDTAmount.format(microUSDT: available)) is")
        }
        return id
    }

    /// Called in the same transaction as a settlement that credited `workers`: pays their available
    /// earnings out when the configured rule says so. A worker without an address, or whose balance no
    /// network would take yet, simply keeps accumulating.
    func queueAutomaticPayouts(for workers: [WorkerID], _ tx: any SQLExecutor, now: Int64) async throws {
        let rule = configuration.payouts.automatic
        guard rule != .off else { return }
        for worker in Set(workers).sorted() {
            guard let row = try await tx.queryOne("""
                SELECT a.credits_posted - a.debits_posted - a.debits_pending FROM workers w JOIN accounts a ON a.id = w.earnings_account_id
                WHERE w.id = ? AND EXISTS (SELECT 1 FROM payout_addresses p WHERE p.worker_id = w.id)
                """, worker) else { continue }
            let available = row.int(0)
            guard rule.paysOut(available: available),
                  let choice = try? await choosePayoutNetwork(worker: worker, amount: available, only: nil, tx),
                  choice.estimatedFeeMicroUSDT < available
            else { continue }
            _ = try await queuePayout(worker: worker, amount: available, choice: choice, origin: .automatic, tx, now: now)
        }
    }

    /// A worker's payouts, newest first; an owner names one of its workers, or sees all of its workers'.
    public func payouts(_ principal: Principal, worker requested: WorkerID? = nil, state: PayoutState? = nil, limit: Int = 50) async throws -> [PayoutView] {
        let limit = max(1, min(limit, 500))
        let filter = state.map { " AND p.state = '\($0.rawValue)'" } ?? ""
        if case .owner(let owner, let admin) = principal, requested == nil {
            return try await read { tx in
                try await tx.query("""
                    SELECT \(Self.payoutColumns) FROM payouts p JOIN workers w ON w.id = p.worker_id
                    WHERE (w.owner_id = ? OR ? = 1)\(filter) ORDER BY p.id DESC LIMIT ?
                    """, owner, admin, limit).map(Self.payoutView)
            }
        }
        let worker = try await payoutSubject(principal, requested)
        return try await read { tx in
            try await tx.query("SELECT \(Self.payoutColumns) FROM payouts p WHERE p.worker_id = ?\(filter) ORDER BY p.id DESC LIMIT ?", worker, limit)
                .map(Self.payoutView)
        }
    }

    /// One payout, to its worker, that worker's owner, or an admin.
    public func payout(_ principal: Principal, id: PayoutID) async throws -> PayoutView {
        let found = try await read { tx in
            try await tx.queryOne("SELECT \(Self.payoutColumns), w.owner_id FROM payouts p JOIN workers w ON w.id = p.worker_id WHERE p.id = ?", id)
        }
        guard let found else { throw WorkhiveError.notFound("payout \(id)") }
        let view = Self.payoutView(found)
        let visible = switch principal {
        case .worker(let w, _, _): w == view.workerId
        case .owner(let o, let admin): admin || found.int(Self.payoutColumnCount) == o.rawValue
        }
        guard visible else { throw WorkhiveError.notFound("payout \(id)") }
        return view
    }

    static func payout(_ id: PayoutID, _ tx: any SQLExecutor) async throws -> PayoutView? {
        try await tx.queryOne("SELECT \(payoutColumns) FROM payouts p WHERE p.id = ?", id).map(payoutView)
    }

    static let payoutColumns = """
        p.id, p.worker_id, p.network, p.address, p.amount, p.fee, p.rule, p.reason, p.origin, p.state, p.batch_id, p.tx_hash,
        p.attempts, p.failure_reason, p.created_at, p.updated_at, p.confirmed_at
        """
    static let payoutColumnCount = 17

    static func payoutView(_ r: SQLRow) -> PayoutView {
        PayoutView(
            id: r.id(0), workerId: r.id(1), network: r.text(2), address: r.text(3), amountMicroUSDT: r.int(4), feeMicroUSDT: r.int(5),
            sentMicroUSDT: r.int(4) - r.int(5), rule: r.text(6), reason: r.text(7), origin: PayoutOrigin(rawValue: r.text(8)) ?? .withdrawal,
            state: PayoutState(rawValue: r.text(9)) ?? .queued, batchId: r.optionalID(10), txHash: r.optionalText(11), attempts: Int(r.int(12)),
            failureReason: r.optionalText(13), createdAtMillis: r.int(14), updatedAtMillis: r.int(15), confirmedAtMillis: r.optionalInt(16))
    }
}
