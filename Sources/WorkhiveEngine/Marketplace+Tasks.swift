import Foundation
import WorkhiveCore

extension Marketplace {
    static let taskColumns = """
        id, requester_id, task_type, title, instructions, payload, required_caps, reward, lease_seconds, max_attempts,
        deadline_at, priority, visibility, verifiers, quorum, spot_check_rate, verifier_reward, state, attempts,
        failure_reason, parent_task_id, submission_id, human_only, created_at, updated_at, claim_id, worker_id,
        lease_expires_at, escrow_account_id, exclude_owner_id, request_hash, fleet_master_id, assignee_id, delegation_id,
        verification_mode, target_confidence, spot_check_max_rate
        """

    static let taskColumnCount = taskColumns.split(separator: ",").count
    static let submissionColumnCount = submissionColumns.split(separator: ",").count

    /// `a, b, c` as `t.a, t.b, t.c`.
    static func prefixed(_ columns: String, _ table: String) -> String {
        columns.split(separator: ",").map { "\(table).\($0.trimmingCharacters(in: .whitespacesAndNewlines))" }.joined(separator: ", ")
    }

    static func taskView(_ r: SQLRow) -> TaskView {
        // Verification slots store no text of their own; every slot reads the same.
        let isSlot = r.text(2) == TaskType.verify
        return TaskView(
            id: r.id(0), requesterId: r.id(1), taskType: r.text(2), title: isSlot ? "Verify a submission" : r.text(3),
            instructions: isSlot ? verifyInstructions : r.text(4),
            payload: StoredJSON.decode(r.text(5)), requiredCapabilities: Capabilities(canonical: r.text(6)).names,
            rewardMicroUSDT: r.int(7), leaseSeconds: Int(r.int(8)), maxAttempts: Int(r.int(9)), deadlineAtMillis: r.optionalInt(10),
            priority: Int(r.int(11)), visibility: Visibility(rawValue: r.text(12)) ?? .public,
            verification: VerificationPolicyView(verifiers: Int(r.int(13)), quorum: Int(r.int(14)), spotCheckRate: r.double(15), verifierRewardMicroUSDT: r.int(16),
                                                 mode: VerificationMode(rawValue: r.text(34)) ?? .fixed, targetConfidence: r.double(35),
                                                 spotCheckMaxRate: r.optionalInt(36) == nil ? nil : r.double(36)),
            state: TaskState(rawValue: r.text(17)) ?? .open, attempts: Int(r.int(18)), failureReason: r.optionalText(19),
            parentTaskId: r.optionalID(20), submissionId: r.optionalID(21), humanOnly: r.bool(22),
            createdAtMillis: r.int(23), updatedAtMillis: r.int(24),
            fleetMasterId: r.optionalID(31), assigneeId: r.optionalID(32), delegationId: r.optionalID(33))
    }

    /// The view of a task just posted, built from its spec without reading it back.
    static func taskView(of spec: TaskSpec, id: TaskID, requester: OwnerID, now: Int64) -> TaskView {
        let v = spec.verification
        return TaskView(
            id: id, requesterId: requester, taskType: spec.taskType, title: spec.title, instructions: spec.instructions,
            payload: StoredJSON.decode(spec.payloadJSON), requiredCapabilities: spec.requiredCapabilities.names,
            rewardMicroUSDT: spec.rewardMicroUSDT, leaseSeconds: spec.leaseSeconds, maxAttempts: spec.maxAttempts,
            deadlineAtMillis: spec.deadlineAtMillis, priority: spec.priority, visibility: spec.visibility,
            verification: VerificationPolicyView(verifiers: v.verifiers, quorum: v.quorum, spotCheckRate: v.spotCheckRate, verifierRewardMicroUSDT: v.verifierRewardMicroUSDT,
                                                 mode: v.mode, targetConfidence: v.targetConfidence, spotCheckMaxRate: v.spotCheckMaxRate),
            state: .open, attempts: 0, failureReason: nil, parentTaskId: nil, submissionId: nil, humanOnly: false,
            createdAtMillis: now, updatedAtMillis: now)
    }

    /// Posts a task and holds its escrow (reward + fee + every verifier reward it may need) from the
    /// requester's funds. With an idempotency key, a retry returns the task the first call posted.
    public func postTask(_ principal: Principal, _ spec: TaskSpec, idempotencyKey: String? = nil, requestHash: String? = nil) async throws -> TaskView {
        guard case .owner(let requester, _) = principal else {
            throw WorkhiveError.forbidden("tasks are posted with an owner (requester) key, not a worker key")
        }
        if let idempotencyKey, idempotencyKey.isEmpty || idempotencyKey.utf8.count > 200 {
            throw WorkhiveError.invalid("Idempotency-Key must be 1-200 characters")
        }
        let now = self.now()
        let hold = configuration.fees.escrowHold(for: spec)
        let funds = try await fundsAccount(of: requester)
        if database.dialect == .postgres {
            return try await postInOneStatement(requester, spec, hold: hold, funds: funds, idempotencyKey: idempotencyKey,
                                                requestHash: requestHash, now: now)
        }
        let (task, existing) = try await transact { tx, events -> (TaskID, SQLRow?) in
            if let existing = try await self.existingTask(requester, idempotencyKey: idempotencyKey, requestHash: requestHash, tx) {
                return (existing.id(0), existing)
            }
            let escrow = AccountID(try await tx.insert("INSERT INTO accounts (kind, owner_id, created_at) VALUES ('escrow', ?, ?)", requester, now))
            let task = TaskID(try await tx.insert(Self.insertTaskSQL(escrow: "?"), Self.taskBinds(requester, spec, escrow: escrow.sqlValue,
                idempotencyKey: idempotencyKey, requestHash: requestHash, now: now), rows: 1)[0])
            var batch = LedgerBatch()
            batch.pending(from: funds, to: escrow, hold, .escrowHold, task: task)
            do {
                try await self.apply(batch, tx, now: now)
            } catch let shortfall as LedgerShortfall {
                throw try await self.shortOfFunds(funds, hold: hold, tx) ?? shortfall
            }
            events.append(.taskAvailable(Self.availability(of: spec, task: task)))
            return (task, nil)
        }
        if existing == nil && spec.goldResultJSON != nil { noteGoldPosted() }
        return existing.map(Self.taskView) ?? Self.taskView(of: spec, id: task, requester: requester, now: now)
    }

    /// PostgreSQL posts a task in one statement that commits by itself, with no BEGIN and COMMIT
    /// around it: the requester's funds, the escrow account (created holding the hold), the task and
    /// the hold's pending transfer. It writes what `LedgerBatch.pending` and `apply` would write. An
    /// overdraft breaks the funds' CHECK constraint, which aborts all of it; the escrow account is
    /// made from the funds row the statement updated, so without that row nothing is written either
    /// (the task's CHECK wants an escrow account). The funds row is locked only while the statement
    /// runs: every settlement of the requester's tasks takes it too.
    private func postInOneStatement(_ requester: OwnerID, _ spec: TaskSpec, hold: Int64, funds: AccountID, idempotencyKey: String?,
                                    requestHash: String?, now: Int64) async throws -> TaskView {
        let (task, existing) = try await database.autocommit { tx -> (TaskID, SQLRow?) in
            if let existing = try await self.existingTask(requester, idempotencyKey: idempotencyKey, requestHash: requestHash, tx) {
                return (existing.id(0), existing)
            }
            // A refusal is read again after it: another operation may have freed funds meanwhile.
            var refusals = 0
            while true {
                do {
                    let row = try await tx.queryOne("""
                        WITH funds AS (UPDATE accounts SET debits_pending = debits_pending + ? WHERE id = ? RETURNING id),
                        escrow AS (INSERT INTO accounts (kind, owner_id, created_at, credits_pending) SELECT 'escrow', ?, ?, ? FROM funds RETURNING id),
                        task AS (\(Self.insertTaskSQL(escrow: "(SELECT id FROM escrow)")) RETURNING id, escrow_account_id),
                        hold AS (INSERT INTO transfers (kind, debit_account_id, credit_account_id, amount, reason, task_id, created_at)
                                 SELECT ?, ?, escrow_account_id, ?, ?, id, ? FROM task)
                        SELECT id FROM task
                        """, [.integer(hold), funds.sqlValue, requester.sqlValue, .integer(now), .integer(hold)]
                            + Self.taskBinds(requester, spec, escrow: nil, idempotencyKey: idempotencyKey, requestHash: requestHash, now: now)
                            + [.text(TransferKind.pending.rawValue), funds.sqlValue, .integer(hold), .text(TransferReason.escrowHold.rawValue),
                               .integer(now)])!
                    return (row.id(0), nil)
                } catch let error as SQLError where error.sqlState == "23514" && error.constraint?.hasPrefix("accounts") == true {
                    if let short = try await self.shortOfFunds(funds, hold: hold, tx) { throw short }
                    refusals += 1
                    if refusals == 3 { throw error }
                }
            }
        }
        if existing == nil {
            if spec.goldResultJSON != nil { noteGoldPosted() }
            publish([.taskAvailable(Self.availability(of: spec, task: task))])
        }
        return existing.map(Self.taskView) ?? Self.taskView(of: spec, id: task, requester: requester, now: now)
    }

    /// The task an earlier call with this idempotency key posted, if any (refused if its request differed).
    private func existingTask(_ requester: OwnerID, idempotencyKey: String?, requestHash: String?, _ tx: any SQLExecutor) async throws -> SQLRow? {
        guard let idempotencyKey, let existing = try await tx.queryOne(
            "SELECT \(Self.taskColumns) FROM tasks WHERE requester_id = ? AND idempotency_key = ?", requester, idempotencyKey)
        else { return nil }
        guard existing.optionalText(30) == requestHash else {
            throw WorkhiveError(.idempotencyKeyReused, "Idempotency-Key '\(idempotencyKey)' was used for a different task")
        }
        return existing
    }

    /// The error for a hold the requester's funds cannot cover; nil if they can (the refusal was something else).
    private func shortOfFunds(_ funds: AccountID, hold: Int64, _ tx: any SQLExecutor) async throws -> WorkhiveError? {
        let available = try await totals(of: funds, tx).available
        guard available < hold else { return nil }
        return WorkhiveError(.insufficientFunds,
            "posting this task holds \(hold) micro-USDT in escrow (reward, platform fee and verifier rewards) but only \(available) is available")
    }

    /// Inserts a posted task; `escrow` is the SQL for its escrow account's id.
    static func insertTaskSQL(escrow: String) -> String {
        """
        INSERT INTO tasks (requester_id, task_type, title, instructions, payload, required_caps, reward, lease_seconds,
            max_attempts, deadline_at, priority, visibility, verifiers, quorum, spot_check_rate, verifier_reward, state,
            escrow_account_id, escrow_open, idempotency_key, request_hash, created_at, updated_at, verification_mode, target_confidence,
            spot_check_max_rate, gold_result)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'open', \(escrow), 1, ?, ?, ?, ?, ?, ?, ?, ?)
        """
    }

    /// The binds of `insertTaskSQL`; `escrow` nil when the statement names the account itself.
    static func taskBinds(_ requester: OwnerID, _ spec: TaskSpec, escrow: SQLValue?, idempotencyKey: String?, requestHash: String?, now: Int64) -> [SQLValue] {
        let v = spec.verification
        return [requester.sqlValue, .text(spec.taskType), .text(spec.title), .text(spec.instructions), .text(spec.payloadJSON),
                .text(spec.requiredCapabilities.canonical), .integer(spec.rewardMicroUSDT), spec.leaseSeconds.sqlValue,
                spec.maxAttempts.sqlValue, spec.deadlineAtMillis.sqlValue, spec.priority.sqlValue, .text(spec.visibility.rawValue),
                v.verifiers.sqlValue, v.quorum.sqlValue, .real(v.spotCheckRate), .integer(v.verifierRewardMicroUSDT)]
            + (escrow.map { [$0] } ?? [])
            + [idempotencyKey.sqlValue, requestHash.sqlValue, .integer(now), .integer(now), .text(v.mode.rawValue),
               .real(v.targetConfidence), v.spotCheckMaxRate.sqlValue, spec.goldResultJSON.sqlValue]
    }

    static func availability(of spec: TaskSpec, task: TaskID) -> Event.TaskAvailable {
        .init(task: task, taskType: spec.taskType, requiredCapabilities: spec.requiredCapabilities.canonical,
              rewardMicroUSDT: spec.rewardMicroUSDT, humanOnly: false, excludedOwner: nil)
    }

    /// Cancels a task nobody holds and returns its escrow to the requester.
    public func cancelTask(_ principal: Principal, _ task: TaskID) async throws -> TaskView {
        let now = self.now()
        return try await transact { tx, _ in
            guard let row = try await tx.queryOne("SELECT \(Self.taskColumns) FROM tasks WHERE id = ?", task),
                  row.text(2) != TaskType.verify,
                  self.canRead(principal, requester: row.id(1), visibility: row.text(12), worker: row.optionalID(26))
            else { throw WorkhiveError.notFound("task \(task)") }
            guard principal.isAdmin || principal == .owner(row.id(1), isAdmin: false) else {
                throw WorkhiveError.forbidden("only the requester can cancel its task")
            }
            guard row.text(17) == TaskState.open.rawValue else {
                throw WorkhiveError(.taskNotOpen, "only an open task can be cancelled; this one is \(row.text(17))")
            }
            guard let updated = try await tx.queryOne("""
                UPDATE tasks SET state = 'cancelled', failure_reason = 'cancelled_by_requester', updated_at = ?
                WHERE id = ? AND state = 'open' RETURNING \(Self.taskColumns)
                """, now, task) else { throw WorkhiveError(.taskNotOpen, "task \(task) is no longer open") }
            try await self.closeEscrowIfDone(task, tx, now: now)
            return Self.taskView(updated)
        }
    }

    public func task(_ principal: Principal, _ id: TaskID) async throws -> TaskView {
        let row = try await read { tx in try await tx.queryOne("SELECT \(Self.taskColumns) FROM tasks WHERE id = ?", id) }
        guard let row, canRead(principal, requester: row.id(1), visibility: row.text(12), worker: row.optionalID(26)) else {
            throw WorkhiveError.notFound("task \(id)")
        }
        return Self.taskView(row)
    }

    /// An owner lists its own tasks (an admin all tasks); a worker lists the open public work it could claim.
    public func listTasks(_ principal: Principal, state: TaskState? = nil, taskType: String? = nil, limit: Int = 50, beforeID: TaskID? = nil) async throws -> [TaskView] {
        let limit = max(1, min(limit, 200))
        var filters: [String] = []
        var binds: [SQLValue] = []
        switch principal {
        case .owner(let owner, let admin):
            if !admin {
                filters.append("requester_id = ?")
                binds.append(owner.sqlValue)
            }
            filters.append("task_type <> 'verify'")
            if let state {
                filters.append("state = ?")
                binds.append(.text(state.rawValue))
            }
        case .worker(let worker, _, _):
            guard state == nil || state == .open else { throw WorkhiveError.forbidden("workers list open tasks only") }
            let caps = try await read { tx in try await tx.queryOne("SELECT capabilities FROM workers WHERE id = ?", worker)?.text(0) ?? "" }
            filters += ["state = 'open'", "visibility = 'public'", "task_type <> 'verify'", "caps_subset(required_caps, ?)"]
            binds.append(.text(caps))
        }
        if let taskType {
            filters.append("task_type = ?")
            binds.append(.text(taskType))
        }
        if let beforeID {
            filters.append("id < ?")
            binds.append(beforeID.sqlValue)
        }
        binds.append(.integer(Int64(limit)))
        let sql = "SELECT \(Self.taskColumns) FROM tasks WHERE \(filters.joined(separator: " AND ")) ORDER BY id DESC LIMIT ?"
        let finalBinds = binds
        return try await read { tx in try await tx.query(sql, finalBinds).map(Self.taskView) }
    }

    /// Submissions of a task with their votes, for its requester (or an admin).
    public func submissions(_ principal: Principal, task: TaskID) async throws -> [SubmissionView] {
        let t = try await self.task(principal, task)
        guard principal.isAdmin || (principal == .owner(t.requesterId, isAdmin: false)) else {
            throw WorkhiveError.forbidden("only the requester sees a task's submissions")
        }
        return try await read { tx in
            try await tx.query("SELECT \(Self.submissionColumns) FROM submissions WHERE task_id = ? ORDER BY id", task).map(Self.submissionView)
        }
    }

    public func votes(_ principal: Principal, submission: SubmissionID) async throws -> [VoteView] {
        let sub = try await read { tx in try await tx.queryOne("SELECT task_id, worker_id FROM submissions WHERE id = ?", submission) }
        guard let sub else { throw WorkhiveError.notFound("submission \(submission)") }
        let t = try await self.task(principal, sub.id(0))
        guard principal.isAdmin || principal == .owner(t.requesterId, isAdmin: false) || principal.workerID == sub.optionalID(1) else {
            throw WorkhiveError.forbidden("only the requester and the submitter see the votes")
        }
        return try await read { tx in
            try await tx.query("SELECT \(Self.voteColumns) FROM votes WHERE submission_id = ? ORDER BY id", submission).map(Self.voteView)
        }
    }

    /// Private tasks are visible to their requester, an admin and the worker holding them.
    func canRead(_ principal: Principal, requester: OwnerID, visibility: String, worker: WorkerID?) -> Bool {
        if visibility == Visibility.public.rawValue || principal.isAdmin { return true }
        switch principal {
        case .owner(let owner, _): return owner == requester
        case .worker(let id, _, _): return id == worker
        }
    }
}

