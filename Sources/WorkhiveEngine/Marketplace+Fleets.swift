import WorkhiveCore

extension Marketplace {
    public static let maxFleetSize = 1000

    /// The master behind a worker key: an agent that is not itself a sub-agent.
    func requireMaster(_ principal: Principal, for verb: String) async throws -> (WorkerID, OwnerID) {
        guard case .worker(let id, let owner, let kind) = principal else {
            throw WorkhiveError.forbidden("\(verb) needs the master agent's worker key")
        }
        guard kind == .agent else { throw WorkhiveError.forbidden("only an agent can run a fleet") }
        guard try await workerFacts(id).master == nil else {
            throw WorkhiveError.forbidden("a sub-agent cannot manage its fleet; only its master can")
        }
        return (id, owner)
    }

    /// A master creates a sub-agent: a worker under the master's owner, with its own API key (shown
    /// once), capabilities, earnings account and optional wallet address.
    public func createSubAgent(_ principal: Principal, name: String, capabilities: [String], walletAddress: String? = nil) async throws -> Credentials<WorkerView> {
        let (master, owner) = try await requireMaster(principal, for: "creating sub-agents")
        if let walletAddress {
            guard (1...128).contains(walletAddress.utf8.count), walletAddress.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_:".contains($0)) }) else {
                throw WorkhiveError.invalid("wallet_address must be 1-128 letters, digits, '-', '_' or ':'")
            }
        }
        let count = try await read { tx in try await tx.queryOne("SELECT COUNT(*) FROM workers WHERE master_worker_id = ? AND removed_at IS NULL", master)!.int(0) }
        guard count < Self.maxFleetSize else { throw WorkhiveError(.conflict, "a fleet has at most \(Self.maxFleetSize) sub-agents") }
        let name = name.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !name.isEmpty, name.count <= 100 else { throw WorkhiveError.invalid("name must be 1-100 characters") }
        let caps = try Capabilities(capabilities)
        let now = self.now()
        let secret = newSecret()
        return try await transact { tx, _ in
            let account = AccountID(try await tx.insert("INSERT INTO accounts (kind, owner_id, created_at) VALUES ('earnings', ?, ?)", owner, now))
            let worker = WorkerID(try await tx.insert("""
                INSERT INTO workers (owner_id, name, kind, capabilities, earnings_account_id, master_worker_id, wallet_address, created_at)
                VALUES (?, ?, 'agent', ?, ?, ?, ?, ?)
                """, owner, name, caps.canonical, account, master, walletAddress, now))
            try await tx.execute("UPDATE accounts SET worker_id = ? WHERE id = ?", worker, account)
            let key = try await Self.insertKey(tx, owner: owner, worker: worker, secret: secret, now: now)
            let row = try await tx.queryOne("SELECT \(Self.workerColumns) FROM workers WHERE id = ?", worker)!
            return Credentials(apiKey: key, subject: Self.workerView(row))
        }
    }

    /// Pauses (no more claims), resumes or removes (keys revoked, current claims released) a sub-agent.
    public func setSubAgent(_ principal: Principal, _ subAgent: WorkerID, paused: Bool) async throws -> WorkerView {
        let (master, _) = try await requireMaster(principal, for: "pausing sub-agents")
        let view = try await transact { tx, _ in
            guard let row = try await tx.queryOne(
                "UPDATE workers SET paused = ? WHERE id = ? AND master_worker_id = ? AND removed_at IS NULL RETURNING \(Self.workerColumns)",
                paused, subAgent, master) else { throw try await self.subAgentProblem(subAgent, master: master, tx) }
            return Self.workerView(row)
        }
        if paused { hub.noteWorkerStopped() }
        return view
    }

    public func removeSubAgent(_ principal: Principal, _ subAgent: WorkerID) async throws -> WorkerView {
        let (master, _) = try await requireMaster(principal, for: "removing sub-agents")
        let now = self.now()
        let view = try await transact { tx, events in
            guard let row = try await tx.queryOne("""
                UPDATE workers SET paused = 1, removed_at = ?, status = 'offline' WHERE id = ? AND master_worker_id = ? AND removed_at IS NULL
                RETURNING \(Self.workerColumns)
                """, now, subAgent, master) else { throw try await self.subAgentProblem(subAgent, master: master, tx) }
            try await tx.execute("UPDATE api_keys SET revoked_at = ? WHERE worker_id = ? AND revoked_at IS NULL", now, subAgent)
            // Its work goes back to the queue now rather than when its lease runs out.
            for task in try await tx.query("""
                UPDATE tasks SET state = 'open', attempts = attempts - 1, lease_expires_at = NULL, updated_at = ?
                WHERE worker_id = ? AND state = 'claimed' AND task_type <> 'verify' RETURNING \(Self.taskColumns)
                """, now, subAgent) {
                events.append(.taskAvailable(Self.availability(task)))
            }
            return Self.workerView(row)
        }
        keyCache.withLock { $0.removeAll() }
        hub.noteWorkerStopped()
        return view
    }

    private func subAgentProblem(_ subAgent: WorkerID, master: WorkerID, _ tx: any SQLExecutor) async throws -> WorkhiveError {
        guard let row = try await tx.queryOne("SELECT master_worker_id, removed_at FROM workers WHERE id = ?", subAgent),
              row.optionalID(0) == master else { return WorkhiveError.notFound("sub-agent \(subAgent) in this fleet") }
        return WorkhiveError(.conflict, "sub-agent \(subAgent) was removed")
    }

    /// The master's fleet: every sub-agent with its heartbeat, current claims, earnings and finished sub-tasks.
    public func fleet(_ principal: Principal) async throws -> FleetView {
        let (master, _) = try await requireMaster(principal, for: "viewing a fleet")
        return try await read { tx in
            let me = try await tx.queryOne("""
                SELECT \(Self.prefixed(Self.workerColumns, "w")), a.credits_posted - a.debits_posted - a.debits_pending
                FROM workers w JOIN accounts a ON a.id = w.earnings_account_id WHERE w.id = ?
                """, master)!
            let width = Self.workerColumns.split(separator: ",").count
            let members = try await tx.query("""
                SELECT \(Self.prefixed(Self.workerColumns, "w")), a.credits_posted - a.debits_posted,
                       (SELECT COUNT(*) FROM tasks t WHERE t.worker_id = w.id AND t.state = 'claimed'),
                       (SELECT COUNT(*) FROM submissions s JOIN tasks t ON t.id = s.task_id WHERE s.worker_id = w.id AND t.delegation_id IS NOT NULL)
                FROM workers w JOIN accounts a ON a.id = w.earnings_account_id
                WHERE w.master_worker_id = ? ORDER BY w.id
                """, master).map { r in
                    FleetMemberView(worker: Self.workerView(r.slice(0, width)), earningsMicroUSDT: r.int(width),
                                    currentClaims: Int(r.int(width + 1)), subTasksDone: Int(r.int(width + 2)))
                }
            return FleetView(
                master: Self.workerView(me.slice(0, width)), masterAvailableMicroUSDT: me.int(width), subAgents: members,
                active: members.filter { !$0.worker.paused && $0.worker.removedAtMillis == nil }.count,
                paused: members.filter { $0.worker.paused && $0.worker.removedAtMillis == nil }.count,
                removed: members.filter { $0.worker.removedAtMillis != nil }.count,
                currentClaims: members.reduce(0) { $0 + $1.currentClaims },
                earningsMicroUSDT: members.reduce(0) { $0 + $1.earningsMicroUSDT })
        }
    }

    /// A delegation with its sub-tasks and, once ready, the aggregate. Visible to its master and the
    /// master's owner.
    public func delegationView(_ principal: Principal, _ id: DelegationID) async throws -> DelegationView {
        try await read { tx in
            guard let d = try await tx.queryOne("""
                SELECT d.id, d.parent_task_id, d.parent_claim_id, d.master_worker_id, d.strategy, d.aggregation, d.funding, d.created_at, w.owner_id
                FROM delegations d JOIN workers w ON w.id = d.master_worker_id WHERE d.id = ?
                """, id) else { throw WorkhiveError.notFound("delegation \(id)") }
            let master: WorkerID = d.id(3)
            guard principal.workerID == master || principal == .owner(d.id(8), isAdmin: false) || principal.isAdmin else {
                throw WorkhiveError.notFound("delegation \(id)")
            }
            let rows = try await tx.query("""
                SELECT c.id, c.delegation_slot, c.state, c.assignee_id, c.worker_id, c.attempts, c.max_attempts, c.failure_reason, c.reward,
                       c.deadline_at, s.id, s.result
                FROM tasks c LEFT JOIN submissions s ON s.task_id = c.id
                WHERE c.delegation_id = ? ORDER BY c.delegation_slot, c.id
                """, id)
            var slots: [Int: SubTaskView] = [:]
            var arrival: [Int: Int64] = [:]
            for r in rows {
                let slot = Int(r.int(1))
                let done = r.optionalInt(10) != nil
                let retries = slots[slot].map { $0.retries + 1 } ?? 0
                slots[slot] = SubTaskView(
                    slot: slot, taskId: r.id(0), state: TaskState(rawValue: r.text(2)) ?? .open, done: done, assigneeId: r.optionalID(3),
                    workerId: r.optionalID(4), attempts: Int(r.int(5)), maxAttempts: Int(r.int(6)), retries: retries,
                    failureReason: r.optionalText(7), rewardMicroUSDT: r.int(8), deadlineAtMillis: r.optionalInt(9),
                    result: done ? StoredJSON.decode(r.text(11)) : nil)
                if let submission = r.optionalInt(10) { arrival[slot] = submission }
            }
            let subTasks = slots.keys.sorted().map { slots[$0]! }
            let method = AggregationMethod(rawValue: d.text(5)) ?? .none
            let done = subTasks.filter(\.done).count
            let running = subTasks.filter { $0.state == .open || $0.state == .claimed }.count
            let failed = subTasks.filter { !$0.done && !($0.state == .open || $0.state == .claimed) }.count
            var view = DelegationView(
                id: id, parentTaskId: d.id(1), parentClaimId: d.id(2), masterWorkerId: master,
                delegationStrategy: DelegationStrategy(rawValue: d.text(4)) ?? .fanOut, aggregationMethod: method,
                funding: DelegationFunding(rawValue: d.text(6)) ?? .masterBalance, state: "running", done: done, failed: failed,
                running: running, subTasks: subTasks, aggregate: nil, aggregationError: nil, createdAtMillis: d.int(7))
            if method.isReady(done: done, total: subTasks.count) {
                view.state = "complete"
                // `first` takes results in order of arrival (submission ids grow); the rest in slot order.
                let finished = subTasks.filter(\.done)
                let ordered = method == .first ? finished.sorted { arrival[$0.slot]! < arrival[$1.slot]! } : finished
                switch Aggregation.aggregate(method, ordered.compactMap(\.result)) {
                case .success(let value): view.aggregate = value
                case .failure(let error): view.aggregationError = error.message
                }
            } else if failed > 0 && (method != .first || running == 0) {
                view.state = "needs_retry"
            }
            return view
        }
    }

    /// The delegation a master made on a claim, if any.
    public func delegation(_ principal: Principal, claim: ClaimID) async throws -> DelegationView {
        let id: DelegationID? = try await read { tx in try await tx.queryOne("SELECT id FROM delegations WHERE parent_claim_id = ?", claim)?.id(0) }
        guard let id else { throw WorkhiveError.notFound("delegation of claim \(claim)") }
        return try await delegationView(principal, id)
    }
}
