import WorkhiveCore

/// A worker's reputation in one role on one task type, as the API shows it.
public struct ReputationView: Sendable, Codable, Equatable {
    public var role: ReputationRole
    public var taskType: String
    /// Posterior mean accuracy (prior included) and its standard deviation.
    public var accuracy: Double
    public var accuracyStdDev: Double
    /// Evidence in soft counts (see `Reputation`), and how many verdicts it came from.
    public var correct: Double
    public var incorrect: Double
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
}

extension Marketplace {
    var trust: TrustPolicy { configuration.trust }

    /// Opens verification slots of a submission (one per entry; `true` reserves it for humans).
    func openSlots(_ t: SlotTemplate, humanOnly slots: [Bool], _ tx: any SQLExecutor, _ events: EventBuffer, now: Int64) async throws {
        guard !slots.isEmpty else { return }
        var binds: [SQLValue] = []
        for humanOnly in slots {
            binds += [t.requester, .text(t.requiredCaps), .integer(t.reward), t.leaseSeconds, t.priority, t.visibility, t.parent.sqlValue,
                      t.submission.sqlValue, humanOnly.sqlValue, t.excludeOwner.sqlValue, .text(t.reviewedType), .integer(now), .integer(now)]
        }
        let row = "(?, 'verify', '', '', '{}', ?, ?, ?, 100, ?, ?, 0, 0, 0, 0, 'open', ?, ?, ?, ?, ?, ?, ?)"
        let inserted = try await tx.insert("""
            INSERT INTO tasks (requester_id, task_type, title, instructions, payload, required_caps, reward, lease_seconds, max_attempts,
                priority, visibility, verifiers, quorum, spot_check_rate, verifier_reward, state, parent_task_id, submission_id,
                human_only, exclude_owner_id, reviewed_type, created_at, updated_at)
            VALUES \(Array(repeating: row, count: slots.count).joined(separator: ", "))
            """, binds, rows: slots.count)
        for (slot, humanOnly) in zip(inserted, slots) {
            events.append(.taskAvailable(.init(task: TaskID(slot), taskType: TaskType.verify, requiredCapabilities: t.requiredCaps,
                                               rewardMicroUSDT: t.reward, humanOnly: humanOnly, excludedOwner: t.excludeOwner)))
        }
    }

    /// The reputations of some workers in one role on one task type (no row: no evidence yet).
    func reputations(of workers: [WorkerID], role: ReputationRole, taskType: String, _ tx: any SQLExecutor) async throws -> [WorkerID: Reputation] {
        let ids = Array(Set(workers))
        guard !ids.isEmpty else { return [:] }
        let rows = try await tx.query("""
            SELECT worker_id, correct, incorrect, observations FROM reputations
            WHERE role = ? AND task_type = ? AND worker_id IN (\(Array(repeating: "?", count: ids.count).joined(separator: ",")))
            """, [.text(role.rawValue), .text(taskType)] + ids.map(\.sqlValue))
        var out: [WorkerID: Reputation] = [:]
        for r in rows { out[r.id(0)] = Reputation(correct: r.double(1), incorrect: r.double(2), observations: Int(r.int(3))) }
        return out
    }

    /// The votes cast on a submission so far, in order, weighted by their verifiers' current estimates.
    func weightedVotes(of submission: SubmissionID, reviewedType: String, _ tx: any SQLExecutor) async throws -> [(verifier: WorkerID, vote: WeightedVote)] {
        let rows = try await tx.query(
            "SELECT worker_id, verdict FROM tasks WHERE submission_id = ? AND verdict IS NOT NULL ORDER BY voted_at, id", submission)
        let voters: [WorkerID] = rows.map { $0.id(0) }
        let reps = try await reputations(of: voters, role: .verifier, taskType: reviewedType, tx)
        return rows.map { r in
            let w: WorkerID = r.id(0)
            return (w, WeightedVote(Verdict(rawValue: r.text(1)) ?? .reject, accuracy: trust.weight(reps[w] ?? Reputation())))
        }
    }

    /// Adds one verdict's evidence to a reputation; quarantines a verifier the evidence now condemns.
    func recordEvidence(_ worker: WorkerID, role: ReputationRole, taskType: String, probabilityRight q: Double, _ tx: any SQLExecutor, now: Int64) async throws {
        let q = min(1, max(0, q.isFinite ? q : 0.5))
        let row = try await tx.queryOne("""
            INSERT INTO reputations (worker_id, role, task_type, correct, incorrect, observations, updated_at) VALUES (?, ?, ?, ?, ?, 1, ?)
            ON CONFLICT (worker_id, role, task_type) DO UPDATE SET
                correct = reputations.correct + excluded.correct, incorrect = reputations.incorrect + excluded.incorrect,
                observations = reputations.observations + 1, updated_at = excluded.updated_at
            RETURNING correct, incorrect, observations, quarantined_at
            """, worker, role.rawValue, taskType, q, 1 - q, now)!
        guard role == .verifier, row.optionalInt(3) == nil else { return }
        let reputation = Reputation(correct: row.double(0), incorrect: row.double(1), observations: Int(row.int(2)))
        if let reason = trust.quarantineReason(reputation, taskType: taskType) {
            try await tx.execute("""
                UPDATE reputations SET quarantined_at = ?, quarantine_reason = ?
                WHERE worker_id = ? AND role = 'verifier' AND task_type = ? AND quarantined_at IS NULL
                """, now, reason, worker, taskType)
        }
    }

    /// When a verdict lands: every vote so far is credited with the posterior probability that it was
    /// right, and the submitter with the probability that its work deserved approval. Returns that
    /// probability (the verdict's confidence, seen from the approving side).
    @discardableResult
    func recordVerdict(_ submission: SubmissionID, submitter: WorkerID, reviewedType: String, _ tx: any SQLExecutor, now: Int64) async throws -> Double {
        let votes = try await weightedVotes(of: submission, reviewedType: reviewedType, tx)
        let all = votes.map(\.vote)
        let right = WeightedConsensus.probabilitiesRight(all, approvePrior: trust.approvePrior)
        for (v, q) in zip(votes, right) {
            try await recordEvidence(v.verifier, role: .verifier, taskType: reviewedType, probabilityRight: q, tx, now: now)
        }
        let pApprove = WeightedConsensus.probabilityApprove(all, approvePrior: trust.approvePrior)
        if !votes.isEmpty {
            try await recordEvidence(submitter, role: .worker, taskType: reviewedType, probabilityRight: pApprove, tx, now: now)
        }
        return pApprove
    }

    /// A vote cast after its submission was decided still teaches: its voter is credited like the others were.
    func recordLateVote(_ submission: SubmissionID, verifier: WorkerID, reviewedType: String, _ tx: any SQLExecutor, now: Int64) async throws {
        let votes = try await weightedVotes(of: submission, reviewedType: reviewedType, tx)
        let right = WeightedConsensus.probabilitiesRight(votes.map(\.vote), approvePrior: trust.approvePrior)
        if let i = votes.lastIndex(where: { $0.verifier == verifier }) {
            try await recordEvidence(verifier, role: .verifier, taskType: reviewedType, probabilityRight: right[i], tx, now: now)
        }
    }

    /// A worker's reputations with any quarantine and its reason: for the worker itself, its owner
    /// and admins.
    public func reputation(_ principal: Principal, worker: WorkerID) async throws -> ReputationList {
        _ = try await self.worker(principal, id: worker)  // not found unless the caller may see this worker
        let policy = trust
        let rows = try await read { tx in
            try await tx.query("""
                SELECT role, task_type, correct, incorrect, observations, quarantined_at, quarantine_reason
                FROM reputations WHERE worker_id = ? ORDER BY role, task_type
                """, worker)
        }
        let views = rows.map { r -> ReputationView in
            let rep = Reputation(correct: r.double(2), incorrect: r.double(3), observations: Int(r.int(4)))
            return ReputationView(role: ReputationRole(rawValue: r.text(0)) ?? .verifier, taskType: r.text(1), accuracy: policy.accuracy(rep),
                                  accuracyStdDev: policy.standardDeviation(rep), correct: rep.correct, incorrect: rep.incorrect,
                                  observations: rep.observations, quarantined: r.optionalInt(5) != nil, quarantineReason: r.optionalText(6),
                                  quarantinedAtMillis: r.optionalInt(5))
        }
        return ReputationList(workerId: worker, priorAccuracy: policy.accuracy(Reputation()), reputations: views)
    }
}
