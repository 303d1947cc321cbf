import WorkhiveCore

/// A worker's reputation in one role on one task type, as the API shows it.
public struct ReputationView: Sendable, Codable, Equatable {
    public var role: ReputationRole
    public var taskType: String
    /// Posterior mean accuracy and its standard deviation.
    public var accuracy: Double
    public var accuracyStdDev: Double
    /// The Beta(α, β) posterior itself (see `Reputation`), and how many verdicts it absorbed.
    public var alpha: Double
    public var beta: Double
    public var observations: Int
    public var quarantined: Bool
    public var quarantineReason: String?
    public var quarantinedAtMillis: Int64?
}

public struct ReputationList: Sendable, Codable, Equatable {
    public var workerId: WorkerID
    /// What a worker with no evidence on a task type starts from.
    public var priorAccuracy: Double
    public var reputations: [ReputationView]
}

/// Where a submission's slots come from: what each verification slot copies from its work task.
struct SlotTemplate: Sendable {
    let requester: SQLValue, requiredCaps: String, reward: Int64, leaseSeconds: SQLValue, priority: SQLValue, visibility: SQLValue
    let parent: TaskID, submission: SubmissionID, excludeOwner: OwnerID, reviewedType: String
    /// Set on an appeal's slots (see `Marketplace.appeal`).
    var appeal: AppealID? = nil
}

extension Marketplace {
    var trust: TrustPolicy { configuration.trust }

    /// Opens verification slots of a submission (one per entry; `true` reserves it for humans).
    func openSlots(_ t: SlotTemplate, humanOnly slots: [Bool], _ tx: any SQLExecutor, _ events: EventBuffer, now: Int64) async throws {
        guard !slots.isEmpty else { return }
        var binds: [SQLValue] = []
        for humanOnly in slots {
            binds += [t.requester, .text(t.requiredCaps), .integer(t.reward), t.leaseSeconds, t.priority, t.visibility, t.parent.sqlValue,
                      t.submission.sqlValue, humanOnly.sqlValue, t.excludeOwner.sqlValue, .text(t.reviewedType), t.appeal.sqlValue,
                      .integer(now), .integer(now), t.submission.sqlValue, .text(PanelSeats.empty)]
        }
        // Slots opened later (adaptive verification, an appeal) join the panel their submission has.
        let row = """
            (?, 'verify', '', '', '{}', ?, ?, ?, 100, ?, ?, 0, 0, 0, 0, 'open', ?, ?, ?, ?, ?, ?, ?, ?,
             COALESCE((SELECT x.panel FROM tasks x WHERE x.submission_id = ? AND x.task_type = 'verify' ORDER BY x.id LIMIT 1), ?))
            """
        let inserted = try await tx.insert("""
            INSERT INTO tasks (requester_id, task_type, title, instructions, payload, required_caps, reward, lease_seconds, max_attempts,
                priority, visibility, verifiers, quorum, spot_check_rate, verifier_reward, state, parent_task_id, submission_id,
                human_only, exclude_owner_id, reviewed_type, appeal_id, created_at, updated_at, panel)
            VALUES \(Array(repeating: row, count: slots.count).joined(separator: ", "))
            """, binds, rows: slots.count)
        for (slot, humanOnly) in zip(inserted, slots) {
            events.append(.taskAvailable(.init(task: TaskID(slot), taskType: TaskType.verify, requiredCapabilities: t.requiredCaps,
                                               rewardMicroUSDT: t.reward, humanOnly: humanOnly, excludedOwner: t.excludeOwner)))
        }
    }

    /// The reputations of some workers in one role on one task type (no row: the prior). On
    /// PostgreSQL with `lock`, the rows are locked for the update that follows.
    func reputations(of workers: [WorkerID], role: ReputationRole, taskType: String, lock: Bool = false, _ tx: any SQLExecutor) async throws -> [WorkerID: Reputation] {
        try await reputationRows(of: workers, role: role, taskType: taskType, lock: lock, tx).mapValues(\.reputation)
    }

    /// Each worker's reputation row (if it has one) and whether it is quarantined.
    private func reputationRows(of workers: [WorkerID], role: ReputationRole, taskType: String, lock: Bool,
                                _ tx: any SQLExecutor) async throws -> [WorkerID: (reputation: Reputation, quarantined: Bool)] {
        let ids = Array(Set(workers))
        guard !ids.isEmpty else { return [:] }
        let rows = try await tx.query("""
            SELECT worker_id, alpha, beta, observations, quarantined_at IS NOT NULL FROM reputations
            WHERE role = ? AND task_type = ? AND worker_id IN (\(Array(repeating: "?", count: ids.count).joined(separator: ",")))
            ORDER BY worker_id\(lock && tx.dialect == .postgres ? " FOR UPDATE" : "")
            """, [.text(role.rawValue), .text(taskType)] + ids.map(\.sqlValue))
        var out: [WorkerID: (reputation: Reputation, quarantined: Bool)] = [:]
        for r in rows { out[r.id(0)] = (Reputation(alpha: r.double(1), beta: r.double(2), observations: Int(r.int(3))), r.bool(4)) }
        return out
    }

    /// Which panel's votes: the first (the task's own verification) or the appeal's.
    enum Panel { case first, appeal }

    /// The votes cast on a submission so far (by one panel, or both), in order, weighted by their
    /// verifiers' current estimates.
    func weightedVotes(of submission: SubmissionID, reviewedType: String, panel: Panel? = nil,
                       _ tx: any SQLExecutor) async throws -> [(verifier: WorkerID, vote: WeightedVote)] {
        let only = switch panel {
        case nil: ""
        case .first?: " AND appeal_id IS NULL"
        case .appeal?: " AND appeal_id IS NOT NULL"
        }
        let rows = try await tx.query(
            "SELECT worker_id, verdict FROM tasks WHERE submission_id = ? AND verdict IS NOT NULL\(only) ORDER BY voted_at, id", submission)
        let voters: [WorkerID] = rows.map { $0.id(0) }
        let reps = try await reputations(of: voters, role: .verifier, taskType: reviewedType, tx)
        return rows.map { r in
            let w: WorkerID = r.id(0)
            return (w, WeightedVote(Verdict(rawValue: r.text(1)) ?? .reject, accuracy: trust.weight(reps[w] ?? trust.prior)))
        }
    }

    /// Adds one verdict's evidence to each of some workers' reputations (`q`: the probability that the
    /// worker's answer was right given the rest of the evidence), and quarantines a verifier the
    /// evidence now condemns. Rows are read and written in worker order, so concurrent verdicts on
    /// PostgreSQL lock them in the same order.
    func recordEvidence(_ evidence: [(worker: WorkerID, q: Double)], role: ReputationRole, taskType: String, _ tx: any SQLExecutor, now: Int64) async throws {
        guard !evidence.isEmpty else { return }
        let workers = Array(Set(evidence.map(\.worker))).sorted { $0.rawValue < $1.rawValue }
        let prior = trust.prior
        // Rows for newcomers first (at the prior), so that every row exists to be locked and updated.
        try await tx.execute("""
            INSERT INTO reputations (worker_id, role, task_type, alpha, beta, observations, updated_at)
            VALUES \(Array(repeating: "(?, ?, ?, ?, ?, 0, ?)", count: workers.count).joined(separator: ", "))
            ON CONFLICT (worker_id, role, task_type) DO NOTHING
            """, workers.flatMap { [$0.sqlValue, .text(role.rawValue), .text(taskType), .real(prior.alpha), .real(prior.beta), .integer(now)] })
        var rows = try await reputationRows(of: workers, role: role, taskType: taskType, lock: true, tx)
        for e in evidence { rows[e.worker]?.reputation.record(probabilityRightGivenOthers: e.q) }
        // Every row in one statement.
        var values: [SQLValue] = []
        var count = 0
        for worker in workers {
            guard let (r, quarantined) = rows[worker] else { continue }
            let reason = role == .verifier && !quarantined ? trust.quarantineReason(r, taskType: taskType) : nil
            values += [worker.sqlValue, .real(r.alpha), .real(r.beta), .integer(Int64(r.observations)), reason.map(SQLValue.text) ?? .null]
            count += 1
        }
        guard count > 0 else { return }
        try await tx.execute("""
            WITH v(worker_id, alpha, beta, observations, reason) AS (VALUES \(Self.placeholders(rows: count, columns: 5)))
            UPDATE reputations SET alpha = v.alpha, beta = v.beta, observations = v.observations, updated_at = ?,
                quarantined_at = CASE WHEN v.reason IS NOT NULL THEN ? ELSE reputations.quarantined_at END,
                quarantine_reason = COALESCE(v.reason, reputations.quarantine_reason)
            FROM v WHERE reputations.worker_id = v.worker_id AND reputations.role = ? AND reputations.task_type = ?
            """, values + [.integer(now), .integer(now), .text(role.rawValue), .text(taskType)])
    }

    /// When a verdict lands: every vote so far is credited with the probability that it was right
    /// given the other votes, and the submitter with the probability that its work deserved approval
    /// given all of them. Returns that probability (the verdict's confidence, from the approving side).
    @discardableResult
    func recordVerdict(_ submission: SubmissionID, submitter: WorkerID, reviewedType: String, truth: Outcome? = nil, _ tx: any SQLExecutor,
                       now: Int64) async throws -> Double {
        let votes = try await weightedVotes(of: submission, reviewedType: reviewedType, tx)
        let all = votes.map(\.vote)
        let right = WeightedConsensus.probabilitiesRightGivenOthers(all, approvePrior: trust.approvePrior, truth: truth)
        try await recordEvidence(zip(votes, right).map { (worker: $0.verifier, q: $1) }, role: .verifier, taskType: reviewedType, tx, now: now)
        let pApprove = truth.map { $0 == .approved ? 1.0 : 0.0 } ?? WeightedConsensus.probabilityApprove(all, approvePrior: trust.approvePrior)
        if !votes.isEmpty {
            try await recordEvidence([(worker: submitter, q: pApprove)], role: .worker, taskType: reviewedType, tx, now: now)
        }
        return pApprove
    }

    /// A vote cast after its submission (or its appeal) was decided still teaches: its voter is
    /// credited like the others of its panel were.
    func recordLateVote(_ submission: SubmissionID, verifier: WorkerID, reviewedType: String, truth: Outcome? = nil, panel: Panel? = nil,
                        _ tx: any SQLExecutor, now: Int64) async throws {
        let votes = try await weightedVotes(of: submission, reviewedType: reviewedType, panel: panel, tx)
        let right = WeightedConsensus.probabilitiesRightGivenOthers(votes.map(\.vote), approvePrior: trust.approvePrior, truth: truth)
        if let i = votes.lastIndex(where: { $0.verifier == verifier }) {
            try await recordEvidence([(worker: verifier, q: right[i])], role: .verifier, taskType: reviewedType, tx, now: now)
        }
    }

    /// A worker's reputations with any quarantine and its reason: for the worker itself, its owner
    /// and admins.
    public func reputation(_ principal: Principal, worker: WorkerID) async throws -> ReputationList {
        _ = try await self.worker(principal, id: worker)  // not found unless the caller may see this worker
        let policy = trust
        let rows = try await read { tx in
            try await tx.query("""
                SELECT role, task_type, alpha, beta, observations, quarantined_at, quarantine_reason
                FROM reputations WHERE worker_id = ? ORDER BY role, task_type
                """, worker)
        }
        let views = rows.map { r -> ReputationView in
            let rep = Reputation(alpha: r.double(2), beta: r.double(3), observations: Int(r.int(4)))
            return ReputationView(role: ReputationRole(rawValue: r.text(0)) ?? .verifier, taskType: r.text(1), accuracy: rep.mean,
                                  accuracyStdDev: rep.standardDeviation, alpha: rep.alpha, beta: rep.beta,
                                  observations: rep.observations, quarantined: r.optionalInt(5) != nil, quarantineReason: r.optionalText(6),
                                  quarantinedAtMillis: r.optionalInt(5))
        }
        return ReputationList(workerId: worker, priorAccuracy: policy.prior.mean, reputations: views)
    }
}
