import WorkhiveCore

extension Marketplace {
    /// A sub-agent submitted a sub-task (inside `submit`'s transaction). Funded by the master, it is
    /// approved and paid at once; funded from the parent's escrow, it waits (`verifying`) for the
    /// parent's verdict and is paid only if the parent is approved. Either way the parent's lease is
    /// renewed so the master has time to aggregate and submit, and for `first` the sub-tasks nobody
    /// has claimed yet are cancelled. Returns the submission's state.
    func completeSubTask(_ task: TaskID, delegation: DelegationID, submission: SubmissionID, submitter: WorkerID,
                         _ tx: any SQLExecutor, _ events: EventBuffer, now: Int64) async throws -> String {
        let d = try await tx.queryOne("SELECT funding, aggregation, parent_claim_id FROM delegations WHERE id = ?", delegation)!
        var state = "pending"
        if d.text(0) == DelegationFunding.masterBalance.rawValue {
            try await settle(task, submission: submission, decided: .approved, outcome: .approved, submitter: submitter, tx, events, now: now)
            state = Outcome.approved.rawValue
        }
        try await tx.execute("""
            UPDATE tasks SET lease_expires_at = CASE WHEN lease_expires_at < ? + lease_seconds * 1000 THEN ? + lease_seconds * 1000
                                                     ELSE lease_expires_at END, expiring_notified = 0, updated_at = ?
            WHERE claim_id = ? AND state = 'claimed'
            """, now, now, now, d.int(2))
        if d.text(1) == AggregationMethod.first.rawValue {
            for row in try await tx.query(
                "UPDATE tasks SET state = 'cancelled', failure_reason = 'first_result_in', updated_at = ? WHERE delegation_id = ? AND state = 'open' RETURNING id",
                now, delegation) {
                try await closeEscrowIfDone(row.id(0), tx, now: now)
            }
        }
        return state
    }

    /// Called when the parent's attempt under `claim` ends (decided, expired or past its deadline):
    /// unfinished sub-tasks are cancelled (their holds return to where they came from), sub-tasks
    /// waiting for the parent are paid if it was approved and rejected otherwise, and what is left in
    /// the parent's delegation pool goes to the master (approved), back to the requester (final), or
    /// back into the parent's hold for its next attempt (reopened).
    func endDelegations(of parent: TaskID, submission: SubmissionID, outcome: TaskState, _ tx: any SQLExecutor, _ events: EventBuffer, now: Int64) async throws {
        guard let claim: ClaimID = try await tx.queryOne("SELECT claim_id FROM submissions WHERE id = ?", submission)?.id(0) else { return }
        try await endDelegations(of: parent, claim: claim, outcome: outcome, tx, events, now: now)
    }

    func endDelegations(of parent: TaskID, claim: ClaimID, outcome: TaskState, _ tx: any SQLExecutor, _ events: EventBuffer, now: Int64) async throws {
        guard let d = try await tx.queryOne("SELECT id, funding, master_worker_id FROM delegations WHERE parent_claim_id = ?", claim) else { return }
        let delegation: DelegationID = d.id(0)
        let children = try await tx.query("""
            UPDATE tasks SET state = CASE WHEN state = 'verifying' THEN state ELSE 'cancelled' END,
                failure_reason = CASE WHEN state = 'verifying' THEN failure_reason ELSE 'parent_closed' END, updated_at = ?
            WHERE delegation_id = ? AND state IN ('open','claimed','verifying')
            RETURNING id, state
            """, now, delegation)
        for child in children {
            let id: TaskID = child.id(0)
            guard child.text(1) == TaskState.verifying.rawValue else {
                try await closeEscrowIfDone(id, tx, now: now)
                continue
            }
            let sub = try await tx.queryOne("SELECT id, worker_id FROM submissions WHERE task_id = ? AND state = 'pending'", id)!
            if outcome == .approved {
                try await settle(id, submission: sub.id(0), decided: .approved, outcome: .approved, submitter: sub.id(1), tx, events, now: now)
            } else {
                try await tx.execute("UPDATE submissions SET state = 'rejected', decided_at = ? WHERE id = ? AND state = 'pending'", now, sub.int(0))
                try await tx.execute("UPDATE tasks SET state = 'rejected', failure_reason = 'parent_not_approved', updated_at = ? WHERE id = ? AND state = 'verifying'",
                                     now, id)
                try await closeEscrowIfDone(id, tx, now: now)
            }
        }
        // Children failed in this same operation (a deadline fails parent and children together) return
        // their holds before the pool is swept.
        for child in try await tx.query(
            "SELECT id FROM tasks WHERE delegation_id = ? AND escrow_open = 1 AND state IN ('failed','cancelled','rejected')", delegation) {
            try await closeEscrowIfDone(child.id(0), tx, now: now)
        }
        guard d.text(1) == DelegationFunding.parentEscrow.rawValue else { return }
        let row = try await tx.queryOne("SELECT requester_id, escrow_account_id, delegated_reward FROM tasks WHERE id = ?", parent)!
        let escrow: AccountID = row.id(1)
        let pool = try await totals(of: escrow, tx).available
        let funds = try await fundsAccount(of: row.id(0), tx)
        var batch = LedgerBatch()
        switch outcome {
        case .approved:
            let master: WorkerID = d.id(2)
            let masterFacts = try await workerFacts(master, tx)
            batch.posted(from: escrow, to: masterFacts.earnings, pool, .delegationReturn, task: parent)
            if pool > 0 {
                events.append(.ledgerCredited(account: masterFacts.earnings, owner: masterFacts.owner, worker: master, amountMicroUSDT: pool,
                                              reason: .delegationReturn, task: parent))
            }
        case .open:
            // The next attempt gets the whole reward again: the pool and the old hold become one new hold.
            let hold = try await tx.queryOne(
                "SELECT id, debit_account_id FROM transfers WHERE credit_account_id = ? AND kind = 'pending' ORDER BY id DESC LIMIT 1", escrow)!
            let left = try await totals(of: escrow, tx).creditsPending
            batch.void(pending: hold.id(0), from: hold.id(1), to: escrow, left, task: parent)
            batch.posted(from: escrow, to: funds, pool, .delegationReturn, task: parent)
            if left + pool > 0 { batch.pending(from: funds, to: escrow, left + pool, .escrowHold, task: parent) }
            try await tx.execute("UPDATE tasks SET delegated_reward = 0 WHERE id = ?", parent)
        default:
            batch.posted(from: escrow, to: funds, pool, .delegationReturn, task: parent)
        }
        try await apply(batch, tx, now: now)
    }

    /// The lease rescuer renews the lease of a parent whose sub-tasks are still open or being worked,
    /// once half of it is gone: the master is waiting on its fleet, not gone.
    func keepDelegatingParentsAlive(_ tx: any SQLExecutor, now: Int64) async throws {
        try await tx.execute("""
            UPDATE tasks SET lease_expires_at = ? + lease_seconds * 1000, expiring_notified = 0
            WHERE state = 'claimed' AND lease_expires_at <= ? + lease_seconds * 500
              AND EXISTS (SELECT 1 FROM delegations d JOIN tasks c ON c.delegation_id = d.id
                          WHERE d.parent_claim_id = tasks.claim_id AND c.state IN ('open','claimed'))
            """, now, now)
    }
}
