import WorkhiveCore

/// One sub-task of a delegation as the master asks for it. `assignee` names one sub-agent; without
/// it any sub-agent of the fleet may claim it.
public struct SubTaskSpec: Sendable, Equatable {
    public var taskType: String?
    public var title: String?
    public var instructions: String
    public var payloadJSON: String
    public var requiredCapabilities: [String]
    public var rewardMicroUSDT: Int64
    public var assignee: WorkerID?
    public var leaseSeconds: Int
    public var maxAttempts: Int
    public var deadlineAtMillis: Int64?

    public init(taskType: String? = nil, title: String? = nil, instructions: String = "", payloadJSON: String = "{}",
                requiredCapabilities: [String] = [], rewardMicroUSDT: Int64, assignee: WorkerID? = nil, leaseSeconds: Int = 300,
                maxAttempts: Int = 3, deadlineAtMillis: Int64? = nil) {
        self.taskType = taskType
        self.title = title
        self.instructions = instructions
        self.payloadJSON = payloadJSON
        self.requiredCapabilities = requiredCapabilities
        self.rewardMicroUSDT = rewardMicroUSDT
        self.assignee = assignee
        self.leaseSeconds = leaseSeconds
        self.maxAttempts = maxAttempts
        self.deadlineAtMillis = deadlineAtMillis
    }
}

public struct DelegationRequest: Sendable, Equatable {
    public static let maxSubTasks = 500
    public var strategy: DelegationStrategy
    public var aggregation: AggregationMethod
    public var funding: DelegationFunding
    public var subTasks: [SubTaskSpec]

    public init(strategy: DelegationStrategy = .fanOut, aggregation: AggregationMethod, funding: DelegationFunding, subTasks: [SubTaskSpec]) {
        self.strategy = strategy
        self.aggregation = aggregation
        self.funding = funding
        self.subTasks = subTasks
    }
}

extension Marketplace {
    /// A master holding a claim fans the work out to its fleet. Every sub-task is a private task that
    /// only the fleet (or its named sub-agent) can see and claim, with its own escrow: held from the
    /// parent's escrow (the rewards are set aside from the parent's reward) or from the master's
    /// earnings. Sub-tasks are not verified: the master trusts its fleet and the parent is verified.
    /// One delegation per claim; posting the same delegation again returns the first.
    public func delegate(_ principal: Principal, claim: ClaimID, _ request: DelegationRequest, requestHash: String) async throws -> DelegationView {
        let (master, owner, _) = try principal.requireWorker(for: "delegate")
        guard (1...DelegationRequest.maxSubTasks).contains(request.subTasks.count) else {
            throw WorkhiveError.invalid("sub_tasks must hold 1-\(DelegationRequest.maxSubTasks) sub-tasks")
        }
        guard try await workerFacts(master).master == nil else {
            throw WorkhiveError.forbidden("a sub-agent cannot delegate; only a master delegates to its fleet")
        }
        let now = self.now()
        let delegation = try await transact { tx, events -> DelegationID in
            // A retry returns the delegation the first call made (checked again once the parent row is
            // locked, for a retry racing the first call).
            func existing() async throws -> DelegationID? {
                guard let row = try await tx.queryOne("SELECT id, master_worker_id, request_hash FROM delegations WHERE parent_claim_id = ?", claim) else { return nil }
                guard row.id(1) == master else { throw WorkhiveError.forbidden("claim \(claim) belongs to another worker") }
                guard row.text(2) == requestHash else {
                    throw WorkhiveError(.conflict, "claim \(claim) already has a different delegation (\(row.int(0)))")
                }
                return row.id(0)
            }
            if let first = try await existing() { return first }
            let total = request.subTasks.reduce(Int64(0)) { $0 + $1.rewardMicroUSDT }
            let setAside = request.funding == .parentEscrow ? total : 0
            // Holding the claim is the guard: the parent cannot move on while this runs.
            guard try await tx.queryOne("""
                UPDATE tasks SET updated_at = ?
                WHERE claim_id = ? AND worker_id = ? AND state = 'claimed' AND lease_expires_at > ? AND task_type <> 'verify' RETURNING id
                """, now, claim, master, now) != nil else {
                if try await tx.queryOne("SELECT 1 FROM tasks WHERE claim_id = ? AND task_type = 'verify'", claim) != nil {
                    throw WorkhiveError.invalid("claim \(claim) is a verification slot; only work can be delegated")
                }
                throw try await self.claimProblem(claim, worker: master, tx, now: now)
            }
            if let first = try await existing() { return first }
            let parent = try await tx.queryOne("""
                UPDATE tasks SET delegated_reward = delegated_reward + ? WHERE claim_id = ?
                RETURNING id, reward, delegated_reward, deadline_at, task_type, title, priority, escrow_account_id, delegation_id
                """, setAside, claim)!
            guard parent.optionalInt(8) == nil else { throw WorkhiveError.invalid("a sub-task cannot be delegated further") }
            if request.funding == .parentEscrow, parent.int(2) >= parent.int(1) {
                throw WorkhiveError(.insufficientFunds,
                    "sub-task rewards (\(total)) must leave part of the parent's reward (\(parent.int(1))) to the master")
            }
            let subAgents = try await self.activeSubAgents(of: master, tx)
            guard !subAgents.isEmpty else { throw WorkhiveError.invalid("the fleet has no active sub-agent to delegate to") }
            let parentTask: TaskID = parent.id(0)
            let specs = try request.subTasks.enumerated().map { index, sub in
                try self.validatedSubTask(sub, index: index, parentType: parent.text(4), parentTitle: parent.text(5),
                                          parentDeadline: parent.optionalInt(3), priority: Int(parent.int(6)), subAgents: subAgents, now: now)
            }
            let id = DelegationID(try await tx.insert("""
                INSERT INTO delegations (parent_task_id, parent_claim_id, master_worker_id, strategy, aggregation, funding, slots, request_hash, created_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, parentTask, claim, master, request.strategy.rawValue, request.aggregation.rawValue, request.funding.rawValue,
                request.subTasks.count, requestHash, now))
            var batch = LedgerBatch()
            let source: AccountID
            if request.funding == .parentEscrow {
                // The set-aside leaves the parent's hold and becomes a pool in the parent's escrow, so
                // failed sub-tasks return to the pool (for retries) rather than to the requester.
                let escrow: AccountID = parent.id(7)
                let hold = try await tx.queryOne(
                    "SELECT id, debit_account_id FROM transfers WHERE credit_account_id = ? AND kind = 'pending' ORDER BY id DESC LIMIT 1", escrow)!
                batch.void(pending: hold.id(0), from: hold.id(1), to: escrow, total, task: parentTask)
                batch.posted(from: hold.id(1), to: escrow, total, .delegationPool, task: parentTask)
                source = escrow
            } else {
                source = try await self.workerFacts(master, tx).earnings
            }
            let created = try await self.insertSubTasks(specs, delegation: id, master: master, owner: owner, slots: Array(specs.indices),
                                                        fundedFrom: source, batch: &batch, tx, now: now)
            do {
                try await self.apply(batch, tx, now: now)
            } catch is LedgerShortfall {
                throw WorkhiveError(.insufficientFunds, request.funding == .parentEscrow
                    ? "the parent's escrow no longer holds the \(total) micro-USDT these sub-tasks need"
                    : "the master's available earnings do not cover the \(total) micro-USDT these sub-tasks need")
            }
            for event in created { events.append(.taskAvailable(event)) }
            return id
        }
        return try await delegationView(principal, delegation)
    }

    /// A failed or timed-out sub-task, posted again in its slot with a fresh escrow hold (from the
    /// pool of the parent's escrow, or from the master's earnings), while the master holds the parent.
    public func retrySubTask(_ principal: Principal, delegation: DelegationID, slot: Int) async throws -> DelegationView {
        let (master, owner, _) = try principal.requireWorker(for: "retry sub-tasks")
        let now = self.now()
        try await transact { tx, events in
            guard let d = try await tx.queryOne(
                "SELECT master_worker_id, parent_claim_id, funding, aggregation FROM delegations WHERE id = ?", delegation),
                  d.id(0) == master else { throw WorkhiveError.notFound("delegation \(delegation)") }
            // Locking the parent row serialises retries of one delegation.
            guard let parent = try await tx.queryOne(
                "UPDATE tasks SET updated_at = ? WHERE claim_id = ? AND state = 'claimed' AND lease_expires_at > ? RETURNING escrow_account_id",
                now, d.int(1), now) else {
                throw WorkhiveError(.claimExpired, "the parent claim is no longer held; its sub-tasks cannot be retried")
            }
            guard let current = try await tx.queryOne("""
                SELECT t.id, t.state, t.task_type, t.title, t.instructions, t.payload, t.required_caps, t.reward, t.lease_seconds, t.max_attempts,
                       t.deadline_at, t.priority, t.assignee_id, EXISTS (SELECT 1 FROM submissions s WHERE s.task_id = t.id)
                FROM tasks t WHERE t.delegation_id = ? AND t.delegation_slot = ? ORDER BY t.id DESC LIMIT 1
                """, delegation, slot) else { throw WorkhiveError.notFound("sub-task \(slot) of delegation \(delegation)") }
            let state = current.text(1)
            guard (state == TaskState.failed.rawValue || state == TaskState.cancelled.rawValue) && !current.bool(13) else {
                throw WorkhiveError(.conflict, "sub-task \(slot) is \(state); only a failed or timed-out sub-task can be retried")
            }
            if let deadline = current.optionalInt(10), deadline <= now {
                throw WorkhiveError(.conflict, "the deadline of sub-task \(slot) (bounded by the parent's) has passed")
            }
            let spec = try TaskSpec(
                taskType: current.text(2), title: current.text(3), instructions: current.text(4), payloadJSON: current.text(5),
                requiredCapabilities: Capabilities(canonical: current.text(6)), rewardMicroUSDT: current.int(7), leaseSeconds: Int(current.int(8)),
                maxAttempts: Int(current.int(9)), deadlineAtMillis: current.optionalInt(10), priority: Int(current.int(11)), visibility: .private,
                verification: VerificationPolicy(verifiers: 0, quorum: 0, spotCheckRate: 0, verifierRewardMicroUSDT: 0), nowMillis: now)
            var source: AccountID = parent.id(0)
            if d.text(2) != DelegationFunding.parentEscrow.rawValue { source = try await self.workerFacts(master, tx).earnings }
            var batch = LedgerBatch()
            let created = try await self.insertSubTasks([(spec, current.optionalID(12))], delegation: delegation, master: master, owner: owner,
                                                        slots: [slot], fundedFrom: source, batch: &batch, tx, now: now)
            do {
                try await self.apply(batch, tx, now: now)
            } catch is LedgerShortfall {
                throw WorkhiveError(.insufficientFunds, "not enough is left to fund sub-task \(slot) again (\(spec.rewardMicroUSDT) micro-USDT)")
            }
            for event in created { events.append(.taskAvailable(event)) }
        }
        return try await delegationView(principal, delegation)
    }

    /// Sub-agents of a master that may take work (not removed).
    func activeSubAgents(of master: WorkerID, _ tx: any SQLExecutor) async throws -> Set<WorkerID> {
        Set(try await tx.query("SELECT id FROM workers WHERE master_worker_id = ? AND removed_at IS NULL", master).map { $0.id(0) })
    }

    private func validatedSubTask(_ sub: SubTaskSpec, index: Int, parentType: String, parentTitle: String, parentDeadline: Int64?,
                                  priority: Int, subAgents: Set<WorkerID>, now: Int64) throws -> (TaskSpec, WorkerID?) {
        if let assignee = sub.assignee, !subAgents.contains(assignee) {
            throw WorkhiveError.invalid("sub_tasks[\(index)].assignee \(assignee) is not an active sub-agent of this fleet")
        }
        if let parentDeadline, parentDeadline <= now { throw WorkhiveError.invalid("the parent's deadline has passed") }
        // The parent's deadline bounds every child's.
        let deadline = [sub.deadlineAtMillis, parentDeadline].compactMap { $0 }.min()
        guard case .object = try JSONValue.parse(sub.payloadJSON) else {
            throw WorkhiveError.invalid("sub_tasks[\(index)].payload must be a JSON object")
        }
        let title = sub.title ?? String("Part \(index + 1) of \(parentTitle)".prefix(200))
        let made = Result { () throws(WorkhiveError) -> TaskSpec in
            try TaskSpec(
                taskType: sub.taskType ?? parentType, title: title, instructions: sub.instructions, payloadJSON: sub.payloadJSON,
                requiredCapabilities: try Capabilities(sub.requiredCapabilities), rewardMicroUSDT: sub.rewardMicroUSDT,
                leaseSeconds: sub.leaseSeconds, maxAttempts: sub.maxAttempts, deadlineAtMillis: deadline, priority: priority, visibility: .private,
                verification: VerificationPolicy(verifiers: 0, quorum: 0, spotCheckRate: 0, verifierRewardMicroUSDT: 0), nowMillis: now)
        }
        switch made {
        case .success(let spec): return (spec, sub.assignee)
        case .failure(let error): throw WorkhiveError(error.code, "sub_tasks[\(index)]: \(error.message)")
        }
    }

    /// Writes sub-task rows and their escrow accounts in two statements, and adds their holds to `batch`.
    private func insertSubTasks(_ specs: [(TaskSpec, WorkerID?)], delegation: DelegationID, master: WorkerID, owner: OwnerID, slots: [Int],
                                fundedFrom source: AccountID, batch: inout LedgerBatch, _ tx: any SQLExecutor, now: Int64) async throws -> [Event.TaskAvailable] {
        let accounts = try await tx.insert(
            "INSERT INTO accounts (kind, owner_id, created_at) VALUES \(Array(repeating: "('escrow', ?, ?)", count: specs.count).joined(separator: ", "))",
            specs.flatMap { _ in [owner.sqlValue, .integer(now)] }, rows: specs.count)
        var binds: [SQLValue] = []
        for (i, (spec, assignee)) in specs.enumerated() {
            binds += [owner.sqlValue, .text(spec.taskType), .text(spec.title), .text(spec.instructions), .text(spec.payloadJSON),
                      .text(spec.requiredCapabilities.canonical), .integer(spec.rewardMicroUSDT), spec.leaseSeconds.sqlValue,
                      spec.maxAttempts.sqlValue, spec.deadlineAtMillis.sqlValue, spec.priority.sqlValue, .integer(accounts[i]),
                      master.sqlValue, assignee.sqlValue, delegation.sqlValue, slots[i].sqlValue, .integer(now), .integer(now)]
        }
        let row = "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'private', 0, 0, 0, 0, 'open', ?, 1, ?, ?, ?, ?, ?, ?)"
        let ids = try await tx.insert("""
            INSERT INTO tasks (requester_id, task_type, title, instructions, payload, required_caps, reward, lease_seconds, max_attempts,
                deadline_at, priority, visibility, verifiers, quorum, spot_check_rate, verifier_reward, state, escrow_account_id, escrow_open,
                fleet_master_id, assignee_id, delegation_id, delegation_slot, created_at, updated_at)
            VALUES \(Array(repeating: row, count: specs.count).joined(separator: ", "))
            """, binds, rows: specs.count)
        var events: [Event.TaskAvailable] = []
        for (i, (spec, assignee)) in specs.enumerated() {
            batch.pending(from: source, to: AccountID(accounts[i]), spec.rewardMicroUSDT, .escrowHold, task: TaskID(ids[i]))
            events.append(.init(task: TaskID(ids[i]), taskType: spec.taskType, requiredCapabilities: spec.requiredCapabilities.canonical,
                                rewardMicroUSDT: spec.rewardMicroUSDT, humanOnly: false, excludedOwner: nil, fleetMaster: master, assignee: assignee))
        }
        return events
    }
}
