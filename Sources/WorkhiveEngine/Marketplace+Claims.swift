import WorkhiveCore

extension Marketplace {
    /// Claims the best open task of `taskType` whose required capabilities the worker has (priority,
    /// then age) and leases it. Verification slots are never given to the submitter's owner, a worker
    /// never gets two slots of one submission (so an appeal's panel is new), an appeal's slots never go
    /// to the requester's own workers, human-only slots go to humans only, and a verifier
    /// quarantined on a task type gets no slot reviewing that type. For a while after a slot opens,
    /// it is not given to a worker whose owner or model family is already on that submission's panel.
    /// Gold tasks are mixed in at the trust policy's gold rate.
    /// One statement picks and leases the task, so two workers can never get the same one.
    public func claim(_ principal: Principal, taskType: String, capabilities: [String]? = nil) async throws -> ClaimView? {
        if let claim = try await attemptClaim(principal, taskType: taskType, capabilities: capabilities) { return claim }
        try await requireActive(principal)
        return nil
    }

    /// A suspended worker, or a paused sub-agent, is told so rather than answered "no work". (The
    /// claim statement itself never leases it a task, so a principal authenticated before the
    /// suspension, a long poll say, claims nothing either.)
    private func requireActive(_ principal: Principal) async throws {
        let (worker, _, _) = try principal.requireWorker(for: "claim")
        if let row = try await database.readStatement({ try await $0.queryOne("SELECT suspended FROM workers WHERE id = ? AND (suspended = 1 OR paused = 1)", worker) }) {
            throw WorkhiveError(.workerSuspended, row.bool(0) ? "this worker is suspended" : "this sub-agent is paused by its master")
        }
    }

    private func attemptClaim(_ principal: Principal, taskType: String, capabilities: [String]?) async throws -> ClaimView? {
        let (worker, owner, kind) = try principal.requireWorker(for: "claim")
        try TaskType.validate(taskType, allowVerify: true)
        let facts = try await workerFacts(worker)
        let registered = Capabilities(canonical: facts.capabilities), master = facts.master
        let caps = try capabilities.map { try Capabilities($0) } ?? registered
        guard caps.isSubset(of: registered) else {
            throw WorkhiveError.forbidden("capabilities \(caps.names) are not all registered for this worker (\(registered.names))")
        }
        let now = self.now()
        let key = PendingClaim.Key(taskType: taskType, capabilities: caps.canonical, human: kind == .human, owner: owner)
        // Gold tasks (known answers) are mixed in at the trust policy's rate: this claim looks for one
        // first with that chance, and otherwise takes only ordinary work. Slots are never gold.
        let drawsGold = taskType != TaskType.verify && random.nextUnit() < trust.goldRate
            && !(master == nil && goldKnownAbsent(key, now: now))
        // Read before the gold pick, for noting its absence: a gold post after it makes that stale.
        let goldPostsSeen = drawsGold && master == nil ? goldAbsence.withLock { $0.goldPosts } : nil
        let goldFilters = taskType == TaskType.verify ? [""]
            : drawsGold ? ["AND t.gold_result IS NOT NULL", "AND t.gold_result IS NULL"] : ["AND t.gold_result IS NULL"]
        let panelCutoff = now - Int64(trust.panelDiversitySeconds * 1000)
        let seat = PanelSeats.seat(worker: worker, owner: owner, modelFamily: facts.modelFamily)
        // On PostgreSQL a claim is one statement, committed by itself (the gold pick and the
        // ordinary one are each whole claims); SQLite also copies a slot's seat to its siblings.
        @Sendable func claimAlone() async throws -> SQLRow? {
            try await database.autocommit { tx -> SQLRow? in
                // A claim id names the task and the attempt (attempts stay below 128), so ids grow with
                // task ids and their unique index is appended to rather than written at random places.
                // A verification slot's claim takes its seat on the slot's panel (see PanelSeats).
                let siblings = tx.dialect == .postgres && taskType == TaskType.verify
                var claimed: SQLRow?
                for goldFilter in goldFilters where claimed == nil {
                    claimed = try await tx.queryOne("""
                        UPDATE tasks SET state = 'claimed', claim_id = id * 128 + attempts + 1, worker_id = ?, claimed_at = ?,
                            lease_expires_at = ? + lease_seconds * 1000, attempts = attempts + 1, expiring_notified = 0, updated_at = ?,
                            panel = CASE WHEN submission_id IS NULL THEN panel ELSE panel || ? END
                        WHERE id = (
                            SELECT t.id FROM tasks t
                            WHERE t.state = 'open' AND t.task_type = ?
                              AND instr(t.panel, ?) = 0
                              AND (t.created_at <= ? OR (instr(t.panel, ?) = 0 AND instr(t.panel, ?) = 0))\(siblings ? PanelSeats.siblingsAdmit : "")
                              AND (t.required_caps = '' OR caps_subset(t.required_caps, ?))
                              AND (t.deadline_at IS NULL OR t.deadline_at > ?)
                              AND (t.human_only = 0 OR ? = 1)
                              AND (t.exclude_owner_id IS NULL OR t.exclude_owner_id <> ?)
                              AND (t.fleet_master_id IS NULL OR (t.fleet_master_id = ? AND (t.assignee_id IS NULL OR t.assignee_id = ?)))
                              AND (t.appeal_id IS NULL OR t.requester_id <> ?)
                              AND (t.reviewed_type IS NULL OR NOT EXISTS (
                                  SELECT 1 FROM reputations r WHERE r.worker_id = ? AND r.role = 'verifier' AND r.task_type = t.reviewed_type
                                    AND r.quarantined_at IS NOT NULL))
                              \(goldFilter)
                            ORDER BY t.priority DESC, t.id
                            LIMIT 1 \(tx.dialect.skipLocked))
                          AND NOT EXISTS (SELECT 1 FROM workers w WHERE w.id = ? AND (w.suspended = 1 OR w.paused = 1))
                        RETURNING id, lease_expires_at, attempts, claim_id, submission_id\(tx.dialect == .postgres ? ", " + Self.taskColumns : "")
                        """, [worker.sqlValue, .integer(now), .integer(now), .integer(now), .text(seat), .text(taskType)]
                            + PanelSeats.needles(worker: worker, owner: owner, modelFamily: facts.modelFamily, youngSince: panelCutoff, siblings: siblings)
                            + [.text(caps.canonical), .integer(now), (kind == .human).sqlValue, owner.sqlValue, master.sqlValue, worker.sqlValue,
                               owner.sqlValue, worker.sqlValue, worker.sqlValue])
                    if claimed == nil, goldFilter == goldFilters[0], let goldPostsSeen {
                        self.noteGoldAbsent(key, now: now, goldPostsSeen: goldPostsSeen)
                    }
                }
                if tx.dialect == .sqlite, let claimed, let submission: SubmissionID = claimed.optionalID(4) {
                    try await self.shareSeat(seat, from: claimed.id(0), on: submission, tx)
                }
                return claimed
            }
        }
        // On PostgreSQL, ordinary work for a claimer outside any fleet, with no gold draw, goes in a
        // batch with the claims of the same kind that arrive while one is written. (SQLite's one
        // writer already commits many claims together, and there the batch statement cost the
        // 128-driver lifecycle benchmark a third of its rate.)
        let claimed: SQLRow?
        if database.dialect == .postgres && taskType != TaskType.verify && master == nil && !drawsGold {
            switch try await claimBatches.submit(PendingClaim(worker: worker, key: key), write: { await self.writeClaims($0) }) {
            case .claimed(let row): claimed = row
            case .nothing: claimed = nil
            case .alone: claimed = try await claimAlone()
            }
        } else {
            claimed = try await claimAlone()
        }
        guard let claimed else { return nil }
        hub.noteClaimed(claimed.id(0))
        // What the worker needs to do the work is immutable once posted, so it is read after the
        // claim. PostgreSQL's claim returns the task itself: only a slot needs a read for what it reviews.
        let row: SQLRow
        if database.dialect == .postgres && claimed.optionalInt(4) == nil {
            row = claimed.slice(5, Self.taskColumnCount)
        } else {
            row = try await read { try await $0.queryOne(Self.claimedTaskSQL, claimed.int(0))! }
        }
        // One row: the claimed task and, for a verification slot, the submission under review and
        // the work task it belongs to.
        let taskWidth = Self.taskColumnCount, submissionWidth = Self.submissionColumnCount
        let task = Self.taskView(row.slice(0, taskWidth))
        var review: ReviewView?
        if task.submissionId != nil {
            review = ReviewView(task: Self.taskView(row.slice(taskWidth + submissionWidth, taskWidth)),
                                submission: Self.submissionView(row.slice(taskWidth, submissionWidth)))
        }
        if task.verification.verifiers == 0 && task.delegationId == nil && task.submissionId == nil {
            approvedOnSubmit.withLock { $0.insert(claimed.id(3)) }
        }
        return ClaimView(claimId: claimed.id(3), workerId: worker, task: task, attempt: Int(claimed.int(2)),
                         leaseExpiresAtMillis: claimed.int(1), review: review)
    }

    static let claimedTaskSQL = """
        SELECT \(prefixed(taskColumns, "t")), \(prefixed(submissionColumns, "s")), \(prefixed(taskColumns, "p"))
        FROM tasks t LEFT JOIN submissions s ON s.id = t.submission_id LEFT JOIN tasks p ON p.id = s.task_id
        WHERE t.id = ?
        """

    /// `claim`, waiting up to `waitSeconds` (at most 30) for matching work instead of answering nothing.
    public func claim(_ principal: Principal, taskType: String, capabilities: [String]? = nil, waitSeconds: Double) async throws -> ClaimView? {
        let wait = max(0, min(waitSeconds, 30))
        let deadline = ContinuousClock.now + .milliseconds(Int(wait * 1000))
        // Only work this worker could take ends its wait.
        let (worker, owner, kind) = try principal.requireWorker(for: "claim")
        let facts = try await workerFacts(worker)
        let caps = try capabilities.map { try Capabilities($0).canonical } ?? facts.capabilities
        let matching: @Sendable (Event.TaskAvailable) -> Bool = {
            $0.matches(capabilities: caps, kind: kind, owner: owner, master: facts.master, worker: worker)
        }
        var checkedAt: UInt64?
        var wake: EventHub.Wake?
        while true {
            let generation = hub.workGeneration(taskType), stops = hub.workerStops
            let claim: ClaimView?
            do {
                claim = try await attemptClaim(principal, taskType: taskType, capabilities: capabilities)
            } catch {
                if let wake { hub.pass(wake, declinedBy: worker) }
                throw error
            }
            if let unused = wake, claim?.task.id != unused.task.task {
                wake = nil
                if claim != nil {
                    // Busy with another task now; unless a claimer here took this one (in a batch of
                    // claims, most likely), the next claimer finds out whether it is left.
                    if !hub.wasClaimedHere(unused.task.task) { hub.pass(unused, declinedBy: worker) }
                } else {
                    // Woken for a task and did not get it: if it is still open, somebody else may
                    // take it (this worker may not: panel rules, a gold draw), and is told.
                    try await passOn(unused, declinedBy: worker)
                }
            }
            if let claim { return claim }
            let left = deadline - ContinuousClock.now
            // Whether the worker may claim at all is asked before the first wait, after a worker was
            // stopped here since, and at the end; not after every empty attempt: under load most
            // attempts come back empty.
            if checkedAt != stops || left <= .zero || Task.isCancelled {
                try await requireActive(principal)
                checkedAt = stops
            }
            guard left > .zero, !Task.isCancelled else { return nil }
            let seconds = Double(left.components.seconds) + Double(left.components.attoseconds) / 1e18
            wake = await hub.waitForWork(taskType, since: generation, timeoutSeconds: seconds, worker: worker, matching: matching)
            if Task.isCancelled {
                if let wake { hub.pass(wake, declinedBy: worker) }
                return nil
            }
        }
    }

    /// Passes a wake this claimer could not use to the next waiter, unless its task was taken or
    /// can no longer be.
    private func passOn(_ wake: EventHub.Wake, declinedBy worker: WorkerID) async throws {
        // Most often another claimer here took it; only a claim elsewhere needs the database to tell.
        if hub.wasClaimedHere(wake.task.task) { return }
        let now = self.now()
        let open = try await database.readStatement {
            try await $0.queryOne("SELECT 1 FROM tasks WHERE id = ? AND state = 'open' AND (deadline_at IS NULL OR deadline_at > ?)",
                                  wake.task.task, now)
        }
        if open != nil { hub.pass(wake, declinedBy: worker) }
    }

    /// Extends a lease by the task's lease time from now.
    public func heartbeat(_ principal: Principal, claim: ClaimID) async throws -> LeaseView {
        let (worker, _, _) = try principal.requireWorker(for: "heartbeat")
        let now = self.now()
        return try await transact { tx, _ in
            if let row = try await tx.queryOne("""
                UPDATE tasks SET lease_expires_at = ? + lease_seconds * 1000, expiring_notified = 0, updated_at = ?
                WHERE claim_id = ? AND worker_id = ? AND state = 'claimed' AND lease_expires_at > ?
                RETURNING lease_expires_at
                """, now, now, claim, worker, now) {
                return LeaseView(claimId: claim, leaseExpiresAtMillis: row.int(0))
            }
            throw try await self.claimProblem(claim, worker: worker, tx, now: now)
        }
    }

    /// Gives a claim back: the task returns to the queue at once and the attempt is not counted.
    public func release(_ principal: Principal, claim: ClaimID) async throws -> TaskView {
        let (worker, _, _) = try principal.requireWorker(for: "release")
        let now = self.now()
        return try await transact { tx, events in
            guard let row = try await tx.queryOne("""
                UPDATE tasks SET state = 'open', attempts = attempts - 1, lease_expires_at = NULL, updated_at = ?
                WHERE claim_id = ? AND worker_id = ? AND state = 'claimed' AND lease_expires_at > ?
                RETURNING \(Self.taskColumns)
                """, now, claim, worker, now) else {
                throw try await self.claimProblem(claim, worker: worker, tx, now: now)
            }
            if row.optionalInt(21) != nil { try await self.leaveSeat(slot: row.id(0), tx) }
            events.append(.taskAvailable(Self.availability(row)))
            return Self.taskView(row)
        }
    }

    /// Why a claim cannot be used: someone else's, never existed, or no longer held.
    func claimProblem(_ claim: ClaimID, worker: WorkerID, _ tx: any SQLExecutor, now: Int64) async throws -> WorkhiveError {
        guard let row = try await tx.queryOne("SELECT worker_id, state, lease_expires_at FROM tasks WHERE claim_id = ?", claim) else {
            // A claim id is task id * 128 + attempt (see `claim`). If that task has been claimed again
            // since, this claim was superseded (its lease ran out, or its submission was rejected).
            if claim.rawValue % 128 != 0, try await tx.queryOne(
                "SELECT 1 FROM tasks WHERE id = ? AND claim_id > ?", claim.rawValue / 128, claim) != nil {
                return WorkhiveError(.claimExpired, "claim \(claim) is no longer held: the task was claimed again after it expired")
            }
            return WorkhiveError.notFound("claim \(claim)")
        }
        if row.optionalID(0) != worker { return WorkhiveError.forbidden("claim \(claim) belongs to another worker") }
        return WorkhiveError(.claimExpired, "claim \(claim) is no longer held: its lease expired or it was released or completed")
    }

    static func availability(_ row: SQLRow) -> Event.TaskAvailable {
        .init(task: row.id(0), taskType: row.text(2), requiredCapabilities: row.text(6), rewardMicroUSDT: row.int(7),
              humanOnly: row.bool(22), excludedOwner: row.optionalID(29), fleetMaster: row.optionalID(31), assignee: row.optionalID(32))
    }
}

/// Claimers (by the key their claims batch under) that drew gold and found none, each with the time
/// until which their draws skip looking; and how many gold tasks this server has posted.
struct GoldAbsence: ~Copyable {
    var until: [PendingClaim.Key: Int64] = [:]
    var goldPosts = 0
}

extension Marketplace {
    /// How long claimers of one kind that drew gold and found none draw no more (see `claim`). A
    /// draw is a chance at a known answer; while there is no gold work to find, the usual case,
    /// each draw cost a second claim statement and kept the claim out of its batch. A gold task
    /// posted through this server ends the wait at once; one posted through another server, or
    /// one that opens again, waits at most this long to be drawn. (A pick can also come back empty
    /// because the claimer was stopped, or on PostgreSQL because the gold rows were being claimed:
    /// its owner's other claimers of that kind then skip gold for that long too.)
    static let goldAbsenceMillis: Int64 = 1_000

    func goldKnownAbsent(_ key: PendingClaim.Key, now: Int64) -> Bool {
        goldAbsence.withLock { ($0.until[key] ?? .min) > now }
    }

    /// Notes that `key`'s gold pick found nothing, unless a gold task was posted since the claim
    /// began (its pick may have run before that post committed).
    func noteGoldAbsent(_ key: PendingClaim.Key, now: Int64, goldPostsSeen: Int) {
        goldAbsence.withLock { absence in
            guard absence.goldPosts == goldPostsSeen else { return }
            if absence.until.count >= 4096 {
                absence.until = absence.until.filter { $0.value > now }
                if absence.until.count >= 2048 { absence.until.removeAll() }
            }
            absence.until[key] = now + Self.goldAbsenceMillis
        }
    }

    /// A gold task was posted through this server: every claimer draws for it again.
    func noteGoldPosted() {
        goldAbsence.withLock { absence in
            absence.goldPosts += 1
            absence.until.removeAll()
        }
    }
}
