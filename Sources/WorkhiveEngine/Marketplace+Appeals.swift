import WorkhiveCore

/// An appeal of a rejected submission, as the API shows it.
public struct AppealView: Sendable, Codable, Equatable {
    public var id: AppealID
    public var submissionId: SubmissionID
    public var taskId: TaskID
    public var workerId: WorkerID
    public var requesterId: OwnerID
    public var reason: String
    public var state: AppealState
    /// The appeal panel's size and the approvals that overturn the rejection once all have voted,
    /// and its votes so far.
    public var verifiers: Int
    public var quorum: Int
    public var approvals: Int
    public var rejections: Int
    public var createdAtMillis: Int64
    public var decidedAtMillis: Int64?
}

/// Appeals (see `AppealPanel` and docs/api.md, "Appeals").
///
/// Money: a task's escrow holds one appeal panel from the start (`FeePolicy.escrowHold`), and a
/// rejection keeps the escrow held for `TrustPolicy.appealWindowSeconds`, so the reward is still
/// there when an appeal overturns it. While an appeal runs, its task is `verifying` and nobody can
/// claim it. Overturned: the submission is approved and paid exactly as an approval pays (reward,
/// platform fee), and every vote of either panel that agrees with approval and is unpaid is paid.
/// Upheld: the appeal panel's rejecting votes are paid from the escrow's appeal panel and nothing
/// else moves. Rewards the first panel was paid are never taken back (they may have been
/// withdrawn); being overturned costs its voters reputation instead.
extension Marketplace {
    static let appealColumns = """
        id, submission_id, task_id, worker_id, requester_id, reason, state, verifiers, quorum, approvals, rejections, created_at, decided_at
        """

    static func appealView(_ r: SQLRow) -> AppealView {
        AppealView(id: r.id(0), submissionId: r.id(1), taskId: r.id(2), workerId: r.id(3), requesterId: r.id(4), reason: r.text(5),
                   state: AppealState(rawValue: r.text(6)) ?? .pending, verifiers: Int(r.int(7)), quorum: Int(r.int(8)),
                   approvals: Int(r.int(9)), rejections: Int(r.int(10)), createdAtMillis: r.int(11), decidedAtMillis: r.optionalInt(12))
    }

    /// The submitter appeals a panel's rejection of its submission, once, within the appeal window,
    /// while the task's escrow still holds the reward for it: the task is open again (nobody holds it)
    /// or ended without an approval. Opens a fresh panel (`AppealPanel`): none of the first panel's
    /// voters, no worker of the submitter's or the requester's owner, one slot for humans only.
    public func appeal(_ principal: Principal, submission: SubmissionID, reason: String) async throws -> AppealView {
        let (worker, _, _) = try principal.requireWorker(for: "appeal")
        let reason = reason.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !reason.isEmpty else { throw WorkhiveError.invalid("an appeal needs a reason: what the panel got wrong") }
        guard reason.utf8.count <= AppealPanel.maxReasonBytes else {
            throw WorkhiveError.invalid("reason must be at most \(AppealPanel.maxReasonBytes) bytes")
        }
        let now = self.now()
        let windowMillis = Int64(trust.appealWindowSeconds * 1000)
        return try await transact { tx, events in
            guard let row = try await tx.queryOne("""
                SELECT s.worker_id, s.state, s.decided_at, s.worker_owner_id, s.verifiers,
                       t.id, t.state, t.escrow_open, t.requester_id, t.required_caps, t.verifier_reward, t.lease_seconds, t.priority,
                       t.visibility, t.task_type,
                       t.delegation_id IS NOT NULL OR EXISTS (SELECT 1 FROM delegations d WHERE d.parent_task_id = t.id),
                       (SELECT state FROM appeals a WHERE a.submission_id = s.id), EXISTS (SELECT 1 FROM appeals a WHERE a.task_id = t.id)
                FROM submissions s JOIN tasks t ON t.id = s.task_id WHERE s.id = ?
                """, submission) else { throw WorkhiveError.notFound("submission \(submission)") }
            guard row.id(0) == worker else { throw WorkhiveError.forbidden("only the worker that made submission \(submission) can appeal it") }
            if let state = row.optionalText(16) {
                throw WorkhiveError(.appealExists, "submission \(submission) was appealed already (that appeal is \(state)); a rejection is appealed once")
            }
            let problem = Self.appealProblem(row, submission: submission, windowMillis: windowMillis, now: now)
            if let problem { throw WorkhiveError(.notAppealable, problem) }
            let taskID: TaskID = row.id(5), before = row.text(6)
            // The task leaves the queue while the appeal runs; guarded by the state just read.
            guard try await tx.queryOne("""
                UPDATE tasks SET state = 'verifying', appeal_until = NULL, updated_at = ?
                WHERE id = ? AND state = ? AND escrow_open = 1 RETURNING id
                """, now, taskID, before) != nil else {
                throw WorkhiveError(.notAppealable, "task \(taskID) changed while the appeal was filed; try again")
            }
            let appeal = AppealID(try await tx.insert("""
                INSERT INTO appeals (submission_id, task_id, worker_id, requester_id, reason, state, task_state_before, verifiers, quorum, created_at)
                VALUES (?, ?, ?, ?, ?, 'pending', ?, ?, ?, ?)
                """, submission, taskID, worker, row.id(8) as OwnerID, reason, before, AppealPanel.verifiers, AppealPanel.quorum, now))
            let template = SlotTemplate(requester: row.values[8], requiredCaps: row.text(9), reward: row.int(10), leaseSeconds: row.values[11],
                                        priority: row.values[12], visibility: row.values[13], parent: taskID, submission: submission,
                                        excludeOwner: row.id(3), reviewedType: row.text(14), appeal: appeal)
            try await self.openSlots(template, humanOnly: AppealPanel.humanOnlySlots, tx, events, now: now)
            return Self.appealView(try await tx.queryOne("SELECT \(Self.appealColumns) FROM appeals WHERE id = ?", appeal)!)
        }
    }

    /// A panel's rejection keeps the task's escrow for an appeal until the window has passed (the lease
    /// rescuer then releases it), unless the task cannot be appealed any more: it had its appeal, or
    /// it was delegated.
    func holdEscrowForAppeal(_ task: TaskID, _ tx: any SQLExecutor, now: Int64) async throws {
        guard trust.appealWindowSeconds > 0 else { return }
        try await tx.execute("""
            UPDATE tasks SET appeal_until = ?
            WHERE id = ? AND verifiers > 0 AND delegation_id IS NULL
              AND NOT EXISTS (SELECT 1 FROM appeals a WHERE a.task_id = tasks.id)
              AND NOT EXISTS (SELECT 1 FROM delegations d WHERE d.parent_task_id = tasks.id)
            """, now + Int64(trust.appealWindowSeconds * 1000), task)
    }

    /// Why the submission in `row` (see `appeal`) cannot be appealed now, or nil.
    private static func appealProblem(_ row: SQLRow, submission: SubmissionID, windowMillis: Int64, now: Int64) -> String? {
        let submissionState = row.text(1), taskState = row.text(6)
        guard submissionState == Outcome.rejected.rawValue else {
            return "submission \(submission) is \(submissionState == "pending" ? "still being verified" : submissionState): only a rejection can be appealed"
        }
        guard windowMillis > 0 else { return "appeals are turned off on this marketplace" }
        guard row.int(4) > 0 else { return "this submission was not rejected by a verification panel" }
        guard let decided = row.optionalInt(2), now < decided + windowMillis else {
            return "the appeal window (\(windowMillis / 3_600_000) h after the rejection) has passed"
        }
        guard !row.bool(15) else { return "work delegated to a fleet cannot be appealed" }
        guard !row.bool(17) else { return "task \(row.int(5)) had its appeal already (its escrow funds one appeal panel)" }
        switch taskState {
        case TaskState.approved.rawValue:
            return "task \(row.int(5)) was approved for another submission"
        case TaskState.claimed.rawValue, TaskState.verifying.rawValue:
            return "task \(row.int(5)) is being worked on again by another worker; appeal once it is open again or has ended"
        default:
            guard row.bool(7) else { return "task \(row.int(5)) has ended and its escrow was released" }
            return nil
        }
    }

    /// A vote on an appeal's slot (from `vote`): once the whole appeal panel has voted, the appeal is
    /// decided by its majority and the ledger follows the final verdict (see the extension's description).
    func castAppealVote(_ appeal: AppealID, slot: TaskID, submission: SubmissionID, parent: TaskID, verifier: WorkerID, verdict: Verdict,
                        reason: String, _ tx: any SQLExecutor, _ events: EventBuffer, now: Int64) async throws -> VoteView {
        let approve = verdict == .approve ? 1 : 0
        let tally = try await tx.queryOne("""
            UPDATE appeals SET approvals = approvals + ?, rejections = rejections + ? WHERE id = ?
            RETURNING state, approvals, rejections, verifiers, quorum, task_state_before, worker_id, requester_id
            """, approve, 1 - approve, appeal)!
        let facts = try await tx.queryOne(
            "SELECT s.gold_verdict, t.task_type FROM submissions s JOIN tasks t ON t.id = s.task_id WHERE s.id = ?", submission)!
        let gold = facts.optionalText(0).flatMap(Outcome.init(rawValue:)), reviewedType = facts.text(1)
        let submitter: WorkerID = tally.id(6)
        var outcome: Outcome?
        if tally.text(0) == AppealState.pending.rawValue {
            if var decided = AppealPanel.decide(approvals: Int(tally.int(1)), rejections: Int(tally.int(2)),
                                                verifiers: Int(tally.int(3)), quorum: Int(tally.int(4))) {
                // A gold task's submission gets the verdict it deserves, on appeal as before.
                if let gold { decided = gold }
                try await decideAppeal(appeal, decided, submission: submission, parent: parent, submitter: submitter, requester: tally.id(7),
                                       restoring: TaskState(rawValue: tally.text(5)) ?? .rejected, reviewedType: reviewedType, gold: gold,
                                       tx, events, now: now)
                outcome = decided
            }
        } else {
            outcome = tally.text(0) == AppealState.overturned.rawValue ? .approved : .rejected
            try await recordLateVote(submission, verifier: verifier, reviewedType: reviewedType, truth: gold, panel: .appeal, tx, now: now)
            try await settle(parent, submission: submission, decided: nil, outcome: outcome!, submitter: submitter, tx, events, now: now)
        }
        return VoteView(submissionId: submission, slotTaskId: slot, verifierId: verifier, verdict: verdict, reason: reason,
                        paid: outcome.map { Consensus.agrees(verdict, with: $0) } ?? false, createdAtMillis: now)
    }

    /// Records the appeal's outcome, teaches reputations, moves the task and settles the ledger.
    private func decideAppeal(_ appeal: AppealID, _ outcome: Outcome, submission: SubmissionID, parent: TaskID, submitter: WorkerID,
                              requester: OwnerID, restoring before: TaskState, reviewedType: String, gold: Outcome?,
                              _ tx: any SQLExecutor, _ events: EventBuffer, now: Int64) async throws {
        let overturned = outcome == .approved
        try await tx.execute("UPDATE appeals SET state = ?, decided_at = ? WHERE id = ? AND state = 'pending'",
                             (overturned ? AppealState.overturned : .upheld).rawValue, now, appeal)
        // The appeal's slots nobody holds are no longer needed.
        try await tx.execute("UPDATE tasks SET state = 'cancelled', updated_at = ? WHERE appeal_id = ? AND state = 'open'", now, appeal)
        let pApprove = try await recordAppealVerdict(submission, submitter: submitter, reviewedType: reviewedType, gold: gold, tx, now: now)
        if overturned {
            try await tx.execute("""
                UPDATE submissions SET state = 'approved', decided_at = ?, confidence = ? WHERE id = ? AND state = 'rejected'
                """, now, pApprove, submission)
            try await tx.execute("UPDATE tasks SET failure_reason = NULL WHERE id = ?", parent)
            // Paid as an approval pays: reward, fee, and every agreeing vote not yet paid.
            try await settle(parent, submission: submission, decided: .approved, outcome: .approved, submitter: submitter, tx, events, now: now)
        } else {
            try await tx.execute("UPDATE submissions SET confidence = ? WHERE id = ?", 1 - pApprove, submission)
            if let row = try await tx.queryOne("""
                UPDATE tasks SET state = ?, updated_at = ? WHERE id = ? AND state = 'verifying' RETURNING \(Self.taskColumns)
                """, before.rawValue, now, parent), before == .open {
                events.append(.taskAvailable(Self.availability(row)))
            }
            events.append(.submissionVerdict(submission: submission, task: parent, worker: submitter, requester: requester, outcome: .rejected))
            // The appeal panel's rejecting votes are paid; the escrow is released if nothing else can draw on it.
            try await settle(parent, submission: submission, decided: nil, outcome: .rejected, submitter: submitter, tx, events, now: now)
        }
    }

    /// Reputation after an appeal: the appeal panel is the final word, so the first panel's voters
    /// are measured against it (each absorbs the probability, given the appeal panel's votes, that
    /// its vote was right: overturned voters lose standing, a minority the appeal proved right gains),
    /// the appeal's voters against each other, as any panel's, and the submitter is scored again.
    /// Returns the probability that the work deserved approval given the appeal panel's votes.
    private func recordAppealVerdict(_ submission: SubmissionID, submitter: WorkerID, reviewedType: String, gold: Outcome?,
                                     _ tx: any SQLExecutor, now: Int64) async throws -> Double {
        let firstPanel = try await weightedVotes(of: submission, reviewedType: reviewedType, panel: .first, tx)
        let appealPanel = try await weightedVotes(of: submission, reviewedType: reviewedType, panel: .appeal, tx)
        let appealVotes = appealPanel.map(\.vote)
        let pApprove = gold.map { $0 == .approved ? 1.0 : 0.0 }
            ?? WeightedConsensus.probabilityApprove(appealVotes, approvePrior: trust.approvePrior)
        let appealRight = WeightedConsensus.probabilitiesRightGivenOthers(appealVotes, approvePrior: trust.approvePrior, truth: gold)
        let evidence = zip(appealPanel, appealRight).map { (key: ReputationKey.verifier($0.verifier), q: $1) }
            + firstPanel.map { (key: ReputationKey.verifier($0.verifier), q: $0.vote.verdict == .approve ? pApprove : 1 - pApprove) }
            + [(key: .worker(submitter), q: pApprove)]
        try await recordEvidence(evidence, taskType: reviewedType, tx, now: now)
        return pApprove
    }

    /// The appeal of a submission: for its submitter (and the submitter's owner), the requester and admins.
    public func appeal(_ principal: Principal, submission: SubmissionID) async throws -> AppealView {
        let found = try await read { tx -> (SQLRow, OwnerID)? in
            guard let a = try await tx.queryOne("SELECT \(Self.appealColumns) FROM appeals WHERE submission_id = ?", submission),
                  let owner = try await tx.queryOne("SELECT worker_owner_id FROM submissions WHERE id = ?", submission) else { return nil }
            return (a, owner.id(0))
        }
        guard let (row, submitterOwner) = found else { throw WorkhiveError.notFound("appeal of submission \(submission)") }
        let view = Self.appealView(row)
        let allowed = principal.isAdmin || principal.workerID == view.workerId || principal == .owner(view.requesterId, isAdmin: false)
            || principal == .owner(submitterOwner, isAdmin: false)
        guard allowed else { throw WorkhiveError.notFound("appeal of submission \(submission)") }
        return view
    }
}
