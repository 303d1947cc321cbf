import WorkhiveCore

extension Marketplace {
    static let settleColumns = "id, requester_id, reward, verifier_reward, escrow_account_id, attempts, max_attempts, state, task_type, required_caps, human_only, exclude_owner_id, escrow_open"

    /// Applies a submission's outcome and pays from the task's escrow in one ledger batch.
    /// `decided` is set when the outcome was reached by this very operation: then the task moves on
    /// (approved, reopened or rejected), the worker and platform fee are paid on approval, and slots
    /// nobody holds are closed. In every case each unpaid vote that agrees with `outcome` is paid, and
    /// the rest of the escrow is released once nothing can draw on it any more.
    func settle(_ taskID: TaskID, submission: SubmissionID, decided: Outcome?, outcome: Outcome, submitter: WorkerID,
                _ tx: any SQLExecutor, _ events: EventBuffer, now: Int64) async throws {
        let task = try await tx.queryOne("SELECT \(Self.settleColumns) FROM tasks WHERE id = ?", taskID)!
        let requester: OwnerID = task.id(1)
        var payouts: [Payout] = []
        var state = TaskState(rawValue: task.text(7)) ?? .verifying
        if let decided {
            try await tx.execute("UPDATE submissions SET state = ?, decided_at = ? WHERE id = ? AND state = 'pending'", decided.rawValue, now, submission)
            try await tx.execute("UPDATE tasks SET state = 'cancelled', updated_at = ? WHERE submission_id = ? AND state = 'open'", now, submission)
            switch Lifecycle.afterOutcome(decided, attempts: Int(task.int(5)), maxAttempts: Int(task.int(6))) {
            case .approve:
                let worker = try await workerFacts(submitter, tx)
                let reward = task.int(2)
                payouts.append(Payout(account: worker.earnings, amount: reward, reason: .reward, task: taskID))
                payouts.append(Payout(account: system.platformFee(for: taskID), amount: configuration.fees.platformFee(reward: reward), reason: .platformFee, task: taskID))
                events.append(.ledgerCredited(account: worker.earnings, owner: worker.owner, worker: submitter, amountMicroUSDT: reward, reason: .reward, task: taskID))
                state = .approved
            case .reopen:
                state = .open
                events.append(.taskAvailable(.init(task: taskID, taskType: task.text(8), requiredCapabilities: task.text(9), rewardMicroUSDT: task.int(2),
                                                   humanOnly: task.bool(10), excludedOwner: task.optionalID(11))))
            case .reject, .fail:
                state = .rejected
            }
            try await tx.execute("""
                UPDATE tasks SET state = ?, lease_expires_at = CASE WHEN ? = 'open' THEN NULL ELSE lease_expires_at END,
                    failure_reason = CASE WHEN ? = 'rejected' THEN 'rejected_by_verifiers' ELSE failure_reason END, updated_at = ?
                WHERE id = ? AND state = 'verifying'
                """, state.rawValue, state.rawValue, state.rawValue, now, taskID)
            events.append(.submissionVerdict(submission: submission, task: taskID, worker: submitter, requester: requester, outcome: decided))
        }

        let agreeing = outcome == .approved ? Verdict.approve : Verdict.reject
        let voters = try await tx.query(
            "UPDATE votes SET paid = 1 WHERE submission_id = ? AND verdict = ? AND paid = 0 RETURNING slot_task_id, verifier_id",
            submission, agreeing.rawValue)
        if !voters.isEmpty {
            let reward = task.int(3)
            for v in voters where reward > 0 {
                let verifier = try await workerFacts(v.id(1), tx)
                payouts.append(Payout(account: verifier.earnings, amount: reward, reason: .verifierReward, task: v.id(0)))
                events.append(.ledgerCredited(account: verifier.earnings, owner: verifier.owner, worker: v.id(1), amountMicroUSDT: reward,
                                              reason: .verifierReward, task: v.id(0)))
            }
        }
        try await drawFromEscrow(task, payouts: payouts, state: state, tx, now: now)
    }

    /// Releases what is left of a task's escrow once the task is final and no verification slot of it
    /// is open or held (cancel, failure, a late slot closing).
    func closeEscrowIfDone(_ taskID: TaskID, _ tx: any SQLExecutor, now: Int64) async throws {
        guard let task = try await tx.queryOne("SELECT \(Self.settleColumns) FROM tasks WHERE id = ? AND escrow_open = 1", taskID) else { return }
        try await drawFromEscrow(task, payouts: [], state: TaskState(rawValue: task.text(7)) ?? .open, tx, now: now)
    }

    struct Payout {
        let account: AccountID
        let amount: Int64
        let reason: TransferReason
        let task: TaskID
    }

    /// Posts what the payouts need from the escrow hold and pays them; voids the rest of the hold if
    /// the task is final and nothing can draw on it any more. One INSERT and one UPDATE in all.
    private func drawFromEscrow(_ task: SQLRow, payouts: [Payout], state: TaskState, _ tx: any SQLExecutor, now: Int64) async throws {
        let taskID: TaskID = task.id(0)
        let mayClose = task.bool(12) && state.isFinal
        let draw = payouts.reduce(0) { $0 + $1.amount }
        guard draw > 0 || mayClose else { return }
        let escrow: AccountID = task.id(4)
        // The hold, what is left of it, and whether any verification slot could still draw on it.
        let hold = try await tx.queryOne("""
            SELECT t.id, t.debit_account_id, a.credits_pending,
                   EXISTS (SELECT 1 FROM submissions b JOIN tasks s ON s.submission_id = b.id
                           WHERE b.task_id = ? AND s.state IN ('open','claimed'))
            FROM transfers t JOIN accounts a ON a.id = t.credit_account_id
            WHERE t.credit_account_id = ? AND t.kind = 'pending'
            """, taskID, escrow)!
        let closing = mayClose && !hold.bool(3)
        guard draw > 0 || closing else { return }
        var batch = LedgerBatch()
        batch.post(pending: hold.id(0), from: hold.id(1), to: escrow, draw, task: taskID)
        for p in payouts { batch.posted(from: escrow, to: p.account, p.amount, p.reason, task: p.task) }
        if closing {
            batch.void(pending: hold.id(0), from: hold.id(1), to: escrow, hold.int(2) - draw, task: taskID)
            try await tx.execute("UPDATE tasks SET escrow_open = 0 WHERE id = ?", taskID)
        }
        try await apply(batch, tx, now: now)
    }
}
