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

/// One reputation row of a task type: whose, in which role.
struct ReputationKey: Hashable, Comparable, Sendable {
    let role: ReputationRole
    let worker: WorkerID
    static func verifier(_ worker: WorkerID) -> ReputationKey { .init(role: .verifier, worker: worker) }
    static func worker(_ worker: WorkerID) -> ReputationKey { .init(role: .worker, worker: worker) }
    /// The order rows are locked in: by role, then worker.
    static func < (a: ReputationKey, b: ReputationKey) -> Bool { (a.role.rawValue, a.worker.rawValue) < (b.role.rawValue, b.worker.rawValue) }
}

struct ReputationRow: Sendable {
    var reputation: Reputation
    var quarantined: Bool
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
                      .integer(now), .integer(now)] + (tx.dialect == .sqlite ? [t.submission.sqlValue] : []) + [.text(PanelSeats.empty)]
        }
        // On SQLite, where every slot carries the whole panel (see PanelSeats), slots opened later
        // (adaptive verification, an appeal) join the panel their submission has.
        let panel = tx.dialect == .sqlite
            ? "COALESCE((SELECT x.panel FROM tasks x WHERE x.submission_id = ? AND x.task_type = 'verify' ORDER BY x.id LIMIT 1), ?)"
            : "?"
        let row = """
            (?, 'verify', '', '', '{}', ?, ?, ?, 100, ?, ?, 0, 0, 0, 0, 'open', ?, ?, ?, ?, ?, ?, ?, ?, \(panel))
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

    /// The reputations of some workers in one role on one task type (no row: the prior).
    func reputations(of workers: [WorkerID], role: ReputationRole, taskType: String, _ tx: any SQLExecutor) async throws -> [WorkerID: Reputation] {
        let rows = try await reputationRows(Set(workers.map { ReputationKey(role: role, worker: $0) }), taskType: taskType, lock: false, tx)
        return Dictionary(uniqueKeysWithValues: rows.map { ($0.key.worker, $0.value.reputation) })
    }

    /// Reputation rows (those that exist) and whether each is quarantined. On PostgreSQL with
    /// `lock`, the rows are locked for the update that follows, in key order, so that concurrent
    /// verdicts lock them in the same order.
    private func reputationRows(_ keys: Set<ReputationKey>, taskType: String, lock: Bool,
                                _ tx: any SQLExecutor) async throws -> [ReputationKey: ReputationRow] {
        guard !keys.isEmpty else { return [:] }
        var terms: [String] = [], binds: [SQLValue] = [.text(taskType)]
        for role in ReputationRole.allCases {
            let workers = keys.filter { $0.role == role }.map(\.worker.sqlValue)
            guard !workers.isEmpty else { continue }
            terms.append("(role = ? AND worker_id IN (\(Self.marks(workers.count))))")
            binds += [.text(role.rawValue)] + workers
        }
        let rows = try await tx.query("""
            SELECT role, worker_id, alpha, beta, observations, quarantined_at IS NOT NULL FROM reputations
            WHERE task_type = ? AND (\(terms.joined(separator: " OR ")))
            ORDER BY role, worker_id\(lock && tx.dialect == .postgres ? " FOR UPDATE" : "")
            """, binds)
        var out: [ReputationKey: ReputationRow] = [:]
        for r in rows {
            guard let role = ReputationRole(rawValue: r.text(0)) else { continue }
            out[ReputationKey(role: role, worker: r.id(1))] = ReputationRow(
                reputation: Reputation(alpha: r.double(2), beta: r.double(3), observations: Int(r.int(4))), quarantined: r.bool(5))
        }
        return out
    }

    /// The reputation rows of `keys`, locked for an update (see `reputationRows`); newcomers get a
    /// row at the prior first, so that every row exists to be updated. On PostgreSQL every key is
    /// inserted (or found) before any row is locked: a transaction that locked some rows and then
    /// waited on another's insert of a newcomer could deadlock with it. SQLite writes one operation
    /// at a time, so it reads first and inserts only what is missing.
    func lockedReputations(_ keys: Set<ReputationKey>, taskType: String, _ tx: any SQLExecutor, now: Int64) async throws -> [ReputationKey: ReputationRow] {
        var rows = tx.dialect == .sqlite ? try await reputationRows(keys, taskType: taskType, lock: false, tx) : [:]
        let missing = keys.filter { rows[$0] == nil }.sorted()
        guard !missing.isEmpty else { return rows }
        let prior = trust.prior
        try await tx.execute("""
            INSERT INTO reputations (worker_id, role, task_type, alpha, beta, observations, updated_at)
            VALUES \(Array(repeating: "(?, ?, ?, ?, ?, 0, ?)", count: missing.count).joined(separator: ", "))
            ON CONFLICT (worker_id, role, task_type) DO NOTHING
            """, missing.flatMap { [$0.worker.sqlValue, .text($0.role.rawValue), .text(taskType), .real(prior.alpha), .real(prior.beta), .integer(now)] })
        // Read back, locked: on PostgreSQL another verdict may have created some of them.
        rows.merge(try await reputationRows(Set(missing), taskType: taskType, lock: true, tx)) { $1 }
        return rows
    }

    /// Which panel's votes: the first (the task's own verification) or the appeal's.
    enum Panel { case first, appeal }

    /// The votes cast on a submission so far (by one panel, or both), in order: voter and verdict.
    func votes(on submission: SubmissionID, panel: Panel? = nil, _ tx: any SQLExecutor) async throws -> [(verifier: WorkerID, verdict: Verdict)] {
        let only = switch panel {
        case nil: ""
        case .first?: " AND appeal_id IS NULL"
        case .appeal?: " AND appeal_id IS NOT NULL"
        }
        return try await tx.query(
            "SELECT worker_id, verdict FROM tasks WHERE submission_id = ? AND verdict IS NOT NULL\(only) ORDER BY voted_at, id", submission)
            .map { ($0.id(0), Verdict(rawValue: $0.text(1)) ?? .reject) }
    }

    /// Votes weighted by their verifiers' estimates in `reputations` (verifier rows; none: the prior).
    func weighted(_ votes: [(verifier: WorkerID, verdict: Verdict)], by reputations: [ReputationKey: ReputationRow]) -> [WeightedVote] {
        votes.map { WeightedVote($0.verdict, accuracy: trust.weight(reputations[.verifier($0.verifier)]?.reputation ?? trust.prior)) }
    }

    /// The votes cast on a submission so far (by one panel, or both), in order, weighted by their
    /// verifiers' current estimates.
    func weightedVotes(of submission: SubmissionID, reviewedType: String, panel: Panel? = nil,
                       _ tx: any SQLExecutor) async throws -> [(verifier: WorkerID, vote: WeightedVote)] {
        let cast = try await votes(on: submission, panel: panel, tx)
        let reps = try await reputationRows(Set(cast.map { .verifier($0.verifier) }), taskType: reviewedType, lock: false, tx)
        return zip(cast, weighted(cast, by: reps)).map { ($0.verifier, $1) }
    }

    /// Adds evidence to reputations read with `lockedReputations` (`q`: the probability that the
    /// worker's answer was right given the rest of the evidence) and quarantines a verifier the
    /// evidence now condemns: every row in one statement.
    func apply(evidence: [(key: ReputationKey, q: Double)], to locked: [ReputationKey: ReputationRow], taskType: String,
               _ tx: any SQLExecutor, now: Int64) async throws {
        var rows = locked
        for e in evidence { rows[e.key]?.reputation.record(probabilityRightGivenOthers: e.q) }
        var values: [SQLValue] = []
        var count = 0
        for key in Set(evidence.map(\.key)).sorted() {
            guard let row = rows[key] else { continue }
            let reason = key.role == .verifier && !row.quarantined ? trust.quarantineReason(row.reputation, taskType: taskType) : nil
            values += [key.worker.sqlValue, .text(key.role.rawValue), .real(row.reputation.alpha), .real(row.reputation.beta),
                       .integer(Int64(row.reputation.observations)), reason.map(SQLValue.text) ?? .null]
            count += 1
        }
        guard count > 0 else { return }
        try await tx.execute("""
            WITH v(worker_id, role, alpha, beta, observations, reason) AS (VALUES \(Self.placeholders(rows: count, columns: 6)))
            UPDATE reputations SET alpha = v.alpha, beta = v.beta, observations = v.observations, updated_at = ?,
                quarantined_at = CASE WHEN v.reason IS NOT NULL THEN ? ELSE reputations.quarantined_at END,
                quarantine_reason = COALESCE(v.reason, reputations.quarantine_reason)
            FROM v WHERE reputations.worker_id = v.worker_id AND reputations.role = v.role AND reputations.task_type = ?
            """, values + [.integer(now), .integer(now), .text(taskType)])
    }

    /// Adds evidence to some workers' reputations on one task type: read, locked and written back.
    func recordEvidence(_ evidence: [(key: ReputationKey, q: Double)], taskType: String, _ tx: any SQLExecutor, now: Int64) async throws {
        guard !evidence.isEmpty else { return }
        let locked = try await lockedReputations(Set(evidence.map(\.key)), taskType: taskType, tx, now: now)
        try await apply(evidence: evidence, to: locked, taskType: taskType, tx, now: now)
    }

    /// When a verdict lands: every vote so far is credited with the probability that it was right
    /// given the other votes, and the submitter with the probability that its work deserved approval
    /// given all of them. Returns that probability (the verdict's confidence, from the approving side).
    /// The voters' and the submitter's rows are read once, locked, for both the weights and the update.
    @discardableResult
    func recordVerdict(_ submission: SubmissionID, submitter: WorkerID, reviewedType: String, truth: Outcome? = nil, _ tx: any SQLExecutor,
                       now: Int64) async throws -> Double {
        let cast = try await votes(on: submission, tx)
        guard !cast.isEmpty else {
            return truth.map { $0 == .approved ? 1.0 : 0.0 } ?? WeightedConsensus.probabilityApprove([], approvePrior: trust.approvePrior)
        }
        let locked = try await lockedReputations(Set(cast.map { .verifier($0.verifier) } + [.worker(submitter)]), taskType: reviewedType,
                                                 tx, now: now)
        let all = weighted(cast, by: locked)
        let right = WeightedConsensus.probabilitiesRightGivenOthers(all, approvePrior: trust.approvePrior, truth: truth)
        let pApprove = truth.map { $0 == .approved ? 1.0 : 0.0 } ?? WeightedConsensus.probabilityApprove(all, approvePrior: trust.approvePrior)
        let evidence = zip(cast, right).map { (key: ReputationKey.verifier($0.verifier), q: $1) } + [(key: .worker(submitter), q: pApprove)]
        try await apply(evidence: evidence, to: locked, taskType: reviewedType, tx, now: now)
        return pApprove
    }

    /// A vote cast after its submission (or its appeal) was decided still teaches: its voter is
    /// credited like the others of its panel were.
    func recordLateVote(_ submission: SubmissionID, verifier: WorkerID, reviewedType: String, truth: Outcome? = nil, panel: Panel? = nil,
                        _ tx: any SQLExecutor, now: Int64) async throws {
        let votes = try await weightedVotes(of: submission, reviewedType: reviewedType, panel: panel, tx)
        let right = WeightedConsensus.probabilitiesRightGivenOthers(votes.map(\.vote), approvePrior: trust.approvePrior, truth: truth)
        if let i = votes.lastIndex(where: { $0.verifier == verifier }) {
            try await recordEvidence([(key: .verifier(verifier), q: right[i])], taskType: reviewedType, tx, now: now)
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
