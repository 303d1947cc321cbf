import WorkhiveCore

/// An account would have been overdrawn; the operation is refused and rolled back.
struct LedgerShortfall: Error {
    let account: AccountID
}

extension Marketplace {
    /// Writes a batch: every transfer in one INSERT, and every touched account's totals in one
    /// UPDATE (on PostgreSQL both in one statement, which saves a round trip and an executor start
    /// per batch). Accounts that may not be overdrawn are guarded in that UPDATE (and by a CHECK
    /// constraint); if any guard holds back a row, the whole operation is refused.
    func apply(_ batch: LedgerBatch, _ tx: any SQLExecutor, now: Int64) async throws {
        guard !batch.isEmpty else { return }
        var binds: [SQLValue] = []
        binds.reserveCapacity(batch.transfers.count * 9 + batch.touched.count * 7)
        for t in batch.transfers {
            binds += [.text(t.kind.rawValue), t.debit.sqlValue, t.credit.sqlValue, .integer(t.amount),
                      .text(t.reason.rawValue), t.taskID.sqlValue, t.pendingID.sqlValue, t.payoutID.sqlValue, .integer(now)]
        }
        let insert = "INSERT INTO transfers (kind, debit_account_id, credit_account_id, amount, reason, task_id, pending_id, payout_id, created_at) VALUES "
            + Self.placeholders(rows: batch.transfers.count, columns: 9)
        // SQLite has no INSERT inside WITH; in process, a second statement costs it little.
        let postgres = tx.dialect == .postgres
        if !postgres {
            try await tx.execute(insert, binds)
            binds.removeAll(keepingCapacity: true)
        }
        // The ids are named besides the join: the join alone may be planned as a scan of every
        // account (and on PostgreSQL is, while the statistics of a young database still say the
        // table is small).
        for account in batch.touched {
            let d = batch.deltas[account]!
            binds += [account.sqlValue, .integer(d.debitsPending), .integer(d.debitsPosted), .integer(d.creditsPending), .integer(d.creditsPosted)]
        }
        let ids = batch.touched.map(\.sqlValue), list = Self.marks(ids.count)
        // On PostgreSQL the rows are locked in id order first. The UPDATE alone locks them in the
        // order its plan meets them, which differs between plans: two settlements sharing a
        // requester and a platform-fee shard then wait for each other, a deadlock every time.
        let changed = try await tx.execute("""
            WITH \(postgres ? "inserted AS (\(insert)), " : "")d(id, dpe, dpo, cpe, cpo) AS (VALUES \(Self.placeholders(rows: batch.touched.count, columns: 5)))\(postgres
                ? ", locked AS MATERIALIZED (SELECT id FROM accounts WHERE id IN (\(list)) ORDER BY id FOR NO KEY UPDATE)" : "")
            UPDATE accounts SET debits_pending = accounts.debits_pending + d.dpe, debits_posted = accounts.debits_posted + d.dpo,
                credits_pending = accounts.credits_pending + d.cpe, credits_posted = accounts.credits_posted + d.cpo
            FROM d\(postgres ? " JOIN locked ON locked.id = d.id" : "")
            WHERE accounts.id = d.id AND accounts.id IN (\(list))
              AND (accounts.kind = 'deposits' OR accounts.debits_posted + d.dpo + accounts.debits_pending + d.dpe <= accounts.credits_posted + d.cpo)
            """, binds + (postgres ? ids : []) + ids)
        if changed != batch.touched.count {
            for account in batch.touched {
                let t = try await totals(of: account, tx) + batch.deltas[account]!
                if !system.deposits.contains(account) && t.debitsPosted + t.debitsPending > t.creditsPosted {
                    throw LedgerShortfall(account: account)
                }
            }
            throw LedgerShortfall(account: batch.touched[0])
        }
    }

    /// `count` comma-separated placeholders.
    static func marks(_ count: Int) -> String { Array(repeating: "?", count: count).joined(separator: ", ") }

    static func placeholders(rows: Int, columns: Int) -> String {
        let row = "(" + marks(columns) + ")"
        return Array(repeating: row, count: rows).joined(separator: ", ")
    }

    func totals(of account: AccountID, _ tx: any SQLExecutor) async throws -> AccountTotals {
        guard let r = try await tx.queryOne(
            "SELECT debits_pending, debits_posted, credits_pending, credits_posted FROM accounts WHERE id = ?", account)
        else { throw WorkhiveError.notFound("account \(account)") }
        return AccountTotals(debitsPending: r.int(0), debitsPosted: r.int(1), creditsPending: r.int(2), creditsPosted: r.int(3))
    }

    func balance(of account: AccountID, _ tx: any SQLExecutor) async throws -> BalanceView {
        guard let r = try await tx.queryOne("SELECT \(Self.balanceColumns) FROM accounts WHERE id = ?", account) else {
            throw WorkhiveError.notFound("account \(account)")
        }
        return Self.balanceView(r)
    }

    static let balanceColumns = "id, kind, worker_id, debits_pending, debits_posted, credits_pending, credits_posted"

    static func balanceView(_ r: SQLRow) -> BalanceView {
        let t = AccountTotals(debitsPending: r.int(3), debitsPosted: r.int(4), creditsPending: r.int(5), creditsPosted: r.int(6))
        return BalanceView(
            accountId: r.id(0), kind: AccountKind(rawValue: r.text(1)) ?? .funds, workerId: r.optionalID(2),
            balanceMicroUSDT: t.balance, heldMicroUSDT: t.debitsPending, availableMicroUSDT: t.available)
    }

    /// Balances and recent history of the caller's accounts: an owner sees its funds and its workers'
    /// earnings; a worker sees its own earnings.
    public func wallet(_ principal: Principal, historyLimit: Int = 50) async throws -> WalletView {
        let limit = max(1, min(historyLimit, 500))
        return try await read { tx in
            let rows: [SQLRow]
            switch principal {
            case .owner(let owner, _):
                rows = try await tx.query("""
                    SELECT \(Self.balanceColumns) FROM accounts WHERE owner_id = ? AND kind IN ('funds','earnings')
                    ORDER BY kind DESC, id
                    """, owner)
            case .worker(let worker, _, _):
                rows = try await tx.query("SELECT \(Self.balanceColumns) FROM accounts WHERE worker_id = ? AND kind = 'earnings'", worker)
            }
            let accounts = rows.map(Self.balanceView)
            guard let main = accounts.first?.accountId else { return WalletView(accounts: [], history: []) }
            let history = try await tx.query("""
                SELECT id, kind, reason, amount, task_id, created_at, credit_account_id FROM transfers
                WHERE (debit_account_id = ? AND kind <> 'post') OR credit_account_id = ? ORDER BY id DESC LIMIT ?
                """, main, main, limit).map { r in
                    let incoming = r.int(6) == main.rawValue
                    let kind = TransferKind(rawValue: r.text(1)) ?? .posted
                    // A void releases a hold: money comes back to the debit side. Posts are left out
                    // on that side, since the hold already counted them, so the history sums to what
                    // is available.
                    let sign: Int64 = (kind == .void) != incoming ? 1 : -1
                    return TransferView(
                        id: r.id(0), kind: kind, reason: TransferReason(rawValue: r.text(2)) ?? .deposit,
                        amountMicroUSDT: sign * r.int(3), taskId: r.optionalID(4), createdAtMillis: r.int(5))
                }
            return WalletView(accounts: accounts, history: history)
        }
    }

    /// Totals across the whole ledger, for admins and the demo summary.
    public func ledgerTotals() async throws -> LedgerTotalsView {
        try await read { tx in
            let all = try await tx.queryOne(
                "SELECT COALESCE(SUM(debits_posted),0), COALESCE(SUM(credits_posted),0), COALESCE(SUM(debits_pending),0), COALESCE(SUM(credits_pending),0) FROM accounts", [])!
            func sum(_ kind: AccountKind, _ expr: String) async throws -> Int64 {
                try await tx.queryOne("SELECT COALESCE(SUM(\(expr)),0) FROM accounts WHERE kind = ?", kind.rawValue)!.int(0)
            }
            return LedgerTotalsView(
                debitsPosted: all.int(0), creditsPosted: all.int(1), debitsPending: all.int(2), creditsPending: all.int(3),
                platformFeesMicroUSDT: try await sum(.platformFee, "credits_posted - debits_posted"),
                depositsMicroUSDT: try await sum(.deposits, "debits_posted - credits_posted"),
                escrowHeldMicroUSDT: try await sum(.escrow, "credits_pending + credits_posted - debits_posted"),
                balanced: all.int(0) == all.int(1) && all.int(2) == all.int(3))
        }
    }
}
