import Foundation
import Testing
import WorkhiveTestSupport
import WorkhiveCore
@testable import WorkhiveEngine

@Suite struct DirectoryAndEventTests {
    @Test(arguments: TestEngine.available) func workersHeartbeatAndAreListedByTheirOwner(engine: TestEngine) async throws {
        let h = try await EngineHarness.make(engine)
        #expect(try await !h.market.hasAdmin())
        let admin = try await h.admin()
        #expect(try await h.market.hasAdmin())
        let fleet = try await h.owner("fleet")
        let other = try await h.owner("other")
        let a = try await h.worker("a", kind: .human, capabilities: ["vision"], owner: fleet)
        let b = try await h.worker("b", owner: fleet)
        let c = try await h.worker("c", owner: other)

        h.clock.advance(seconds: 3)
        let seen = try await h.checked { try await h.market.workerHeartbeat(a, status: .busy) }
        #expect(seen.status == .busy && seen.lastHeartbeatAtMillis == h.clock.nowMillis())
        #expect(seen.kind == .human && seen.capabilities == ["vision"] && !seen.suspended)

        #expect(try await h.market.workers(fleet).map(\.id) == [a.workerID!, b.workerID!])
        #expect(try await h.market.workers(other).map(\.id) == [c.workerID!])
        #expect(try await h.market.workers(admin).count == 3)
        #expect(try await h.market.worker(fleet, id: a.workerID!).status == .busy)
        #expect(try await h.market.worker(admin, id: c.workerID!).name == "c")
        try await h.expectError(.notFound) { try await h.market.worker(other, id: a.workerID!) }
        try await h.expectError(.notFound) { try await h.market.worker(fleet, id: WorkerID(77_777)) }
    }

    @Test(arguments: TestEngine.available) func statsCountWhatHappened(engine: TestEngine) async throws {
        let h = try await EngineHarness.make(engine)
        let requester = try await h.requester(funds: 20_000_000)
        let worker = try await h.worker("w")
        let v = [try await h.worker("v1"), try await h.worker("v2")]
        let (task, _, _) = try await h.submitted(requester, worker, try h.spec(verifiers: 2, quorum: 1))
        let slot = try #require(try await h.claim(v[0], TaskType.verify))
        try await h.vote(v[0], slot, .approve)
        _ = try await h.post(requester, try h.spec(type: "other"))
        let cancelled = try await h.post(requester, try h.spec(type: "other"))
        try await h.checked { try await h.market.cancelTask(requester, cancelled.id) }
        let stats = try await h.market.stats()
        #expect(stats.tasksByState == ["approved": 1, "open": 1, "cancelled": 1])
        #expect(stats.verificationSlotsByState == ["done": 1, "cancelled": 1])
        #expect(stats.submissionsByState == ["approved": 1])
        #expect(stats.votesByVerdict == ["approve": 1])
        #expect(stats.openEscrows == 1)
        #expect(stats.unsettledTasks == 1)
        #expect(try await h.state(task.id) == .approved)
    }

    @Test(arguments: TestEngine.available) func eventsArePublishedAfterCommitAndOnlyThen(engine: TestEngine) async throws {
        let h = try await EngineHarness.make(engine)
        let requester = try await h.requester(funds: 2_000_000)
        let fleet = try await h.owner("fleet")
        let worker = try await h.worker("w", owner: fleet)
        let verifier = try await h.worker("v", capabilities: ["vision"])
        let stream = h.market.hub.subscribe { _ in true }
        var events = stream.makeAsyncIterator()

        // A refused post publishes nothing; the next event seen is the deposit.
        try await h.expectError(.insufficientFunds) { try await h.market.postTask(requester, try h.spec(reward: 5_000_000)) }
        try await h.checked { try await h.market.deposit(requester, amountMicroUSDT: 1) }
        guard case .ledgerCredited(_, let owner, nil, 1, .deposit, nil)? = await events.next() else {
            Issue.record("expected the deposit credit first")
            return
        }
        #expect(owner == requester.ownerID)

        let task = try await h.post(requester, try h.spec(caps: ["vision"], verifiers: 1, quorum: 1))
        let available = Event.TaskAvailable(task: task.id, taskType: "social.like", requiredCapabilities: "vision",
                                            rewardMicroUSDT: 1_000_000, humanOnly: false, excludedOwner: nil)
        #expect(await events.next() == .taskAvailable(available))
        #expect(!available.matches(capabilities: "", kind: .agent, owner: fleet.ownerID))
        #expect(available.matches(capabilities: "lang:en,vision", kind: .agent, owner: fleet.ownerID))

        let sighted = try await h.worker("sighted", capabilities: ["vision"], owner: fleet)
        let claim = try #require(try await h.claim(sighted))
        _ = try await h.submit(sighted, claim)
        guard case .taskAvailable(let slot)? = await events.next() else {
            Issue.record("expected a verification slot to be announced")
            return
        }
        #expect(slot.taskType == TaskType.verify && slot.excludedOwner == fleet.ownerID && slot.rewardMicroUSDT == 50_000)
        #expect(!slot.matches(capabilities: "vision", kind: .agent, owner: fleet.ownerID))  // never told to the submitter's fleet
        // Slots require what the work required: only verifiers who could do it are told.
        #expect(slot.requiredCapabilities == "vision")
        #expect(!slot.matches(capabilities: "", kind: .agent, owner: verifier.ownerID))
        #expect(slot.matches(capabilities: "vision", kind: .agent, owner: verifier.ownerID))
        _ = worker

        let slotClaim = try #require(try await h.claim(verifier, TaskType.verify))
        try await h.vote(verifier, slotClaim, .approve)
        var seen: [Event] = []
        for _ in 0..<3 { if let e = await events.next() { seen.append(e) } }
        #expect(seen.contains(.submissionVerdict(submission: slotClaim.review!.submission.id, task: task.id, worker: sighted.workerID!,
                                                 requester: requester.ownerID, outcome: .approved)))
        #expect(seen.contains { if case .ledgerCredited(_, _, sighted.workerID, 1_000_000, .reward, task.id) = $0 { true } else { false } })
        #expect(seen.contains { if case .ledgerCredited(_, _, verifier.workerID, 50_000, .verifierReward, _) = $0 { true } else { false } })
    }
}
