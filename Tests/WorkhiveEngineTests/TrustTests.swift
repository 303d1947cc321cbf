import Foundation
import Testing
import WorkhiveTestSupport
import WorkhiveCore
@testable import WorkhiveEngine

/// Reputation as verdicts land, adaptive verification with its escrow refund, and quarantine, on both
/// engines with the ledger audited after every operation.
@Suite struct TrustEngineTests {
    func close(_ a: Double?, _ b: Double, _ tolerance: Double = 1e-9) -> Bool { a.map { abs($0 - b) <= tolerance } ?? false }

    func rep(_ h: EngineHarness, _ p: Principal, _ role: ReputationRole = .verifier, _ type: String = "social.like") async throws -> ReputationView? {
        try await h.market.reputation(p, worker: p.workerID!).reputations.first { $0.role == role && $0.taskType == type }
    }

    @Test(arguments: TestEngine.available) func reputationFollowsVerdictsAndLateVotes(engine: TestEngine) async throws {
        let h = try await EngineHarness.make(engine)
        let requester = try await h.requester(funds: 10_000_000)
        let worker = try await h.worker("w")
        let v = [try await h.worker("v1"), try await h.worker("v2"), try await h.worker("v3")]
        let (task, _, submission) = try await h.submitted(requester, worker, try h.spec())
        let slots = [try #require(try await h.claim(v[0], TaskType.verify)), try #require(try await h.claim(v[1], TaskType.verify)),
                     try #require(try await h.claim(v[2], TaskType.verify))]
        #expect(try await h.market.reputation(v[0], worker: v[0].workerID!).reputations.isEmpty)
        #expect(try await h.market.reputation(v[0], worker: v[0].workerID!).priorAccuracy == 0.75)
        try await h.vote(v[0], slots[0], .approve)
        #expect(try await rep(h, v[0]) == nil)  // nothing is learnt before the verdict
        try await h.vote(v[1], slots[1], .approve)
        #expect(try await h.state(task.id) == .approved)
        // Each approver faced the other's approval at the prior 0.75 (q = 0.75): Beta(3, 1) becomes
        // Beta(273/79, 77/79), accuracy 0.78 (worked by hand in WorkhiveCoreTests).
        let r1 = try #require(try await rep(h, v[0]))
        #expect(close(r1.alpha, 273.0 / 79) && close(r1.beta, 77.0 / 79) && r1.observations == 1 && close(r1.accuracy, 0.78))
        #expect(close(try await rep(h, v[1])?.accuracy, 0.78))
        // The submitter's work deserved approval with P = 0.9 (odds 3·3): w = 0.675 / 0.7, mean (3 + w) / 5 = 111/140.
        let work = try #require(try await rep(h, worker, .worker))
        #expect(close(work.accuracy, 111.0 / 140) && work.observations == 1)
        #expect(try await h.text("SELECT CAST(confidence AS TEXT) FROM submissions WHERE id = ?", submission.id).flatMap(Double.init).map { abs($0 - 0.9) < 1e-9 } == true)
        // A late rejection faces two approvals now weighted 0.78 each: odds (0.78/0.22)², so it was right
        // with q = 1 / (1 + 12.57) = 0.0737; its Beta(3, 1) moves to mean 0.6385. It is not paid.
        let late = try await h.vote(v[2], slots[2], .reject, "not liked")
        #expect(!late.paid)
        let r3 = try #require(try await rep(h, v[2]))
        #expect(close(r3.accuracy, 0.638535, 1e-6) && r3.observations == 1 && !r3.quarantined)
        #expect(try await h.balance(v[2]) == 0)
        #expect(try await h.balance(v[0]) == 50_000)

        // Only the worker's own side sees it.
        let stranger = try await h.worker("stranger")
        await #expect(throws: WorkhiveError.notFound("worker \(v[0].workerID!)")) { try await h.market.reputation(stranger, worker: v[0].workerID!) }
        await #expect(throws: WorkhiveError.self) { try await h.market.reputation(requester, worker: v[0].workerID!) }
        #expect(try await h.market.reputation(try await h.admin(), worker: v[0].workerID!).reputations.count == 1)
    }

    @Test(arguments: TestEngine.available) func adaptiveOpensSlotsAsNeededAndRefundsWhatItDidNotSpend(engine: TestEngine) async throws {
        let h = try await EngineHarness.make(engine)
        let requester = try await h.requester(funds: 10_000_000)
        let worker = try await h.worker("w")
        let v = (1...5).map { "v\($0)" }
        var verifiers: [Principal] = []
        for name in v { verifiers.append(try await h.worker(name)) }
        let policy = VerificationPolicy.adaptive(targetConfidence: 0.95, minVotes: 1, maxVotes: 5, verifierRewardMicroUSDT: 50_000)
        var spec = try h.spec()
        spec.verification = policy
        // Escrow holds the maximum: reward + 5% fee + 3 attempts × 5 votes × 50,000, and an appeal panel of 3.
        #expect(FeePolicy().escrowHold(for: spec) == 1_950_000)
        let (task, _, submission) = try await h.submitted(requester, worker, spec)
        #expect(try await h.available(requester) == 10_000_000 - 1_950_000)
        #expect(task.verification.mode == .adaptive && task.verification.maxVotes == 5 && task.verification.targetConfidence == 0.95)
        let slotsOf = { try await h.scalar("SELECT COUNT(*) FROM tasks WHERE submission_id = ?", submission.id) }
        #expect(try await slotsOf() == 1)  // min_votes
        // At the prior 0.75 one approval is 0.75 sure, two 0.9, three 0.964 ≥ 0.95.
        for (i, verifier) in verifiers.prefix(3).enumerated() {
            let slot = try #require(try await h.claim(verifier, TaskType.verify))
            #expect(slot.task.submissionId == submission.id)
            #expect(try await h.claim(verifiers[3], TaskType.verify) == nil)  // one slot at a time
            try await h.vote(verifier, slot, .approve)
            #expect(try await slotsOf() == (i < 2 ? Int64(i + 2) : 3))
            #expect(try await h.state(task.id) == (i < 2 ? .verifying : .approved))
        }
        // Paid: the worker, the fee and three verifiers; the other two slots' rewards (and the two
        // spare attempts') went back to the requester.
        #expect(try await h.balance(worker) == 1_000_000)
        for verifier in verifiers.prefix(3) { #expect(try await h.balance(verifier) == 50_000) }
        #expect(try await h.escrowHeld(task.id) == 0)
        #expect(try await h.escrowOpen(task.id) == false)
        #expect(try await h.available(requester) == 10_000_000 - 1_000_000 - 50_000 - 3 * 50_000)
        #expect(try await h.claim(verifiers[3], TaskType.verify) == nil)
    }

    @Test(arguments: TestEngine.available) func adaptiveStopsAtTheMaximumWithTheLeader(engine: TestEngine) async throws {
        let h = try await EngineHarness.make(engine)
        let requester = try await h.requester(funds: 10_000_000)
        let worker = try await h.worker("w")
        var spec = try h.spec()
        spec.verification = .adaptive(targetConfidence: 0.95, minVotes: 2, maxVotes: 5, verifierRewardMicroUSDT: 50_000)
        let (task, _, submission) = try await h.submitted(requester, worker, spec)
        #expect(try await h.scalar("SELECT COUNT(*) FROM tasks WHERE submission_id = ? AND state = 'open'", submission.id) == 2)
        let verdicts: [Verdict] = [.approve, .reject, .approve, .reject, .approve]
        for (i, verdict) in verdicts.enumerated() {
            let verifier = try await h.worker("v\(i)")
            let slot = try #require(try await h.claim(verifier, TaskType.verify))
            try await h.vote(verifier, slot, verdict, verdict == .reject ? "no" : "")
            #expect(try await h.state(task.id) == (i < 4 ? .verifying : .approved))
        }
        #expect(try await h.scalar("SELECT COUNT(*) FROM tasks WHERE submission_id = ?", submission.id) == 5)
        // 3 against 2 at equal weight: P(approve) = 0.75; the three approvers are paid.
        #expect(try await h.scalar("SELECT COUNT(*) FROM tasks WHERE submission_id = ? AND vote_paid = 1", submission.id) == 3)
        #expect(try await h.available(requester) == 10_000_000 - 1_000_000 - 50_000 - 3 * 50_000)
    }

    @Test(arguments: TestEngine.available) func aVerifierThatKeepsLosingIsQuarantinedWithItsReason(engine: TestEngine) async throws {
        let h = try await EngineHarness.make(engine)
        let requester = try await h.requester(funds: 100_000_000)
        let worker = try await h.worker("w")
        let honest = [try await h.worker("h1"), try await h.worker("h2")]
        let spammer = try await h.worker("spam")
        var quarantinedAt: Int?
        for round in 1...14 {
            let (task, _, _) = try await h.submitted(requester, worker, try h.spec())
            guard let spamSlot = try await h.claim(spammer, TaskType.verify) else {
                quarantinedAt = round
                // A slot is open, but not for it.
                #expect(try await h.scalar("SELECT COUNT(*) FROM tasks WHERE parent_task_id = ? AND state = 'open'", task.id) == 3)
                break
            }
            try await h.vote(spammer, spamSlot, .reject, "no")
            for v in honest { try await h.vote(v, try #require(try await h.claim(v, TaskType.verify)), .approve) }
            #expect(try await h.state(task.id) == .approved)
        }
        // The default policy quarantines on 10 verdicts at the earliest; these verdicts condemn it then.
        #expect(quarantinedAt == 11)
        let r = try #require(try await rep(h, spammer))
        #expect(r.quarantined && r.observations == 10 && r.accuracy < 0.3)
        #expect(r.quarantineReason?.hasPrefix("estimated accuracy verifying social.like is ") == true)
        for v in honest { #expect(try await rep(h, v)?.quarantined == false) }
        // The quarantine is per task type: a slot reviewing other work is still its to take.
        let (other, _, _) = try await h.submitted(requester, worker, try h.spec(type: "social.follow"))
        let slot = try #require(try await h.claim(spammer, TaskType.verify))
        #expect(slot.task.parentTaskId == other.id)
    }

    @Test(arguments: TestEngine.available) func spotChecksAdaptToTheSubmittersRecord(engine: TestEngine) async throws {
        let h = try await EngineHarness.make(engine)
        let requester = try await h.requester(funds: 50_000_000)
        let proven = try await h.worker("proven"), doubtful = try await h.worker("doubtful")
        // Records as verdicts would have left them: Beta(1000, 1) and Beta(1, 3) on social.like.
        for (worker, alpha, beta) in [(proven, 1000.0, 1.0), (doubtful, 1.0, 3.0)] {
            _ = try await h.market.database.write { tx in
                try await tx.execute("""
                    INSERT INTO reputations (worker_id, role, task_type, alpha, beta, observations, updated_at)
                    VALUES (?, 'worker', 'social.like', ?, ?, 50, 0)
                    """, worker.workerID!, alpha, beta)
            }
        }
        var spec = try h.spec()
        spec.verification.spotCheckRate = 0
        spec.verification.spotCheckMaxRate = 1
        for _ in 0..<3 {
            let (p, _, _) = try await h.submitted(requester, proven, spec)
            #expect(try await h.scalar("SELECT COUNT(*) FROM tasks WHERE parent_task_id = ? AND human_only = 1", p.id) == 0)
            let (d, _, _) = try await h.submitted(requester, doubtful, spec)
            #expect(try await h.scalar("SELECT COUNT(*) FROM tasks WHERE parent_task_id = ? AND human_only = 1", d.id) == 1)
        }
        #expect(try await h.market.task(requester, (try await h.post(requester, spec)).id).verification.spotCheckMaxRate == 1)
    }

    @Test(arguments: TestEngine.available) func goldTasksAreMixedInJudgedByTheKnownAnswerAndNeverShown(engine: TestEngine) async throws {
        let (h, requester, worker) = try await goldRig(engine, rate: 1)  // every claim looks for gold first
        let v = [try await h.worker("v1"), try await h.worker("v2"), try await h.worker("v3")]
        let ordinary = try await h.post(requester, try h.spec())
        let gold = try await h.post(requester, try goldSpec(h))
        let claim = try #require(try await h.claim(worker))
        #expect(claim.task.id == gold.id)  // younger, but gold comes first at rate 1
        let submission = try await h.submit(worker, claim, result: liked)
        // Two verifiers wrongly reject; the known answer approves all the same.
        let slots = [try #require(try await h.claim(v[0], TaskType.verify)), try #require(try await h.claim(v[1], TaskType.verify)),
                     try #require(try await h.claim(v[2], TaskType.verify))]
        for (i, slot) in slots.enumerated() {
            let text = String(decoding: try JSONEncoder().encode(slot), as: UTF8.self).lowercased()
            #expect(!text.contains("gold"), "slot \(i) shows gold")
        }
        try await h.vote(v[0], slots[0], .reject, "not liked")
        try await h.vote(v[1], slots[1], .reject, "not liked")
        #expect(try await h.state(gold.id) == .approved)
        let late = try await h.vote(v[2], slots[2], .approve)
        #expect(late.paid)
        #expect(try await h.balance(worker) == 1_000_000)
        #expect(try await h.balance(v[2]) == 50_000)
        #expect(try await h.balance(v[0]) == 0)
        // Certain evidence: the rejecters Beta(3, 2), the approver and the submitter Beta(4, 1).
        let a0 = try await rep(h, v[0])?.accuracy, a1 = try await rep(h, v[1])?.accuracy
        #expect(close(a0, 0.6) && close(a1, 0.6))
        let a2 = try await rep(h, v[2])?.accuracy, aw = try await rep(h, worker, .worker)?.accuracy
        #expect(close(a2, 0.8) && close(aw, 0.8))
        #expect(try await h.text("SELECT gold_verdict FROM submissions WHERE id = ?", submission.id) == "approved")
        // Nothing a worker reads tells the gold task apart.
        for text in [String(decoding: try JSONEncoder().encode(claim), as: UTF8.self),
                     String(decoding: try JSONEncoder().encode(try await h.market.task(worker, gold.id)), as: UTF8.self),
                     String(decoding: try JSONEncoder().encode(try await h.market.votes(worker, submission: submission.id)), as: UTF8.self),
                     String(decoding: try JSONEncoder().encode(try await h.market.reputation(worker, worker: worker.workerID!)), as: UTF8.self)] {
            #expect(!text.lowercased().contains("gold"))
        }
        // A wrong result on a gold task is rejected even if every verifier approves it.
        let g2 = try await h.post(requester, try goldSpec(h, try h.spec(type: "social.follow", attempts: 1)))
        let c2 = try #require(try await h.claim(worker, "social.follow"))
        #expect(c2.task.id == g2.id)
        _ = try await h.submit(worker, c2, result: .object(["liked": .bool(false)]))
        for verifier in v.prefix(2) { try await h.vote(verifier, try #require(try await h.claim(verifier, TaskType.verify)), .approve) }
        #expect(try await h.state(g2.id) == .rejected)
        #expect(try await h.balance(worker) == 1_000_000)
        // The ordinary task is still there for the next claim.
        #expect(try await h.claim(worker)?.task.id == ordinary.id)
    }

    /// A claimer that drew gold and found none draws none for a second (on PostgreSQL its claims
    /// then go in batches). A gold task posted through this server is drawn at once all the same;
    /// one that turns up otherwise (posted through another server, or reopened) after that second.
    @Test(arguments: TestEngine.available) func aClaimerThatFoundNoGoldDrawsAgainAfterASecondOrAGoldPost(engine: TestEngine) async throws {
        let (h, requester, worker) = try await goldRig(engine, rate: 1)
        let first = try await h.post(requester, try h.spec())
        #expect(try await h.claim(worker)?.task.id == first.id)  // drew gold and found none
        let ordinary = try await h.post(requester, try h.spec())
        let hidden = try await h.post(requester, try h.spec())
        // Gold that this server did not post, as if through another server.
        _ = try await h.market.database.write { tx in
            try await tx.execute("UPDATE tasks SET gold_result = ? WHERE id = ?", StoredJSON.encode(liked), hidden.id)
        }
        #expect(try await h.claim(worker)?.task.id == ordinary.id)  // within the second: no draw
        h.clock.advance(seconds: 1.5)
        let later = try await h.post(requester, try h.spec())
        #expect(try await h.claim(worker)?.task.id == hidden.id)  // drawn again: gold first
        #expect(try await h.claim(worker)?.task.id == later.id)  // and none left
        let fourth = try await h.post(requester, try h.spec())
        let gold = try await h.post(requester, try goldSpec(h))
        #expect(try await h.claim(worker)?.task.id == gold.id)  // a gold post here is drawn at once
        #expect(try await h.claim(worker)?.task.id == fourth.id)
        // A pick that ran before a gold post committed records nothing once that post is in.
        let (_, owner, _) = try worker.requireWorker(for: "claim")
        let key = PendingClaim.Key(taskType: "social.like", capabilities: "", human: false, owner: owner)
        let seen = h.market.goldAbsence.withLock { $0.goldPosts }
        _ = try await h.post(requester, try goldSpec(h))
        h.market.noteGoldAbsent(key, now: h.clock.nowMillis(), goldPostsSeen: seen)
        #expect(!h.market.goldKnownAbsent(key, now: h.clock.nowMillis()))
        h.market.noteGoldAbsent(key, now: h.clock.nowMillis(), goldPostsSeen: seen + 1)
        #expect(h.market.goldKnownAbsent(key, now: h.clock.nowMillis()))
    }

    @Test(arguments: TestEngine.available) func withoutTheGoldRateAClaimTakesOrdinaryWork(engine: TestEngine) async throws {
        let (h, requester, worker) = try await goldRig(engine, rate: 0)
        _ = try await h.post(requester, try goldSpec(h))
        let ordinary = try await h.post(requester, try h.spec())
        #expect(try await h.claim(worker)?.task.id == ordinary.id)
        #expect(try await h.claim(try await h.worker("w2")) == nil)  // gold waits for its draw
    }

    /// A harness whose claims draw gold at `rate`, with a funded requester and a worker.
    func goldRig(_ engine: TestEngine, rate: Double) async throws -> (EngineHarness, Principal, Principal) {
        var trust = TrustPolicy()
        trust.goldRate = rate
        let h = try await EngineHarness.make(engine, trust: trust)
        return (h, try await h.requester(funds: 20_000_000), try await h.worker("w"))
    }

    /// `spec` (by default the harness's) as a gold task whose known answer is `liked`.
    func goldSpec(_ h: EngineHarness, _ spec: TaskSpec? = nil) throws -> TaskSpec {
        var gold = try spec ?? h.spec()
        gold.goldResultJSON = StoredJSON.encode(liked)
        return gold
    }

    func agent(_ h: EngineHarness, _ name: String, family: String?, owner: Principal? = nil) async throws -> Principal {
        let o: Principal
        if let owner { o = owner } else { o = try await h.owner("\(name)-owner") }
        return try await h.market.authenticate(apiKey: try await h.checked {
            try await h.market.createWorker(o, name: name, kind: .agent, capabilities: [], modelFamily: family)
        }.apiKey)
    }

    @Test(arguments: TestEngine.available) func panelsAvoidStackingOneOwnerOrOneModelFamily(engine: TestEngine) async throws {
        let h = try await EngineHarness.make(engine)
        let requester = try await h.requester(funds: 10_000_000)
        let worker = try await h.worker("w")
        let coop = try await h.owner("co-op")
        let x1 = try await agent(h, "x1", family: nil, owner: coop), x2 = try await agent(h, "x2", family: nil, owner: coop)
        let g1 = try await agent(h, "g1", family: "GPT-5"), g2 = try await agent(h, "g2", family: "gpt-5")
        let c1 = try await agent(h, "c1", family: "claude")
        #expect(try await h.market.worker(g2, id: g2.workerID!).modelFamily == "gpt-5")
        let (task, _, _) = try await h.submitted(requester, worker, try h.spec())
        _ = try #require(try await h.claim(x1, TaskType.verify))
        #expect(try await h.claim(x2, TaskType.verify) == nil)  // its owner already sits on the panel
        _ = try #require(try await h.claim(g1, TaskType.verify))
        #expect(try await h.claim(g2, TaskType.verify) == nil)  // so does its model family
        let third = try #require(try await h.claim(c1, TaskType.verify))
        #expect(third.task.parentTaskId == task.id)
        // When nobody else comes for a while, the slot goes to whoever can take it.
        let (next, _, _) = try await h.submitted(requester, worker, try h.spec(type: "social.follow"))
        _ = try #require(try await h.claim(g1, TaskType.verify))
        _ = try #require(try await h.claim(x1, TaskType.verify))
        #expect(try await h.claim(g2, TaskType.verify) == nil)
        #expect(try await h.claim(x2, TaskType.verify) == nil)
        h.clock.advance(seconds: 31)
        let late = try #require(try await h.claim(g2, TaskType.verify))
        #expect(late.task.parentTaskId == next.id)
        // Bad input: a family on a human, or one with spaces.
        try await h.expectError(.invalidRequest) { try await h.market.createWorker(coop, name: "hu", kind: .human, capabilities: [], modelFamily: "gpt") }
        try await h.expectError(.invalidRequest) { try await h.market.createWorker(coop, name: "sp", kind: .agent, capabilities: [], modelFamily: "gpt 5") }
    }

    /// A seat is freed when its claim is given back or runs out, so its owner and family may sit on
    /// the panel again; the worker itself never gets a second slot of that submission.
    @Test(arguments: TestEngine.available) func aSeatGivenBackOrExpiredIsFreedButNotForItsWorker(engine: TestEngine) async throws {
        var trust = TrustPolicy()
        trust.panelDiversitySeconds = 3_600  // the panel rule holds for the whole test
        let h = try await EngineHarness.make(engine, trust: trust)
        let requester = try await h.requester(funds: 10_000_000)
        let worker = try await h.worker("w")
        let coop = try await h.owner("co-op")
        let x1 = try await agent(h, "x1", family: "gpt-5", owner: coop), x2 = try await agent(h, "x2", family: nil, owner: coop)
        let g2 = try await agent(h, "g2", family: "gpt-5")
        _ = try await h.submitted(requester, worker, try h.spec(verifiers: 3, quorum: 3))
        let first = try #require(try await h.claim(x1, TaskType.verify))
        #expect(try await h.claim(x2, TaskType.verify) == nil)
        #expect(try await h.claim(g2, TaskType.verify) == nil)
        _ = try await h.checked { try await h.market.release(x1, claim: first.claimId) }
        #expect(try await h.claim(x1, TaskType.verify) == nil, "a worker never gets two slots of one submission")
        let second = try #require(try await h.claim(x2, TaskType.verify), "the owner's seat was given back")
        let third = try #require(try await h.claim(g2, TaskType.verify), "and so was the family's")
        // x2's claim runs out (the slots' lease is the task's, 60 s): co-op's seat is free again,
        // while g2 keeps the family's.
        _ = try await h.checked { try await h.market.heartbeat(g2, claim: third.claimId) }
        h.clock.advance(seconds: 45)
        _ = try await h.checked { try await h.market.heartbeat(g2, claim: third.claimId) }
        h.clock.advance(seconds: 30)
        #expect(try await h.rescue().reopened == 1)
        try await h.expectError(.claimExpired) { try await h.market.vote(x2, claim: second.claimId, verdict: .approve, reason: "") }
        let x3 = try await agent(h, "x3", family: nil, owner: coop), g4 = try await agent(h, "g4", family: "gpt-5")
        #expect(try await h.claim(g4, TaskType.verify) == nil)
        _ = try #require(try await h.claim(x3, TaskType.verify))
    }

    /// On PostgreSQL a claim may not wait for, nor be kept from, a sibling slot another transaction
    /// holds: a seat lives on its own slot there, and the worker still never gets a sibling.
    @Test(.enabled(if: TestEngine.available.contains(.postgres)))
    func aSiblingHeldWhileTheSeatIsTakenIsStillNotTheWorkersToClaim() async throws {
        let h = try await EngineHarness.make(.postgres)
        let requester = try await h.requester(funds: 10_000_000)
        let worker = try await h.worker("w")
        let verifier = try await agent(h, "v", family: "gpt-5")
        _ = try await h.submitted(requester, worker, try h.spec(verifiers: 3, quorum: 2))
        let slots: [Int64] = try await h.market.database.read { tx in
            try await tx.query("SELECT id FROM tasks WHERE task_type = 'verify' ORDER BY id", []).map { $0.int(0) }
        }
        #expect(slots.count == 3)
        // Another transaction holds the second and third slots (as a claimer writing its own seat would).
        let (held, holding) = AsyncStream<Void>.makeStream()
        let (letGo, release) = AsyncStream<Void>.makeStream()
        let holder = Task {
            try await h.market.database.write { tx in
                _ = try await tx.query("SELECT id FROM tasks WHERE id IN (?, ?) FOR UPDATE", slots[1], slots[2])
                holding.yield()
                for await _ in letGo { break }
            }
        }
        for await _ in held { break }
        let first: ClaimView?
        do {
            defer { release.yield() }  // the holder lets go whatever the claim does
            first = try await h.claim(verifier, TaskType.verify)
        }
        try await holder.value
        #expect(try #require(first).task.id.rawValue == slots[0])
        #expect(try await h.claim(verifier, TaskType.verify) == nil, "a worker never gets two slots of one submission")
        let other = try await agent(h, "o", family: "claude")
        #expect(try await h.claim(other, TaskType.verify) != nil, "the free slots are still there for others")
    }

    /// Migration 7 fills in the panels of slots that existed before it; what it computes from the
    /// slots must be what the engine keeps up as they are claimed, given back and voted on. (On
    /// SQLite: on PostgreSQL a slot's panel is its own seat only. The whole panel the migration
    /// writes on every slot there is stricter at most: a seat given back stays on the other slots
    /// until the panel rule's 30 s have passed.)
    @Test func theMigrationsPanelsAreTheOnesTheEngineKeeps() async throws {
        let h = try await EngineHarness.make(.sqlite)
        let requester = try await h.requester(funds: 10_000_000)
        let worker = try await h.worker("w")
        let a = try await agent(h, "a", family: "gpt-5"), b = try await agent(h, "b", family: nil), c = try await agent(h, "c", family: "claude")
        _ = try await h.submitted(requester, worker, try h.spec(verifiers: 3, quorum: 3))
        let held = try #require(try await h.claim(a, TaskType.verify))
        try await h.vote(b, try #require(try await h.claim(b, TaskType.verify)), .approve, "liked")
        _ = try #require(try await h.claim(c, TaskType.verify))
        _ = try await h.checked { try await h.market.release(a, claim: held.claimId) }
        func panels() async throws -> [[String]] {
            try await h.market.database.read { tx in
                try await tx.query("SELECT panel FROM tasks WHERE task_type = 'verify' AND state IN ('open','claimed') ORDER BY id", [])
                    .map { $0.text(0).split(separator: ",").map(String.init).sorted() }
            }
        }
        let kept = try await panels()
        #expect(kept.count == 2 && kept.allSatisfy { $0 == kept[0] })
        // Every worker that held a slot, and the owners and families of the seats taken now (a gave its back).
        let (wa, _, _) = try a.requireWorker(for: "test"), (wb, ob, _) = try b.requireWorker(for: "test"), (wc, oc, _) = try c.requireWorker(for: "test")
        #expect(kept[0] == ["w\(wa.rawValue)", "w\(wb.rawValue)", "w\(wc.rawValue)", "o\(ob.rawValue)", "o\(oc.rawValue)", "fclaude"].sorted())
        _ = try await h.market.database.write { try await $0.execute("UPDATE tasks SET panel = ','", []) }
        _ = try await h.market.database.write { try await $0.execute(Schema.panelBackfill(h.market.database.dialect), []) }
        let filled = try await panels()
        #expect(filled == kept)
    }
}
