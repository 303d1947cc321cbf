import WorkhiveCore

/// Facts about workers and owners that never change once created (their accounts, kind, owner,
/// capabilities), cached in memory so hot operations do not read them inside the write transaction.
struct WorkerFacts: Sendable {
    let owner: OwnerID
    let kind: WorkerKind
    let capabilities: String
    let earnings: AccountID
    /// A sub-agent's master; a worker never changes fleets.
    let master: WorkerID?
    /// The model family an agent declared (panels avoid stacking one family), or nil.
    var modelFamily: String? = nil
}

extension Marketplace {
    func workerFacts(_ id: WorkerID, _ tx: (any SQLExecutor)? = nil) async throws -> WorkerFacts {
        if let known = directory.withLock({ $0.workers[id] }) { return known }
        let sql = "SELECT owner_id, kind, capabilities, earnings_account_id, master_worker_id, model_family FROM workers WHERE id = ?"
        let row: SQLRow?
        if let tx { row = try await tx.queryOne(sql, id) } else { row = try await read { try await $0.queryOne(sql, id) } }
        guard let row else { throw WorkhiveError.notFound("worker \(id)") }
        let facts = WorkerFacts(owner: row.id(0), kind: WorkerKind(rawValue: row.text(1)) ?? .agent, capabilities: row.text(2), earnings: row.id(3),
                                master: row.optionalID(4), modelFamily: row.optionalText(5))
        directory.withLock { $0.workers[id] = facts }
        return facts
    }

    func fundsAccount(of owner: OwnerID, _ tx: (any SQLExecutor)? = nil) async throws -> AccountID {
        if let known = directory.withLock({ $0.funds[owner] }) { return known }
        let sql = "SELECT funds_account_id FROM owners WHERE id = ?"
        let row: SQLRow?
        if let tx { row = try await tx.queryOne(sql, owner) } else { row = try await read { try await $0.queryOne(sql, owner) } }
        guard let row else { throw WorkhiveError.notFound("owner \(owner)") }
        let account: AccountID = row.id(0)
        directory.withLock { $0.funds[owner] = account }
        return account
    }
}

struct Directory: ~Copyable {
    var workers: [WorkerID: WorkerFacts] = [:]
    var funds: [OwnerID: AccountID] = [:]
}
