import WorkhiveCore

/// A submission as stored: its result and proofs encoded, and the hash that tells a retry from a
/// different submission of the same claim. Batched submissions wait in a `Combiner` as this.
struct PendingSubmission: Sendable {
    let worker: WorkerID
    let owner: OwnerID
    let claim: ClaimID
    let result: JSONValue
    let resultJSON: String
    let proofs: [String]
    let proofsJSON: String
    let requestHash: String

    init(worker: WorkerID, owner: OwnerID, claim: ClaimID, result: JSONValue, proofs: [String]) {
        self.worker = worker
        self.owner = owner
        self.claim = claim
        self.result = result
        self.resultJSON = StoredJSON.encode(result)
        self.proofs = proofs
        self.proofsJSON = StoredJSON.encodeStrings(proofs)
        self.requestHash = sha256Hex(resultJSON + "\u{0}" + proofsJSON)
    }
}

extension Marketplace {
    /// Submissions of tasks approved at once (no verifiers, no gold answer, not part of a
    /// delegation) are written in batches: one transaction, and a handful of statements for the
    /// whole batch, where one submission alone takes seven. Each output is the submission as
    /// written, or nil for one this path does not take (another kind of task, a claim not held, a
    /// submission already made, a proof not uploaded): that one goes through `submit`'s full path,
    /// which explains any refusal. A batch that fails writes nothing, and all its submissions go the
    /// full path.
    func writeApprovedSubmissions(_ items: [PendingSubmission]) async -> [Result<SubmissionView?, any Error>] {
        do {
            let now = self.now()
            return try await transact { tx, events in
                try await self.writeApprovedSubmissions(items, tx, events, now: now)
            }.map { .success($0) }
        } catch {
            if !(error is DelegatedMeanwhile) {
                logger.warning("a batch of submissions failed; they go one by one", metadata: ["error": "\(String(reflecting: error))"])
            }
            return items.map { _ in .success(nil) }
        }
    }

    private struct DelegatedMeanwhile: Error {}

    private func writeApprovedSubmissions(_ items: [PendingSubmission], _ tx: any SQLExecutor, _ events: EventBuffer,
                                          now: Int64) async throws -> [SubmissionView?] {
        // Items whose proofs are all uploaded; the first of each claim (a retry in the same batch
        // goes the full path, which finds the submission this one writes).
        let uploaded = try await self.uploaded(Array(Set(items.flatMap(\.proofs))).sorted(), tx)
        var byClaim: [ClaimID: Int] = [:]
        for (i, item) in items.enumerated() where byClaim[item.claim] == nil && item.proofs.allSatisfy(uploaded.contains) {
            byClaim[item.claim] = i
        }
        guard !byClaim.isEmpty else { return items.map { _ in nil } }
        let claims = byClaim.keys.sorted()

        // Such a task goes straight from claimed to approved, and its escrow closes: it has no
        // verification slots (none are ever opened with no verifiers) and nothing delegated to draw
        // on it. The claims are named besides the pairs so that the claim index is used.
        let approved = try await tx.query("""
            UPDATE tasks SET state = 'approved', appeal_until = NULL, escrow_open = 0, updated_at = ?
            WHERE claim_id IN (\(Self.marks(claims.count))) AND (claim_id, worker_id) IN (VALUES \(Self.placeholders(rows: claims.count, columns: 2)))
              AND state = 'claimed' AND lease_expires_at > ? AND task_type <> 'verify' AND verifiers = 0 AND delegation_id IS NULL
              AND gold_result IS NULL AND escrow_open = 1 AND NOT EXISTS (SELECT 1 FROM delegations d WHERE d.parent_task_id = tasks.id)
            RETURNING id, claim_id, requester_id, reward, delegated_reward, escrow_account_id, attempts, quorum
            """, [.integer(now)] + claims.map(\.sqlValue) + claims.flatMap { [$0.sqlValue, items[byClaim[$0]!].worker.sqlValue] } + [.integer(now)])
        guard !approved.isEmpty else { return items.map { _ in nil } }
        let tasks = approved.map { $0.id(0) as TaskID }
        // On PostgreSQL an UPDATE that waited for a task's row re-checks that row but not the other
        // tables: a delegation committed by its claimer while the UPDATE waited is not seen above. A
        // new statement sees it; then the batch is undone and its submissions go the full path,
        // which ends the delegation as it settles.
        if try await tx.queryOne("SELECT 1 FROM delegations WHERE parent_task_id IN (\(Self.marks(tasks.count))) LIMIT 1",
                                 tasks.map(\.sqlValue)) != nil {
            throw DelegatedMeanwhile()
        }

        // Each task's escrow hold (its latest pending transfer) and what is left of it.
        let holds = Dictionary(uniqueKeysWithValues: try await tx.query("""
            SELECT t.id, h.id, h.debit_account_id, a.credits_pending FROM tasks t
            \(Self.holdJoin(tx.dialect))
            WHERE t.id IN (\(Self.marks(tasks.count)))
            """, tasks.map(\.sqlValue)).map { ($0.id(0) as TaskID, $0) })

        // The item each approved row is for.
        let taken = approved.map { items[byClaim[$0.id(1)]!] }
        var binds: [SQLValue] = []
        for (task, item) in zip(approved, taken) {
            binds += [task.values[0], task.values[1], item.worker.sqlValue, item.owner.sqlValue, task.values[6], .text(item.resultJSON),
                      .text(item.proofsJSON), .text(Outcome.approved.rawValue), 0, task.values[7], .text(item.requestHash), .integer(now), .integer(now)]
        }
        // Matched by claim: neither engine promises RETURNING rows in the order of VALUES.
        let submissionOf = Dictionary(uniqueKeysWithValues: try await tx.query("""
            INSERT INTO submissions (task_id, claim_id, worker_id, worker_owner_id, attempt, result, proofs, state, verifiers, quorum,
                request_hash, created_at, decided_at)
            VALUES \(Self.placeholders(rows: approved.count, columns: 13))
            RETURNING claim_id, id
            """, binds).map { ($0.id(0) as ClaimID, $0.id(1) as SubmissionID) })
        let submissions = approved.map { submissionOf[$0.id(1)]! }
        try await recordProofs(zip(submissions, taken).map { ($0, $1.proofs) }, tx)

        // Paid as `settle` pays an approval: the reward (less what was set aside for sub-tasks) to
        // the worker, the fee to a platform shard, both drawn from the hold, the rest released.
        var batch = LedgerBatch()
        var outputs = [SubmissionView?](repeating: nil, count: items.count)
        for (task, submission) in zip(approved, submissions) {
            let taskID: TaskID = task.id(0), index = byClaim[task.id(1)]!, item = items[index]
            guard let hold = holds[taskID] else { throw WorkhiveError.notFound("escrow hold of task \(taskID)") }
            let worker = try await workerFacts(item.worker, tx)
            let reward = task.int(3) - task.int(4), fee = configuration.fees.platformFee(reward: task.int(3))
            let escrow: AccountID = task.id(5), funds: AccountID = hold.id(2), pending: TransferID = hold.id(1)
            batch.post(pending: pending, from: funds, to: escrow, reward + fee, task: taskID)
            batch.posted(from: escrow, to: worker.earnings, reward, .reward, task: taskID)
            batch.posted(from: escrow, to: system.platformFee(for: taskID), fee, .platformFee, task: taskID)
            batch.void(pending: pending, from: funds, to: escrow, hold.int(3) - reward - fee, task: taskID)
            events.append(.ledgerCredited(account: worker.earnings, owner: worker.owner, worker: item.worker, amountMicroUSDT: reward,
                                          reason: .reward, task: taskID))
            events.append(.submissionVerdict(submission: submission, task: taskID, worker: item.worker, requester: task.id(2), outcome: .approved))
            outputs[index] = SubmissionView(id: submission, taskId: taskID, workerId: item.worker, attempt: Int(task.int(6)),
                                            state: Outcome.approved.rawValue, approvals: 0, rejections: 0, result: item.result,
                                            proofs: item.proofs, createdAtMillis: now, decidedAtMillis: now)
        }
        try await apply(batch, tx, now: now)
        try await queueAutomaticPayouts(for: taken.map(\.worker), tx, now: now)
        return outputs
    }

    /// Which of `digests` name uploaded blobs.
    func uploaded(_ digests: [String], _ tx: any SQLExecutor) async throws -> Set<String> {
        guard !digests.isEmpty else { return [] }
        return Set(try await tx.query("SELECT sha256 FROM blobs WHERE sha256 IN (\(Self.marks(digests.count)))",
                                      digests.map(SQLValue.text)).map { $0.text(0) })
    }

    /// Records which blobs each submission's proofs name (each once).
    func recordProofs(_ proofs: [(submission: SubmissionID, digests: [String])], _ tx: any SQLExecutor) async throws {
        let rows = proofs.flatMap { p in Set(p.digests).sorted().map { [SQLValue.text($0), p.submission.sqlValue] } }
        guard !rows.isEmpty else { return }
        try await tx.execute("INSERT INTO submission_proofs (sha256, submission_id) VALUES \(Self.placeholders(rows: rows.count, columns: 2))",
                             rows.flatMap { $0 })
    }
}
