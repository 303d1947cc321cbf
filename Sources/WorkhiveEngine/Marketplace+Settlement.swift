import WorkhiveCore

extension Marketplace {
    /// A task with its escrow hold: what settlement needs, in one statement. Column 13 on: the hold's
    /// transfer id, its debit (the requester's funds) account, what is left of it, and whether
    /// something could still draw on it (a held verification slot, an open one of another submission
    /// than the one being decided, whose own open slots are closed in the same operation). Column 17
    /// on: the part of the reward set aside for sub-tasks, whether this is a sub-task (no platform fee:
    /// the parent pays it), whether the task was ever delegated, and whether a rejection's appeal
    /// window is still open (then an unapproved task keeps its escrow: see `Schema.appeals`). The hold is the task's latest
    /// pending transfer: a delegated parent that reopens is held anew (see `endDelegations`).
    static func settleSQL(_ dialect: SQLDialect) -> String { dialect == .postgres ? settleSQLPostgres : settleSQLSQLite }
    private static let settleSQLSQLite = settleSQL(joining: holdJoin(.sqlite))
    private static let settleSQLPostgres = settleSQL(joining: holdJoin(.postgres))
    private static func settleSQL(joining holdJoin: String) -> String { """
        SELECT t.id, t.requester_id, t.reward, t.verifier_reward, t.escrow_account_id, t.attempts, t.max_attempts, t.state,
               t.task_type, t.required_caps, t.human_only, t.exclude_owner_id, t.escrow_open,
               h.id, h.debit_account_id, a.credits_pending,
               EXISTS (SELECT 1 FROM submissions b JOIN tasks s ON s.submission_id = b.id
                       WHERE b.task_id = t.id AND (s.state = 'claimed' OR (s.state = 'open' AND s.submission_id <> ?))),
               t.delegated_reward, t.delegation_id IS NOT NULL, EXISTS (SELECT 1 FROM delegations d WHERE d.parent_task_id = t.id),
               COALESCE(t.appeal_until, 0) > ?
        FROM tasks t
        \(holdJoin)
        WHERE t.id = ?
        """ }

    /// Joins a task `t` to its escrow hold `h` (its escrow account's latest pending transfer) and
    /// its escrow account `a`. On PostgreSQL each is looked up by key per task (LATERAL, kept from
    /// being flattened by its LIMIT): a plain join let the planner hash all of `transfers` and
    /// `accounts` for a handful of tasks, because young tables' statistics make a full scan look
    /// cheap, and that cost grows with the ledger. SQLite joins only by nested loops and has no LATERAL.
    static func holdJoin(_ dialect: SQLDialect) -> String {
        dialect == .postgres ? """
            CROSS JOIN LATERAL (SELECT x.id, x.debit_account_id FROM transfers x WHERE x.id =
                (SELECT MAX(y.id) FROM transfers y WHERE y.credit_account_id = t.escrow_account_id AND y.kind = 'pending') LIMIT 1) h
            CROSS JOIN LATERAL (SELECT e.credits_pending FROM accounts e WHERE e.id = t.escrow_account_id LIMIT 1) a
            """ : """
            JOIN transfers h ON h.id = (SELECT MAX(x.id) FROM transfers x WHERE x.credit_account_id = t.escrow_account_id AND x.kind = 'pending')
            JOIN accounts a ON a.id = t.escrow_account_id
            """
    }

    /// Applies a submission's outcome and pays from the task's escrow in one ledger batch.
    /// `decided` is set when the outcome was reached by this very operation: then the task moves on
    /// (approved, reopened or rejected), the worker and platform fee are paid on approval, and slots
    /// nobody holds are closed. Every unpaid vote that agrees with `outcome` is paid (a vote cast after
    /// the outcome too), and the rest of the escrow is released once nothing can draw on it any more.
    /// `unverified`: a task without verification (n = 0) whose submission was written decided; it has
    /// no slots and no votes, so nothing is asked of them. `confidence`: the verdict's, recorded
    /// with it.
    func settle(_ taskID: TaskID, submission: SubmissionID, decided: Outcome?, outcome: Outcome, submitter: WorkerID, unverified: Bool = false,
                confidence: Double? = nil, _ tx: any SQLExecutor, _ events: EventBuffer, now: Int64) async throws {
        if decided == .rejected {
            try await holdEscrowForAppeal(taskID, tx, now: now)
        }
        let task = try await tx.queryOne(Self.settleSQL(tx.dialect), submission, now, taskID)!
        let requester: OwnerID = task.id(1)
        var payouts: [Payout] = []
        var state = TaskState(rawValue: task.text(7)) ?? .verifying
        var escrowMarkedClosed = false
        if let decided {
            if !unverified {
                try await tx.execute("""
                    UPDATE submissions SET state = ?, decided_at = ?, confidence = COALESCE(?, confidence) WHERE id = ? AND state = 'pending'
                    """, decided.rawValue, now, confidence, submission)
            }
            switch Lifecycle.afterOutcome(decided, attempts: Int(task.int(5)), maxAttempts: Int(task.int(6))) {
            case .approve:
                let worker = try await workerFacts(submitter, tx)
                // Set-aside sub-task rewards are paid from the delegation pool; the fee is on the whole reward.
                let reward = task.int(2) - task.int(17)
                let fee = task.bool(18) ? 0 : configuration.fees.platformFee(reward: task.int(2))
                payouts.append(Payout(account: worker.earnings, amount: reward, reason: .reward, task: taskID))
                payouts.append(Payout(account: system.platformFee(for: taskID), amount: fee, reason: .platformFee, task: taskID))
                events.append(.ledgerCredited(account: worker.earnings, owner: worker.owner, worker: submitter, amountMicroUSDT: reward, reason: .reward, task: taskID))
                state = .approved
            case .reopen:
                state = .open
                events.append(.taskAvailable(.init(task: taskID, taskType: task.text(8), requiredCapabilities: task.text(9), rewardMicroUSDT: task.int(2),
                                                   humanOnly: task.bool(10), excludedOwner: task.optionalID(11))))
            case .reject, .fail:
                state = .rejected
            }
            // Without slots nothing else can draw on the escrow, so whether it closes is known now,
            // and the same statement says so.
            escrowMarkedClosed = unverified && Self.escrowCloses(task, state: state)
            // The task moves on, and this submission's slots nobody holds are closed. (Two statements,
            // each on one index: PostgreSQL plans the OR of the two as a scan of every task while its
            // statistics still say the table is small.)
            try await tx.execute("""
                UPDATE tasks SET state = ?, lease_expires_at = CASE WHEN ? = 'open' THEN NULL ELSE lease_expires_at END,
                    failure_reason = CASE WHEN ? = 'rejected' THEN 'rejected_by_verifiers' ELSE failure_reason END,
                    appeal_until = CASE WHEN ? = 'approved' THEN NULL ELSE appeal_until END, updated_at = ?,
                    escrow_open = CASE WHEN ? = 1 THEN 0 ELSE escrow_open END
                WHERE id = ? AND state = 'verifying'
                """, state.rawValue, state.rawValue, state.rawValue, state.rawValue, now, escrowMarkedClosed, taskID)
            if !unverified {
                try await tx.execute("UPDATE tasks SET state = 'cancelled', updated_at = ? WHERE submission_id = ? AND state = 'open'", now, submission)
            }
            events.append(.submissionVerdict(submission: submission, task: taskID, worker: submitter, requester: requester, outcome: decided))
        }

        let reward = task.int(3)
        let agreeing = outcome == .approved ? Verdict.approve : Verdict.reject
        let paidVoters: [(slot: TaskID, verifier: WorkerID)] = unverified ? [] : try await tx.query("""
            UPDATE tasks SET vote_paid = 1 WHERE submission_id = ? AND verdict = ? AND vote_paid = 0 RETURNING id, worker_id
            """, submission, agreeing.rawValue).map { ($0.id(0), $0.id(1)) }
        for v in paidVoters where reward > 0 {
            let verifier = try await workerFacts(v.verifier, tx)
            payouts.append(Payout(account: verifier.earnings, amount: reward, reason: .verifierReward, task: v.slot))
            events.append(.ledgerCredited(account: verifier.earnings, owner: verifier.owner, worker: v.verifier, amountMicroUSDT: reward,
                                          reason: .verifierReward, task: v.slot))
        }
        try await drawFromEscrow(task, payouts: payouts, state: state, slotsPossible: !unverified, escrowMarkedClosed: escrowMarkedClosed, tx, now: now)
        if decided != nil, task.bool(19) {
            try await endDelegations(of: taskID, submission: submission, outcome: state, tx, events, now: now)
        }
        // Automatic payouts (off by default) go out in the same transaction as the earnings.
        try await queueAutomaticPayouts(for: (decided != nil && state == .approved ? [submitter] : []) + paidVoters.map(\.verifier), tx, now: now)
    }

    /// Releases what is left of a task's escrow once the task is final and no verification slot of it
    /// is open or held (cancel, failure, a late slot closing).
    func closeEscrowIfDone(_ taskID: TaskID, _ tx: any SQLExecutor, now: Int64) async throws {
        guard let task = try await tx.queryOne(Self.settleSQL(tx.dialect), SubmissionID(0), now, taskID), task.bool(12) else { return }
        try await drawFromEscrow(task, payouts: [], state: TaskState(rawValue: task.text(7)) ?? .open, tx, now: now)
    }

    struct Payout {
        let account: AccountID
        let amount: Int64
        let reason: TransferReason
        let task: TaskID
    }

    /// Whether the rest of a task's hold is released now (`task` as `settleSQL` reads it): its escrow
    /// is still open, the task is final, no slot of another submission can still draw on it, and no
    /// appeal window keeps it (an approved task has none).
    static func escrowCloses(_ task: SQLRow, state: TaskState) -> Bool {
        task.bool(12) && state.isFinal && !task.bool(16) && (state == .approved || !task.bool(20))
    }

    /// Posts what the payouts need from the escrow hold and pays them; voids the rest of the hold if
    /// the task is final and nothing can draw on it any more, in one ledger batch.
    /// `escrowMarkedClosed`: the task's row already says its escrow is closed, if it closes.
    private func drawFromEscrow(_ task: SQLRow, payouts: [Payout], state: TaskState, slotsPossible: Bool = true,
                                escrowMarkedClosed: Bool = false, _ tx: any SQLExecutor, now: Int64) async throws {
        let taskID: TaskID = task.id(0)
        var closing = Self.escrowCloses(task, state: state)
        if closing && slotsPossible && tx.dialect == .postgres {
            // On PostgreSQL a worker may have claimed a slot between the settle read and the
            // statement that closed the open ones (which waited for that claim, then left the slot
            // alone). This later statement sees the claim, and the hold stays for its vote.
            closing = try await tx.queryOne(
                "SELECT 1 FROM submissions b JOIN tasks s ON s.submission_id = b.id WHERE b.task_id = ? AND s.state = 'claimed'",
                taskID) == nil
        }
        let draw = payouts.reduce(0) { $0 + $1.amount }
        guard draw > 0 || closing else { return }
        let escrow: AccountID = task.id(4), hold: TransferID = task.id(13), funds: AccountID = task.id(14)
        var batch = LedgerBatch()
        batch.post(pending: hold, from: funds, to: escrow, draw, task: taskID)
        for p in payouts { batch.posted(from: escrow, to: p.account, p.amount, p.reason, task: p.task) }
        if closing {
            batch.void(pending: hold, from: funds, to: escrow, task.int(15) - draw, task: taskID)
            if !escrowMarkedClosed { try await tx.execute("UPDATE tasks SET escrow_open = 0 WHERE id = ?", taskID) }
        }
        try await apply(batch, tx, now: now)
    }
}
