import WorkhiveCore

extension Marketplace {
    static let submissionColumns = "id, task_id, worker_id, attempt, state, approvals, rejections, result, proofs, created_at, decided_at, request_hash, claim_id"
    static let voteColumns = "submission_id, slot_task_id, verifier_id, verdict, reason, paid, created_at"

    static func submissionView(_ r: SQLRow) -> SubmissionView {
        SubmissionView(
            id: r.id(0), taskId: r.id(1), workerId: r.id(2), attempt: Int(r.int(3)), state: r.text(4),
            approvals: Int(r.int(5)), rejections: Int(r.int(6)), result: StoredJSON.decode(r.text(7)),
            proofs: StoredJSON.decodeStrings(r.text(8)), createdAtMillis: r.int(9), decidedAtMillis: r.optionalInt(10))
    }

    static func voteView(_ r: SQLRow) -> VoteView {
        VoteView(submissionId: r.id(0), slotTaskId: r.id(1), verifierId: r.id(2), verdict: Verdict(rawValue: r.text(3)) ?? .reject,
                 reason: r.text(4), paid: r.bool(5), createdAtMillis: r.int(6))
    }

    /// Submits the result of a held claim with its proofs (SHA-256 of uploaded blobs). Opens the
    /// task's verification slots, or approves at once when its policy has no verifiers. Submitting the
    /// same claim again returns the first submission.
    public func submit(_ principal: Principal, claim: ClaimID, resultJSON: String, proofs: [String]) async throws -> SubmissionView {
        let (worker, owner, _) = try principal.requireWorker(for: "submit")
        guard proofs.count <= 20 else { throw WorkhiveError.invalid("at most 20 proofs per submission") }
        for proof in proofs where !BlobStore.isDigest(proof) {
            throw WorkhiveError.invalid("proof '\(proof.prefix(80))' is not the SHA-256 of an uploaded blob (64 lower-case hex characters)")
        }
        guard resultJSON.utf8.count <= TaskSpec.maxPayloadBytes else {
            throw WorkhiveError.invalid("result must be at most \(TaskSpec.maxPayloadBytes) bytes of JSON")
        }
        let proofsJSON = StoredJSON.encodeStrings(proofs)
        let requestHash = sha256Hex(resultJSON + "\u{0}" + proofsJSON)
        let now = self.now()
        let draw = random.nextUnit()
        return try await transact { tx, events in
            if let existing = try await tx.queryOne("SELECT \(Self.submissionColumns) FROM submissions WHERE claim_id = ?", claim) {
                guard existing.id(2) == worker else { throw WorkhiveError.forbidden("claim \(claim) belongs to another worker") }
                guard existing.text(11) == requestHash else {
                    throw WorkhiveError(.conflict, "claim \(claim) was already submitted with a different result")
                }
                return Self.submissionView(existing)
            }
            guard let row = try await tx.queryOne("SELECT \(Self.taskColumns) FROM tasks WHERE claim_id = ?", claim),
                  row.optionalID(26) == worker, row.text(17) == TaskState.claimed.rawValue, row.int(27) > now else {
                throw try await self.claimProblem(claim, worker: worker, tx, now: now)
            }
            let task = Self.taskView(row)
            guard task.taskType != TaskType.verify else {
                throw WorkhiveError.invalid("claim \(claim) is a verification slot: vote on it instead of submitting")
            }
            if !proofs.isEmpty {
                let placeholders = Array(repeating: "?", count: proofs.count).joined(separator: ",")
                let known = Set(try await tx.query("SELECT sha256 FROM blobs WHERE sha256 IN (\(placeholders))", proofs.map(SQLValue.text)).map { $0.text(0) })
                if let missing = proofs.first(where: { !known.contains($0) }) {
                    throw WorkhiveError.invalid("proof \(missing) has not been uploaded (POST /v1/blobs first)")
                }
            }
            let submission = try await tx.queryOne("""
                INSERT INTO submissions (task_id, claim_id, worker_id, worker_owner_id, attempt, result, proofs, state, request_hash, created_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?) RETURNING \(Self.submissionColumns)
                """, task.id, claim, worker, owner, task.attempts, resultJSON, proofsJSON, requestHash, now)!
            let submissionID: SubmissionID = submission.id(0)
            let changed = try await tx.execute(
                "UPDATE tasks SET state = 'verifying', updated_at = ? WHERE id = ? AND state = 'claimed' AND claim_id = ?", now, task.id, claim)
            guard changed == 1 else { throw WorkhiveError(.claimExpired, "claim \(claim) is no longer held") }

            let policy = VerificationPolicy(verifiers: task.verification.verifiers, quorum: task.verification.quorum,
                                            spotCheckRate: task.verification.spotCheckRate,
                                            verifierRewardMicroUSDT: task.verification.verifierRewardMicroUSDT)
            if policy.verifiers == 0 {
                try await self.decide(.approved, task: row, submission: submissionID, submitter: worker, tx, events, now: now)
                return Self.submissionView(try await tx.queryOne("SELECT \(Self.submissionColumns) FROM submissions WHERE id = ?", submissionID)!)
            }
            let slots = verificationSlots(policy: policy, draw: draw)
            let values = Array(repeating: "(?, 'verify', ?, ?, '{}', '', ?, ?, 100, ?, ?, 0, 0, 0, 0, 'open', ?, ?, ?, ?, ?, ?)", count: slots.count)
                .joined(separator: ", ")
            var binds: [SQLValue] = []
            let title = "Verify: \(task.title)".prefix(200)
            for humanOnly in slots {
                binds += [task.requesterId.sqlValue, .text(String(title)), .text(Self.verifyInstructions), .integer(policy.verifierRewardMicroUSDT),
                          task.leaseSeconds.sqlValue, task.priority.sqlValue, .text(task.visibility.rawValue), task.id.sqlValue,
                          submissionID.sqlValue, humanOnly.sqlValue, owner.sqlValue, .integer(now), .integer(now)]
            }
            let inserted = try await tx.query("""
                INSERT INTO tasks (requester_id, task_type, title, instructions, payload, required_caps, reward, lease_seconds, max_attempts,
                    priority, visibility, verifiers, quorum, spot_check_rate, verifier_reward, state, parent_task_id, submission_id,
                    human_only, exclude_owner_id, created_at, updated_at)
                VALUES \(values) RETURNING id, human_only
                """, binds)
            for slot in inserted {
                events.append(.taskAvailable(.init(task: slot.id(0), taskType: TaskType.verify, requiredCapabilities: "",
                                                   rewardMicroUSDT: policy.verifierRewardMicroUSDT, humanOnly: slot.bool(1), excludedOwner: owner)))
            }
            return Self.submissionView(submission)
        }
    }

    static let verifyInstructions = """
        Review the submission against the task's instructions and payload. Vote approve if it does what was asked, \
        reject with a reason if not. You are paid when your vote agrees with the final verdict.
        """

    /// A verifier's vote on a held verification slot. Once k approvals or n-k+1 rejections are in, the
    /// submission is decided and settled at once; a vote arriving after that still counts for its
    /// verifier's pay if it agrees. Voting twice on one slot returns the first vote.
    public func vote(_ principal: Principal, claim: ClaimID, verdict: Verdict, reason: String) async throws -> VoteView {
        let (verifier, _, _) = try principal.requireWorker(for: "vote")
        let reason = reason.trimmingCharacters(in: .whitespacesAndNewlines)
        guard reason.utf8.count <= 2000 else { throw WorkhiveError.invalid("reason must be at most 2000 bytes") }
        if verdict == .reject && reason.isEmpty { throw WorkhiveError.invalid("a rejection needs a reason") }
        let now = self.now()
        return try await transact { tx, events in
            guard let slot = try await tx.queryOne("SELECT \(Self.taskColumns) FROM tasks WHERE claim_id = ?", claim) else {
                throw WorkhiveError.notFound("claim \(claim)")
            }
            let slotID: TaskID = slot.id(0)
            guard slot.optionalID(26) == verifier else { throw WorkhiveError.forbidden("claim \(claim) belongs to another worker") }
            guard slot.text(2) == TaskType.verify, let submissionID: SubmissionID = slot.optionalID(21), let parentID: TaskID = slot.optionalID(20) else {
                throw WorkhiveError.invalid("claim \(claim) is not a verification slot: submit work instead of voting")
            }
            if let existing = try await tx.queryOne("SELECT \(Self.voteColumns) FROM votes WHERE slot_task_id = ?", slotID) {
                let view = Self.voteView(existing)
                guard view.verdict == verdict, view.reason == reason else {
                    throw WorkhiveError(.conflict, "this slot was already voted \(view.verdict.rawValue)")
                }
                return view
            }
            guard slot.text(17) == TaskState.claimed.rawValue, slot.int(27) > now else {
                if slot.text(17) == TaskState.cancelled.rawValue {
                    throw WorkhiveError(.verificationClosed, "the submission was decided before this slot was voted")
                }
                throw try await self.claimProblem(claim, worker: verifier, tx, now: now)
            }
            guard try await tx.execute(
                "UPDATE tasks SET state = 'done', updated_at = ? WHERE id = ? AND state = 'claimed' AND claim_id = ?", now, slotID, claim) == 1
            else { throw WorkhiveError(.claimExpired, "claim \(claim) is no longer held") }
            try await tx.execute("""
                INSERT INTO votes (submission_id, slot_task_id, verifier_id, verdict, reason, paid, created_at) VALUES (?, ?, ?, ?, ?, 0, ?)
                """, submissionID, slotID, verifier, verdict.rawValue, reason, now)
            let approve = verdict == .approve ? 1 : 0
            let sub = try await tx.queryOne("""
                UPDATE submissions SET approvals = approvals + ?, rejections = rejections + ? WHERE id = ?
                RETURNING state, approvals, rejections, worker_id
                """, approve, 1 - approve, submissionID)!
            let parent = try await tx.queryOne("SELECT \(Self.taskColumns) FROM tasks WHERE id = ?", parentID)!
            if let decided = Outcome(rawValue: sub.text(0)) {
                // Decided already: a late vote is paid only if it agrees with the outcome.
                try await self.payVerifiers(of: submissionID, outcome: decided, task: parent, tx, events, now: now)
                try await self.closeEscrowIfDone(parentID, tx, now: now)
            } else {
                let policy = VerificationPolicy(verifiers: Int(parent.int(13)), quorum: Int(parent.int(14)),
                                                spotCheckRate: parent.double(15), verifierRewardMicroUSDT: parent.int(16))
                if let outcome = Consensus.decide(approvals: Int(sub.int(1)), rejections: Int(sub.int(2)), policy: policy) {
                    try await self.decide(outcome, task: parent, submission: submissionID, submitter: sub.id(3), tx, events, now: now)
                }
            }
            return Self.voteView(try await tx.queryOne("SELECT \(Self.voteColumns) FROM votes WHERE slot_task_id = ?", slotID)!)
        }
    }

    /// Settles a submission's outcome: pays worker, fee and agreeing verifiers from escrow, moves the
    /// task on (approved, reopened or rejected), closes slots nobody holds, and releases the escrow
    /// once nothing can draw on it any more.
    func decide(_ outcome: Outcome, task row: SQLRow, submission: SubmissionID, submitter: WorkerID,
                _ tx: any SQLExecutor, _ events: EventBuffer, now: Int64) async throws {
        let task: TaskID = row.id(0)
        let requester: OwnerID = row.id(1)
        try await tx.execute("UPDATE submissions SET state = ?, decided_at = ? WHERE id = ? AND state = 'pending'", outcome.rawValue, now, submission)
        try await tx.execute("UPDATE tasks SET state = 'cancelled', updated_at = ? WHERE submission_id = ? AND state = 'open'", now, submission)

        let next = Lifecycle.afterOutcome(outcome, attempts: Int(row.int(18)), maxAttempts: Int(row.int(9)))
        switch next {
        case .approve:
            let earnings = try await tx.queryOne("SELECT earnings_account_id, owner_id FROM workers WHERE id = ?", submitter)!
            let reward = row.int(7)
            let fee = configuration.fees.platformFee(reward: reward)
            let (hold, funds, escrow) = try await escrowAccounts(row, tx)
            var batch = LedgerBatch()
            batch.post(pending: hold, from: funds, to: escrow, reward + fee, task: task)
            batch.posted(from: escrow, to: earnings.id(0), reward, .reward, task: task)
            batch.posted(from: escrow, to: system.platformFee(for: task), fee, .platformFee, task: task)
            try await apply(batch, tx, now: now)
            try await tx.execute("UPDATE tasks SET state = 'approved', updated_at = ? WHERE id = ? AND state = 'verifying'", now, task)
            events.append(.ledgerCredited(account: earnings.id(0), owner: earnings.id(1), worker: submitter, amountMicroUSDT: reward, reason: .reward, task: task))
        case .reopen:
            try await tx.execute("UPDATE tasks SET state = 'open', lease_expires_at = NULL, updated_at = ? WHERE id = ? AND state = 'verifying'", now, task)
            events.append(.taskAvailable(Self.availability(row)))
        case .reject, .fail:
            try await tx.execute(
                "UPDATE tasks SET state = 'rejected', failure_reason = 'rejected_by_verifiers', updated_at = ? WHERE id = ? AND state = 'verifying'", now, task)
        }
        events.append(.submissionVerdict(submission: submission, task: task, worker: submitter, requester: requester, outcome: outcome))
        try await payVerifiers(of: submission, outcome: outcome, task: row, tx, events, now: now)
        try await closeEscrowIfDone(task, tx, now: now)
    }

    /// Pays every not-yet-paid vote on `submission` that agrees with its outcome, from escrow.
    func payVerifiers(of submission: SubmissionID, outcome: Outcome, task row: SQLRow,
                      _ tx: any SQLExecutor, _ events: EventBuffer, now: Int64) async throws {
        let reward = row.int(16)
        let agreeing = outcome == .approved ? Verdict.approve : Verdict.reject
        let voters = try await tx.query("""
            SELECT v.slot_task_id, v.verifier_id, w.earnings_account_id, w.owner_id FROM votes v JOIN workers w ON w.id = v.verifier_id
            WHERE v.submission_id = ? AND v.verdict = ? AND v.paid = 0
            """, submission, agreeing.rawValue)
        guard !voters.isEmpty else { return }
        try await tx.execute("UPDATE votes SET paid = 1 WHERE submission_id = ? AND verdict = ? AND paid = 0", submission, agreeing.rawValue)
        guard reward > 0 else { return }
        let (hold, funds, escrow) = try await escrowAccounts(row, tx)
        var batch = LedgerBatch()
        batch.post(pending: hold, from: funds, to: escrow, reward * Int64(voters.count), task: row.id(0))
        for v in voters {
            batch.posted(from: escrow, to: v.id(2), reward, .verifierReward, task: v.id(0))
            events.append(.ledgerCredited(account: v.id(2), owner: v.id(3), worker: v.id(1), amountMicroUSDT: reward, reason: .verifierReward, task: v.id(0)))
        }
        try await apply(batch, tx, now: now)
    }

    /// Releases what is left of a task's escrow hold once the task is final and no verification slot
    /// of it is open or held.
    func closeEscrowIfDone(_ task: TaskID, _ tx: any SQLExecutor, now: Int64) async throws {
        guard let row = try await tx.queryOne("SELECT \(Self.taskColumns) FROM tasks WHERE id = ? AND escrow_open = 1", task),
              TaskState(rawValue: row.text(17))?.isFinal == true else { return }
        if try await tx.queryOne("SELECT 1 FROM tasks WHERE parent_task_id = ? AND state IN ('open','claimed') LIMIT 1", task) != nil { return }
        let (hold, funds, escrow) = try await escrowAccounts(row, tx)
        let left = try await totals(of: escrow, tx).creditsPending
        var batch = LedgerBatch()
        batch.void(pending: hold, from: funds, to: escrow, left, task: task)
        try await apply(batch, tx, now: now)
        try await tx.execute("UPDATE tasks SET escrow_open = 0 WHERE id = ?", task)
    }

    /// The escrow hold of a task: the pending transfer and its two accounts.
    private func escrowAccounts(_ row: SQLRow, _ tx: any SQLExecutor) async throws -> (TransferID, AccountID, AccountID) {
        let escrow: AccountID = row.id(28)
        let hold = try await tx.queryOne(
            "SELECT id, debit_account_id FROM transfers WHERE credit_account_id = ? AND kind = 'pending'", escrow)!
        return (hold.id(0), hold.id(1), escrow)
    }
}
