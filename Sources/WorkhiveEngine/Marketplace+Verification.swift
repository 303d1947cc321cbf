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
    /// same claim again with the same result returns the first submission.
    public func submit(_ principal: Principal, claim: ClaimID, result: JSONValue, proofs: [String]) async throws -> SubmissionView {
        let (worker, owner, _) = try principal.requireWorker(for: "submit")
        guard proofs.count <= 20 else { throw WorkhiveError.invalid("at most 20 proofs per submission") }
        for proof in proofs where !BlobStore.isDigest(proof) {
            throw WorkhiveError.invalid("proof '\(proof.prefix(80))' is not the SHA-256 of an uploaded blob (64 lower-case hex characters)")
        }
        let pending = PendingSubmission(worker: worker, owner: owner, claim: claim, result: result, proofs: proofs)
        guard pending.resultJSON.utf8.count <= TaskSpec.maxPayloadBytes else {
            throw WorkhiveError.invalid("result must be at most \(TaskSpec.maxPayloadBytes) bytes of JSON")
        }
        // A claim this server leased on a task approved at once goes in a batch; anything the batch
        // does not take comes back here.
        if approvedOnSubmit.withLock({ $0.remove(claim) }),
           let written = try await approvedSubmissions.submit(pending, write: { await self.writeApprovedSubmissions($0) }) {
            return written
        }
        let (resultJSON, proofsJSON, requestHash) = (pending.resultJSON, pending.proofsJSON, pending.requestHash)
        let now = self.now()
        let draw = random.nextUnit()
        return try await transact { tx, events -> SubmissionView in
            guard let task = try await tx.queryOne("""
                UPDATE tasks SET state = 'verifying', updated_at = ?
                WHERE claim_id = ? AND worker_id = ? AND state = 'claimed' AND lease_expires_at > ? AND task_type <> 'verify'
                RETURNING id, requester_id, title, lease_seconds, priority, visibility, verifiers, quorum, spot_check_rate,
                          verifier_reward, attempts, required_caps, delegation_id, verification_mode, target_confidence, task_type,
                          spot_check_max_rate, gold_result
                """, now, claim, worker, now) else {
                if let existing = try await tx.queryOne("SELECT \(Self.submissionColumns) FROM submissions WHERE claim_id = ?", claim) {
                    guard existing.id(2) == worker else { throw WorkhiveError.forbidden("claim \(claim) belongs to another worker") }
                    guard existing.text(11) == requestHash else {
                        throw WorkhiveError(.conflict, "claim \(claim) was already submitted with a different result")
                    }
                    return Self.submissionView(existing)
                }
                if try await tx.queryOne("SELECT 1 FROM tasks WHERE claim_id = ? AND worker_id = ? AND task_type = 'verify'", claim, worker) != nil {
                    throw WorkhiveError.invalid("claim \(claim) is a verification slot: vote on it instead of submitting")
                }
                throw try await self.claimProblem(claim, worker: worker, tx, now: now)
            }
            let taskID: TaskID = task.id(0)
            let known = try await self.uploaded(proofs, tx)
            if let missing = proofs.first(where: { !known.contains($0) }) {
                throw WorkhiveError.invalid("proof \(missing) has not been uploaded (POST /v1/blobs first)")
            }
            let attempt = Int(task.int(10))
            // A gold task: the verdict this result deserves is known now, and stays the platform's secret.
            let gold = task.optionalText(17).map { TrustPolicy.goldVerdict(result: resultJSON, known: $0) }
            // Without verification (n = 0, and not a sub-task, which its master judges) the verdict is known now.
            let unverified = task.int(6) == 0 && task.optionalInt(12) == nil
            let verdict: Outcome? = unverified ? (gold ?? .approved) : nil
            let submission = SubmissionID(try await tx.insert("""
                INSERT INTO submissions (task_id, claim_id, worker_id, worker_owner_id, attempt, result, proofs, state, verifiers, quorum,
                    request_hash, created_at, gold_verdict, decided_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, taskID, claim, worker, owner, attempt, resultJSON, proofsJSON, verdict?.rawValue ?? "pending", task.int(6), task.int(7),
                requestHash, now, gold?.rawValue, verdict == nil ? nil : now))
            try await self.recordProofs([(submission, proofs)], tx)
            let policy = VerificationPolicy(verifiers: Int(task.int(6)), quorum: Int(task.int(7)), spotCheckRate: task.double(8),
                                            verifierRewardMicroUSDT: task.int(9), mode: VerificationMode(rawValue: task.text(13)) ?? .fixed,
                                            targetConfidence: task.double(14))
            var view = SubmissionView(id: submission, taskId: taskID, workerId: worker, attempt: attempt, state: "pending", approvals: 0,
                                      rejections: 0, result: result, proofs: proofs, createdAtMillis: now, decidedAtMillis: nil)
            if let delegation: DelegationID = task.optionalID(12) {
                // A sub-task: trusted by its master, paid now or with the parent (see Marketplace+Delegation).
                view.state = try await self.completeSubTask(taskID, delegation: delegation, submission: submission, submitter: worker, tx, events, now: now)
                if view.state == Outcome.approved.rawValue { view.decidedAtMillis = now }
                return view
            }
            if let outcome = verdict {
                if let gold {
                    try await self.recordEvidence([(key: .worker(worker), q: gold == .approved ? 1 : 0)], taskType: task.text(15), tx, now: now)
                }
                try await self.settle(taskID, submission: submission, decided: outcome, outcome: outcome, submitter: worker, unverified: true,
                                      tx, events, now: now)
                view.state = outcome.rawValue
                view.decidedAtMillis = now
                return view
            }
            // Slots require what the work required: a verifier must be able to judge the work. Fixed
            // k-of-n opens all n at once; adaptive opens min_votes and more one at a time as needed.
            var slotPolicy = policy
            if let maxRate = task.optionalInt(16) == nil ? nil : task.double(16) {
                // Trust-adaptive spot checks: the submitter's record on this type sets the rate.
                let record = try await self.reputations(of: [worker], role: .worker, taskType: task.text(15), tx)[worker] ?? self.trust.prior
                slotPolicy.spotCheckRate = self.trust.spotCheckRate(submitter: record, minRate: policy.spotCheckRate, maxRate: maxRate)
            }
            var slots = verificationSlots(policy: slotPolicy, draw: draw)
            if policy.mode == .adaptive { slots = Array(slots.prefix(policy.minVotes)) }
            let template = SlotTemplate(requester: task.values[1], requiredCaps: task.text(11), reward: policy.verifierRewardMicroUSDT,
                                        leaseSeconds: task.values[3], priority: task.values[4], visibility: task.values[5], parent: taskID,
                                        submission: submission, excludeOwner: owner, reviewedType: task.text(15))
            try await self.openSlots(template, humanOnly: slots, tx, events, now: now)
            return view
        }
    }

    static let verifyInstructions = """
        Review the submission against the task instructions and payload. Vote approve if it does what was asked, \
        reject with a reason if not. You are paid when your vote agrees with the final verdict.
        """

    /// A verifier's vote on a held verification slot. Once k approvals or n-k+1 rejections are in, the
    /// submission is decided and settled at once; a vote arriving after that still earns its verifier's
    /// reward if it agrees. Voting again on the same slot returns the first vote.
    public func vote(_ principal: Principal, claim: ClaimID, verdict: Verdict, reason: String) async throws -> VoteView {
        let (verifier, _, _) = try principal.requireWorker(for: "vote")
        let reason = reason.trimmingCharacters(in: .whitespacesAndNewlines)
        guard reason.utf8.count <= 2000 else { throw WorkhiveError.invalid("reason must be at most 2000 bytes") }
        if verdict == .reject && reason.isEmpty { throw WorkhiveError.invalid("a rejection needs a reason") }
        let now = self.now()
        do {
            return try await castVote(verifier, claim: claim, verdict: verdict, reason: reason, now: now)
        } catch let retry as AlreadyDone<VoteView> {
            return retry.value
        }
    }

    private func castVote(_ verifier: WorkerID, claim: ClaimID, verdict: Verdict, reason: String, now: Int64) async throws -> VoteView {
        try await transact { tx, events in
            guard let slot = try await tx.queryOne("""
                UPDATE tasks SET state = 'done', verdict = ?, vote_reason = ?, voted_at = ?, updated_at = ?
                WHERE claim_id = ? AND worker_id = ? AND state = 'claimed' AND lease_expires_at > ? AND task_type = 'verify'
                RETURNING id, submission_id, parent_task_id, appeal_id, requester_id, required_caps, reward, lease_seconds, priority,
                          visibility, reviewed_type,
                          (SELECT p.verification_mode FROM tasks p WHERE p.id = tasks.parent_task_id),
                          (SELECT p.target_confidence FROM tasks p WHERE p.id = tasks.parent_task_id)
                """, verdict.rawValue, reason, now, now, claim, verifier, now) else {
                throw try await self.voteProblem(claim, verifier: verifier, verdict: verdict, reason: reason, tx, now: now)
            }
            let slotID: TaskID = slot.id(0), submission: SubmissionID = slot.id(1), parent: TaskID = slot.id(2)
            if let appeal: AppealID = slot.optionalID(3) {
                return try await self.castAppealVote(appeal, slot: slotID, submission: submission, parent: parent, verifier: verifier,
                                                     verdict: verdict, reason: reason, tx, events, now: now)
            }
            let approve = verdict == .approve ? 1 : 0
            let tally = try await tx.queryOne("""
                UPDATE submissions SET approvals = approvals + ?, rejections = rejections + ? WHERE id = ?
                RETURNING state, approvals, rejections, worker_id, verifiers, quorum, worker_owner_id, gold_verdict
                """, approve, 1 - approve, submission)!
            let gold = tally.optionalText(7).flatMap(Outcome.init(rawValue:))
            // A slot carries what its work task set for verification (requester, capabilities, the
            // verifier reward as its reward, lease, priority, visibility, the reviewed type); the
            // work task's policy mode comes with it above.
            let reviewedType = slot.text(10)
            var outcome = Outcome(rawValue: tally.text(0))
            var decidedNow: Outcome?
            var confidence: Double?
            if outcome == nil {
                let verifiers = Int(tally.int(4)), quorum = Int(tally.int(5))
                if VerificationMode(rawValue: slot.text(11)) == .adaptive {
                    let votes = try await self.weightedVotes(of: submission, reviewedType: reviewedType, tx).map(\.vote)
                    switch AdaptiveConsensus.step(votes, minVotes: quorum, maxVotes: verifiers, targetConfidence: slot.double(12),
                                                  approvePrior: self.trust.approvePrior) {
                    case .decided(let o, _): decidedNow = o
                    case .needMoreVotes:
                        // One more slot when none is open or held and the maximum is not reached.
                        let slots = try await tx.queryOne("""
                            SELECT COUNT(*), COALESCE(SUM(CASE WHEN state IN ('open','claimed') THEN 1 ELSE 0 END), 0)
                            FROM tasks WHERE submission_id = ?
                            """, submission)!
                        if slots.int(1) == 0 && slots.int(0) < Int64(verifiers) {
                            let template = SlotTemplate(requester: slot.values[4], requiredCaps: slot.text(5), reward: slot.int(6),
                                                        leaseSeconds: slot.values[7], priority: slot.values[8], visibility: slot.values[9],
                                                        parent: parent, submission: submission, excludeOwner: tally.id(6), reviewedType: reviewedType)
                            try await self.openSlots(template, humanOnly: [false], tx, events, now: now)
                        }
                    }
                } else {
                    decidedNow = Consensus.decide(
                        approvals: Int(tally.int(1)), rejections: Int(tally.int(2)),
                        policy: VerificationPolicy(verifiers: verifiers, quorum: quorum, spotCheckRate: 0, verifierRewardMicroUSDT: 0))
                }
                // A gold task's submission gets the verdict it deserves once the votes are in, whatever they say.
                if decidedNow != nil, let gold { decidedNow = gold }
                outcome = decidedNow
                if let decidedNow {
                    let pApprove = try await self.recordVerdict(submission, submitter: tally.id(3), reviewedType: reviewedType, truth: gold, tx, now: now)
                    confidence = decidedNow == .approved ? pApprove : 1 - pApprove
                }
            } else {
                try await self.recordLateVote(submission, verifier: verifier, reviewedType: reviewedType, truth: gold, panel: .first, tx, now: now)
            }
            if let outcome {
                try await self.settle(parent, submission: submission, decided: decidedNow, outcome: outcome, submitter: tally.id(3),
                                      confidence: confidence, tx, events, now: now)
            }
            return VoteView(submissionId: submission, slotTaskId: slotID, verifierId: verifier, verdict: verdict, reason: reason,
                            paid: outcome.map { Consensus.agrees(verdict, with: $0) } ?? false, createdAtMillis: now)
        }
    }

    /// Why a vote could not be cast, or the earlier identical vote on this slot (an idempotent retry).
    private func voteProblem(_ claim: ClaimID, verifier: WorkerID, verdict: Verdict, reason: String, _ tx: any SQLExecutor, now: Int64) async throws -> any Error {
        guard let slot = try await tx.queryOne("SELECT id, worker_id, state, task_type FROM tasks WHERE claim_id = ?", claim) else {
            return try await claimProblem(claim, worker: verifier, tx, now: now)  // not found, or superseded
        }
        guard slot.optionalID(1) == verifier else { return WorkhiveError.forbidden("claim \(claim) belongs to another worker") }
        guard slot.text(3) == TaskType.verify else {
            return WorkhiveError.invalid("claim \(claim) is not a verification slot: submit work instead of voting")
        }
        if let existing = try await tx.queryOne("SELECT \(Self.voteColumns) FROM votes WHERE id = ?", slot.int(0)) {
            let view = Self.voteView(existing)
            guard view.verdict == verdict, view.reason == reason else {
                return WorkhiveError(.conflict, "this slot was already voted \(view.verdict.rawValue)")
            }
            return AlreadyDone(value: view)
        }
        if slot.text(2) == TaskState.cancelled.rawValue {
            return WorkhiveError(.verificationClosed, "the submission was decided before this slot was voted")
        }
        return try await claimProblem(claim, worker: verifier, tx, now: now)
    }
}

/// An idempotent retry found the first result; `transact` callers unwrap it into a normal answer.
struct AlreadyDone<T: Sendable>: Error {
    let value: T
}
