import Foundation
import Testing
import WorkhiveTestSupport
import WorkhiveCore
@testable import WorkhiveEngine

/// Appeals on both engines, with the ledger audited after every operation: a fresh panel (none of the
/// first voters, none of the requester's workers, one human) decides, and the money follows it.
@Suite struct AppealTests {
    /// 1 USDT reward, 0.05 fee, 3 verifiers at 0.05 per attempt, one appeal panel of 3 at 0.05.
    func spec(_ h: EngineHarness, attempts: Int = 1) throws -> TaskSpec { try h.spec(attempts: attempts) }

    /// The people of most scenarios: a requester with 10 USDT, a worker, and a first panel of two.
    struct Cast {
        let requester: Principal, worker: Principal, first: [Principal]
        var tuple: (Principal, Principal, [Principal]) { (requester, worker, first) }
    }

    func cast(_ h: EngineHarness) async throws -> Cast {
        Cast(requester: try await h.requester(funds: 10_000_000), worker: try await h.worker("w"),
             first: [try await h.worker("v1"), try await h.worker("v2")])
    }

    /// The first panel takes its slots and rejects the submission under review.
    func firstPanelRejects(_ h: EngineHarness, _ first: [Principal]) async throws {
        for v in first { try await h.vote(v, try #require(try await h.claim(v, TaskType.verify)), .reject, "no like") }
    }

    func verifierAccuracy(_ h: EngineHarness, _ p: Principal) async throws -> Double? {
        try await h.market.reputation(p, worker: p.workerID!).reputations.first { $0.role == .verifier }?.accuracy
    }

    func appealSlots(_ h: EngineHarness, _ appeal: AppealView) async throws -> (all: Int64, humanOnly: Int64, open: Int64) {
        (try await h.scalar("SELECT COUNT(*) FROM tasks WHERE appeal_id = ?", appeal.id),
         try await h.scalar("SELECT COUNT(*) FROM tasks WHERE appeal_id = ? AND human_only = 1", appeal.id),
         try await h.scalar("SELECT COUNT(*) FROM tasks WHERE appeal_id = ? AND state = 'open'", appeal.id))
    }

    @Test(arguments: TestEngine.available) func overturnedAppealPaysTheWorkAsAnApprovalWould(engine: TestEngine) async throws {
        let h = try await EngineHarness.make(engine)
        let requester = try await h.requester(funds: 10_000_000)
        let requesterAgent = try await h.worker("requester-agent", owner: requester)
        let worker = try await h.worker("w")
        let first = [try await h.worker("v1"), try await h.worker("v2"), try await h.worker("v3")]
        let (agentA, agentB, agentC) = (try await h.worker("a1"), try await h.worker("a2"), try await h.worker("a3"))
        let human = try await h.worker("h1", kind: .human)
        let spec = try spec(h)
        let hold = FeePolicy().escrowHold(for: spec)
        #expect(hold == 1_000_000 + 50_000 + (3 + 3) * 50_000, "one appeal panel is held from the start")

        let (task, _, submission) = try await h.submitted(requester, worker, spec)
        var slots: [ClaimView] = []
        for v in first { slots.append(try #require(try await h.claim(v, TaskType.verify))) }
        try await h.vote(first[0], slots[0], .reject, "no like")
        try await h.vote(first[1], slots[1], .approve)
        try await h.vote(first[2], slots[2], .reject, "no like")
        #expect(try await h.state(task.id) == .rejected)
        #expect(try await h.balance(first[0]) == 50_000)
        #expect(try await h.balance(first[1]) == 0)
        // The rejection keeps the escrow for the appeal window: the reward is still there.
        #expect(try await h.escrowOpen(task.id))
        #expect(try await h.escrowHeld(task.id) == hold - 100_000)
        #expect(try await h.available(requester) == 10_000_000 - hold)
        let rejectorBefore = try #require(try await verifierAccuracy(h, first[0]))
        let minorityBefore = try #require(try await verifierAccuracy(h, first[1]))

        // Only the submitter may appeal, with a reason; a refusal writes nothing.
        let footprint = try await h.footprint()
        try await h.expectError(.forbidden) { try await h.market.appeal(first[0], submission: submission.id, reason: "mine") }
        try await h.expectError(.forbidden) { try await h.market.appeal(requester, submission: submission.id, reason: "mine") }
        try await h.expectError(.invalidRequest) { try await h.market.appeal(worker, submission: submission.id, reason: "  ") }
        try await h.expectError(.notFound) { try await h.market.appeal(worker, submission: SubmissionID(9_999), reason: "x") }
        #expect(try await h.footprint() == footprint)

        let appeal = try await h.checked { try await h.market.appeal(worker, submission: submission.id, reason: "the post is liked: see proof") }
        #expect(appeal.state == .pending && appeal.verifiers == 3 && appeal.quorum == 2 && appeal.taskId == task.id)
        #expect(try await h.state(task.id) == .verifying, "nobody can claim the task while its appeal runs")
        #expect(try await appealSlots(h, appeal) == (3, 1, 3))
        try await h.expectError(.appealExists) { try await h.market.appeal(worker, submission: submission.id, reason: "again") }

        // The fresh panel: no first-panel voter, no worker of the requester, the human slot for a human.
        for v in first { #expect(try await h.claim(v, TaskType.verify) == nil) }
        #expect(try await h.claim(requesterAgent, TaskType.verify) == nil)
        let slotA = try #require(try await h.claim(agentA, TaskType.verify))
        let slotB = try #require(try await h.claim(agentB, TaskType.verify))
        #expect(try await h.claim(agentC, TaskType.verify) == nil, "the last slot is for humans only")
        let slotH = try #require(try await h.claim(human, TaskType.verify))
        #expect(slotH.task.humanOnly && slotH.review?.submission.id == submission.id)
        #expect(!slotA.task.humanOnly && !slotB.task.humanOnly)

        try await h.vote(agentA, slotA, .approve)
        #expect(try await h.market.appeal(worker, submission: submission.id).approvals == 1)
        try await h.vote(human, slotH, .approve)
        // Two approvals are a majority, but the whole panel votes before it is decided.
        #expect(try await h.market.appeal(worker, submission: submission.id).state == .pending)
        #expect(try await h.state(task.id) == .verifying)
        let deciding = try await h.vote(agentB, slotB, .reject, "disagree")
        #expect(!deciding.paid)
        #expect(try await h.state(task.id) == .approved)
        #expect(try await h.market.appeal(worker, submission: submission.id).state == .overturned)
        #expect(try await h.text("SELECT state FROM submissions WHERE id = ?", submission.id) == "approved")
        // Paid as an approval pays: reward and fee, the appeal panel's approvers, and the first
        // panel's approver, whose vote the final verdict proved right. Paid rejectors keep theirs.
        #expect(try await h.balance(worker) == 1_000_000)
        #expect(try await h.platformFees() == 50_000)
        #expect(try await h.balance(agentA) == 50_000)
        #expect(try await h.balance(human) == 50_000)
        #expect(try await h.balance(first[1]) == 50_000)
        #expect(try await h.balance(first[0]) == 50_000)
        #expect(try await h.balance(first[2]) == 50_000)
        #expect(try await h.balance(agentB) == 0)
        #expect(!(try await h.escrowOpen(task.id)))
        #expect(try await h.escrowHeld(task.id) == 0)
        #expect(try await h.available(requester) == 10_000_000 - 1_000_000 - 50_000 - 5 * 50_000)
        #expect(try await h.market.ledgerTotals().balanced)

        // The overturned rejector loses standing; the first panel's approver gains it.
        #expect(try #require(try await verifierAccuracy(h, first[0])) < rejectorBefore)
        #expect(try #require(try await verifierAccuracy(h, first[1])) > minorityBefore)
        try await h.expectError(.appealExists) { try await h.market.appeal(worker, submission: submission.id, reason: "again") }

        let stats = try await h.market.requesterStats(worker, requester: requester.ownerID)
        #expect(stats.tasksPosted == 1 && stats.submissionsApproved == 1 && stats.submissionsRejected == 0)
        #expect(stats.appealsFiled == 1 && stats.appealsWon == 1 && stats.appealsUpheld == 0 && stats.rejectionRate == 0)
    }

    @Test(arguments: TestEngine.available) func upheldAppealPaysOnlyItsPanelAndReleasesTheEscrow(engine: TestEngine) async throws {
        let h = try await EngineHarness.make(engine)
        let (requester, worker, first) = try await cast(h).tuple
        let agent = try await h.worker("a1"), human = try await h.worker("h1", kind: .human), outvoted = try await h.worker("a2")
        let spec = try spec(h)
        let hold = FeePolicy().escrowHold(for: spec)
        let (task, _, submission) = try await h.submitted(requester, worker, spec)
        try await firstPanelRejects(h, first)
        #expect(try await h.state(task.id) == .rejected)
        #expect(try await h.escrowHeld(task.id) == hold - 100_000)

        let appeal = try await h.checked { try await h.market.appeal(worker, submission: submission.id, reason: "it is liked") }
        try await h.vote(human, try #require(try await h.claim(human, TaskType.verify)), .reject, "still not liked")
        try await h.vote(agent, try #require(try await h.claim(agent, TaskType.verify)), .reject, "not liked")
        try await h.vote(outvoted, try #require(try await h.claim(outvoted, TaskType.verify)), .approve)
        #expect(try await h.market.appeal(requester, submission: submission.id).state == .upheld)
        #expect(try await h.state(task.id) == .rejected)
        #expect(try await appealSlots(h, appeal).open == 0)
        #expect(try await h.balance(outvoted) == 0)
        // Nothing is paid twice: the work and the fee are not paid, the appeal panel is, from the
        // escrow's appeal panel, and the rest of the escrow goes back at once.
        #expect(try await h.balance(worker) == 0)
        #expect(try await h.platformFees() == 0)
        #expect(try await h.balance(human) == 50_000)
        #expect(try await h.balance(agent) == 50_000)
        #expect(try await h.balance(first[0]) == 50_000)
        #expect(!(try await h.escrowOpen(task.id)))
        #expect(try await h.available(requester) == 10_000_000 - 4 * 50_000)
        try await h.expectError(.appealExists) { try await h.market.appeal(worker, submission: submission.id, reason: "again") }

        // An approved submission cannot be appealed.
        let (_, _, approved) = try await h.submitted(requester, worker, try h.spec())
        for v in first { try await h.vote(v, try #require(try await h.claim(v, TaskType.verify)), .approve) }
        try await h.expectError(.notAppealable) { try await h.market.appeal(worker, submission: approved.id, reason: "more") }

        let stats = try await h.market.requesterStats(requester, requester: requester.ownerID)
        #expect(stats.tasksPosted == 2 && stats.submissionsApproved == 1 && stats.submissionsRejected == 1 && stats.rejectionRate == 0.5)
        #expect(stats.appealsFiled == 1 && stats.appealsUpheld == 1 && stats.appealsWon == 0 && stats.appealsPending == 0)
    }

    @Test(arguments: TestEngine.available) func theWindowKeepsTheEscrowThenTheRescuerReleasesIt(engine: TestEngine) async throws {
        let h = try await EngineHarness.make(engine)
        let (requester, worker, first) = try await cast(h).tuple
        let (task, _, submission) = try await h.submitted(requester, worker, try spec(h))
        try await firstPanelRejects(h, first)
        #expect(try await h.escrowOpen(task.id))
        let waiting = try await h.market.stats()
        #expect(waiting.openEscrows == 1 && waiting.escrowsAwaitingAppeal == 1 && waiting.escrowsSettling == 0)
        h.clock.advance(seconds: TrustPolicy().appealWindowSeconds - 1)
        #expect(try await h.rescue().appealWindowsClosed == 0)
        #expect(try await h.escrowOpen(task.id))
        h.clock.advance(seconds: 2)
        try await h.expectError(.notAppealable) { try await h.market.appeal(worker, submission: submission.id, reason: "late") }
        #expect(try await h.rescue().appealWindowsClosed == 1)
        #expect(!(try await h.escrowOpen(task.id)))
        #expect(try await h.market.stats().escrowsAwaitingAppeal == 0)
        #expect(try await h.escrowHeld(task.id) == 0)
        #expect(try await h.available(requester) == 10_000_000 - 2 * 50_000)
    }

    @Test(arguments: TestEngine.available) func appealingAReopenedTaskTakesItOffTheQueueUntilDecided(engine: TestEngine) async throws {
        let h = try await EngineHarness.make(engine)
        let (requester, worker, first) = try await cast(h).tuple
        let other = try await h.worker("w2")
        let panel = [try await h.worker("a1"), try await h.worker("a2"), try await h.worker("h1", kind: .human)]
        let (task, _, submission) = try await h.submitted(requester, worker, try spec(h, attempts: 3))
        try await firstPanelRejects(h, first)
        #expect(try await h.state(task.id) == .open)

        // Another worker holds the reopened task: the reward may be theirs, so no appeal now.
        let held = try #require(try await h.claim(other))
        try await h.expectError(.notAppealable) { try await h.market.appeal(worker, submission: submission.id, reason: "mine") }
        _ = try await h.checked { try await h.market.release(other, claim: held.claimId) }

        _ = try await h.checked { try await h.market.appeal(worker, submission: submission.id, reason: "it is liked") }
        #expect(try await h.claim(other) == nil, "the task is not claimable while its appeal runs")
        try await h.expectError(.taskNotOpen) { try await h.market.cancelTask(requester, task.id) }
        for v in panel { try await h.vote(v, try #require(try await h.claim(v, TaskType.verify)), .reject, "not liked") }
        #expect(try await h.state(task.id) == .open, "upheld: back in the queue with its attempts left")
        let next = try #require(try await h.claim(other))
        #expect(next.task.id == task.id && next.attempt == 2)
        #expect(try await h.balance(worker) == 0)
    }

    @Test(arguments: TestEngine.available) func cancellingAReopenedTaskDoesNotDodgeTheAppeal(engine: TestEngine) async throws {
        let h = try await EngineHarness.make(engine)
        let (requester, worker, first) = try await cast(h).tuple
        let panel = [try await h.worker("a1"), try await h.worker("h1", kind: .human)]
        let spec = try spec(h, attempts: 3)
        let (task, _, submission) = try await h.submitted(requester, worker, spec)
        try await firstPanelRejects(h, first)
        _ = try await h.checked { try await h.market.cancelTask(requester, task.id) }
        #expect(try await h.state(task.id) == .cancelled)
        #expect(try await h.escrowHeld(task.id) == FeePolicy().escrowHold(for: spec) - 100_000, "kept for the appeal window")

        // An appeal slot whose lease runs out while the appeal is undecided goes back to the queue.
        _ = try await h.checked { try await h.market.appeal(worker, submission: submission.id, reason: "it is liked") }
        let lapsed = try #require(try await h.claim(panel[0], TaskType.verify))
        h.clock.advance(seconds: 61)
        #expect(try await h.rescue().reopened == 1)
        #expect(try await h.claim(panel[0], TaskType.verify) == nil, "one slot per worker per submission, even after its lease ran out")
        try await h.expectError(.claimExpired) { try await h.market.vote(panel[0], claim: lapsed.claimId, verdict: .approve, reason: "") }
        let agents = [try await h.worker("a2"), try await h.worker("a3")]
        for v in agents + [panel[1]] { try await h.vote(v, try #require(try await h.claim(v, TaskType.verify)), .approve) }
        #expect(try await h.state(task.id) == .approved)
        #expect(try await h.balance(worker) == 1_000_000)
        #expect(try await h.text("SELECT failure_reason FROM tasks WHERE id = ?", task.id) == nil)
        #expect(!(try await h.escrowOpen(task.id)))
        #expect(try await h.available(requester) == 10_000_000 - 1_000_000 - 50_000 - 5 * 50_000)
    }

    @Test(arguments: TestEngine.available) func withAppealsOffARejectionReleasesTheEscrowAtOnce(engine: TestEngine) async throws {
        var trust = TrustPolicy()
        trust.appealWindowSeconds = 0
        let h = try await EngineHarness.make(engine, trust: trust)
        let (requester, worker, first) = try await cast(h).tuple
        let (task, _, submission) = try await h.submitted(requester, worker, try spec(h))
        try await firstPanelRejects(h, first)
        #expect(!(try await h.escrowOpen(task.id)))
        #expect(try await h.available(requester) == 10_000_000 - 100_000)
        try await h.expectError(.notAppealable) { try await h.market.appeal(worker, submission: submission.id, reason: "x") }
    }

    @Test(arguments: TestEngine.available) func aGoldTasksAppealEndsWithItsKnownVerdict(engine: TestEngine) async throws {
        var trust = TrustPolicy()
        trust.goldRate = 1
        let h = try await EngineHarness.make(engine, trust: trust)
        let (requester, worker, first) = try await cast(h).tuple
        let panel = [try await h.worker("a1"), try await h.worker("a2"), try await h.worker("h1", kind: .human)]
        var goldSpec = try spec(h)
        goldSpec.goldResultJSON = StoredJSON.encode(liked)
        let task = try await h.post(requester, goldSpec)
        let claim = try #require(try await h.claim(worker))
        #expect(claim.task.id == task.id)
        let submission = try await h.submit(worker, claim, result: .object(["liked": .bool(false)]))  // the wrong answer
        try await firstPanelRejects(h, first)
        #expect(try await h.state(task.id) == .rejected)
        // Nothing tells the worker it was gold: the appeal is taken like any other, and the known
        // answer decides it whatever the appeal panel says.
        _ = try await h.checked { try await h.market.appeal(worker, submission: submission.id, reason: "I liked it") }
        for v in panel { try await h.vote(v, try #require(try await h.claim(v, TaskType.verify)), .approve) }
        #expect(try await h.market.appeal(worker, submission: submission.id).state == .upheld)
        #expect(try await h.state(task.id) == .rejected)
        #expect(try await h.balance(worker) == 0)
        #expect(try await h.balance(panel[0]) == 0, "votes against the known answer are not paid")
        #expect(!(try await h.escrowOpen(task.id)))
        // Scored with certainty: each appeal voter from the prior Beta(3, 1) to Beta(3, 2).
        let a = try await h.market.reputation(panel[0], worker: panel[0].workerID!).reputations.first { $0.role == .verifier }
        #expect(a.map { abs($0.accuracy - 0.6) < 1e-9 } == true)
    }
}
