import Foundation
import Testing
import WorkhiveCore
@testable import WorkhiveEngine
import WorkhiveTestSupport

@Suite struct FleetTests {
    @Test(arguments: TestEngine.available) func aMasterManagesItsFleetAndSubAgentsCannot(engine: TestEngine) async throws {
        let f = try await FleetFixture.make(engine)
        let h = f.h
        // Sub-agents belong to the master's owner and carry their master.
        let sub = try await h.market.worker(f.fleetOwner, id: f.subAgents[0].workerID!)
        #expect(sub.masterWorkerId == f.master.workerID && sub.ownerId == f.fleetOwner.ownerID)
        // Nobody but the master manages the fleet.
        try await h.expectError(.forbidden) { try await h.market.createSubAgent(f.subAgents[0], name: "x", capabilities: []) }
        try await h.expectError(.forbidden) { try await h.market.createSubAgent(f.fleetOwner, name: "x", capabilities: []) }
        try await h.expectError(.forbidden) { try await h.market.setSubAgent(f.subAgents[0], f.subAgents[1].workerID!, paused: true) }
        let otherMaster = try await h.worker("other-master")
        try await h.expectError(.notFound) { try await h.market.setSubAgent(otherMaster, f.subAgents[0].workerID!, paused: true) }
        try await h.expectError(.invalidRequest) { try await h.market.createSubAgent(f.master, name: "w", capabilities: [], walletAddress: "no spaces allowed") }

        // A paused sub-agent claims nothing, even work meant for it; resumed, it claims again.
        let claim = try await f.claimParent()
        _ = try await f.delegate(claim, f.parts(1))
        try await h.checked { try await h.market.setSubAgent(f.master, f.subAgents[0].workerID!, paused: true) }
        try await h.expectError(.workerSuspended) { try await h.market.claim(f.subAgents[0], taskType: "part") }
        var fleet = try await h.market.fleet(f.master)
        #expect(fleet.paused == 1 && fleet.active == 1)
        try await h.checked { try await h.market.setSubAgent(f.master, f.subAgents[0].workerID!, paused: false) }
        let held = try #require(try await h.claim(f.subAgents[0], "part"))
        fleet = try await h.market.fleet(f.master)
        #expect(fleet.currentClaims == 1 && fleet.subAgents[0].currentClaims == 1)

        // Removing a sub-agent revokes its key and gives its claim back to the fleet.
        try await h.checked { try await h.market.removeSubAgent(f.master, f.subAgents[0].workerID!) }
        #expect(try await h.state(held.task.id) == .open)
        let again = try #require(try await h.claim(f.subAgents[1], "part"))
        #expect(again.task.id == held.task.id)
        fleet = try await h.market.fleet(f.master)
        #expect(fleet.removed == 1 && fleet.active == 1)
        try await h.expectError(.conflict) { try await h.market.setSubAgent(f.master, f.subAgents[0].workerID!, paused: false) }
    }

    @Test(arguments: TestEngine.available) func subTasksAreRoutedOnlyToTheirFleet(engine: TestEngine) async throws {
        let f = try await FleetFixture.make(engine, subAgents: 2)
        let h = f.h
        let ownerB = try await h.owner("fleet-b")
        let masterB = try await h.worker("master-b", owner: ownerB)
        let subB = try await f.subAgent(of: masterB, "b-0")
        let outsider = try await h.worker("outsider")
        let claim = try await f.claimParent()
        let named = f.subAgents[1].workerID!
        let d = try await f.delegate(claim, f.parts(2, assignee: [0: named]))
        #expect(d.subTasks.count == 2 && d.state == "running")
        #expect(d.subTasks.allSatisfy { $0.deadlineAtMillis == nil })

        // Fleet B, an outsider and the master itself can neither claim nor see them.
        for p in [subB, outsider, masterB, f.master] { #expect(try await h.claim(p, "part") == nil) }
        for p in [subB, outsider] {
            #expect(try await h.market.listTasks(p).allSatisfy { $0.delegationId == nil })
            try await h.expectError(.notFound) { try await h.market.task(p, d.subTasks[0].taskId) }
            try await h.expectError(.notFound) { try await h.market.delegationView(p, d.id) }
        }
        try await h.expectError(.notFound) { try await h.market.delegationView(ownerB, d.id) }
        // Fleet B's master cannot delegate on a claim it does not hold, nor retry A's sub-tasks.
        try await h.expectError(.forbidden) {
            try await h.market.delegate(masterB, claim: claim.claimId, DelegationRequest(aggregation: .none, funding: .parentEscrow, subTasks: f.parts(1)), requestHash: "x")
        }
        try await h.expectError(.notFound) { try await h.market.retrySubTask(masterB, delegation: d.id, slot: 0) }
        // A sub-agent cannot delegate.
        try await h.expectError(.forbidden) {
            try await h.market.delegate(f.subAgents[0], claim: claim.claimId, DelegationRequest(aggregation: .none, funding: .parentEscrow, subTasks: f.parts(1)), requestHash: "x")
        }
        // The pool part goes to sub-0; the named part only to sub-1.
        let first = try await f.work(f.subAgents[0], result: .object(["a": .int(1)]))
        #expect(first.task.delegationId == d.id && first.task.assigneeId == nil)
        #expect(try await h.claim(f.subAgents[0], "part") == nil)
        let second = try await f.work(f.subAgents[1], result: .object(["b": .int(2)]))
        #expect(second.task.assigneeId == named)
        // Sub-tasks open no verification slots: nobody, in or out of any fleet, verifies them.
        for p in [subB, outsider] + f.verifiers { #expect(try await h.claim(p, TaskType.verify) == nil) }

        let done = try await h.market.delegationView(f.master, d.id)
        #expect(done.state == "complete" && done.aggregate == .object(["a": .int(1), "b": .int(2)]))
        // Paid only when the parent is approved (funded from the parent's escrow).
        #expect(try await f.earnings(f.subAgents[0]) == 0)
        _ = try await h.submit(f.master, claim, result: done.aggregate!)
        // The master's own fleet never verifies the parent.
        for p in f.subAgents { #expect(try await h.claim(p, TaskType.verify) == nil) }
        try await f.verify(.approve)
        #expect(try await h.state(claim.task.id) == .approved)
        #expect(try await f.earnings(f.subAgents[0]) == 200_000)
        #expect(try await f.earnings(f.subAgents[1]) == 200_000)
        #expect(try await f.earnings(f.master) == 600_000)
        #expect(try await h.platformFees() == 50_000)
        #expect(try await h.escrowHeld(claim.task.id) == 0)
        let status = try await h.market.fleet(f.master)
        #expect(status.earningsMicroUSDT == 400_000 && status.subAgents.map(\.subTasksDone) == [1, 1])
    }

    @Test(arguments: TestEngine.available) func firstTakesTheEarliestResultAndCancelsTheRest(engine: TestEngine) async throws {
        let f = try await FleetFixture.make(engine, subAgents: 2)
        let h = f.h
        let claim = try await f.claimParent()
        let d = try await f.delegate(claim, f.parts(3), aggregation: .first, funding: .parentEscrow)
        let held = try #require(try await h.claim(f.subAgents[1], "part"))
        try await f.work(f.subAgents[0], result: .string("fast"))
        let view = try await h.market.delegationView(f.master, d.id)
        #expect(view.state == "complete" && view.aggregate == .string("fast"))
        #expect(view.subTasks.filter { $0.state == .cancelled }.count == 1)
        // The one already being worked may still finish; the aggregate stays the first.
        _ = try await h.submit(f.subAgents[1], held, result: .string("slow"))
        #expect(try await h.market.delegationView(f.master, d.id).aggregate == .string("fast"))
        _ = try await h.submit(f.master, claim, result: .string("fast"))
        try await f.verify(.approve)
        // Both finished sub-tasks are paid; the cancelled one's reward goes to the master.
        #expect(try await f.earnings(f.subAgents[0]) == 200_000)
        #expect(try await f.earnings(f.subAgents[1]) == 200_000)
        #expect(try await f.earnings(f.master) == 600_000)
    }

    @Test(arguments: TestEngine.available) func aFailedSubTaskIsVisibleAndRetriedWhileTheParentIsKeptAlive(engine: TestEngine) async throws {
        let f = try await FleetFixture.make(engine, subAgents: 2)
        let h = f.h
        let claim = try await f.claimParent(lease: 60)
        let d = try await f.delegate(claim, f.parts(2, lease: 10, attempts: 1), aggregation: .concat)
        let lost = try #require(try await h.claim(f.subAgents[0], "part"))
        try await f.work(f.subAgents[1], result: .array([.int(2)]))
        h.clock.advance(seconds: 61)  // past both the sub-task's and the parent's lease
        try await h.rescue()
        #expect(try await h.state(claim.task.id) == .claimed)  // kept alive: its fleet is still at work
        var view = try await h.market.delegationView(f.master, d.id)
        #expect(view.state == "needs_retry" && view.failed == 1 && view.done == 1)
        let failedSlot = try #require(view.subTasks.first { $0.state == .failed })
        #expect(failedSlot.taskId == lost.task.id && failedSlot.failureReason == "max_attempts_exhausted")
        try await h.expectError(.claimExpired) { try await h.market.submit(f.subAgents[0], claim: lost.claimId, result: .array([]), proofs: []) }
        // Only a failed slot can be retried, and only by its master.
        try await h.expectError(.conflict) { try await h.market.retrySubTask(f.master, delegation: d.id, slot: view.subTasks.first { $0.done }!.slot) }
        try await h.expectError(.forbidden) { try await h.market.retrySubTask(f.fleetOwner, delegation: d.id, slot: failedSlot.slot) }
        view = try await h.checked { try await h.market.retrySubTask(f.master, delegation: d.id, slot: failedSlot.slot) }
        #expect(view.state == "running" && view.subTasks[failedSlot.slot].retries == 1)
        try await f.work(f.subAgents[0], result: .array([.int(1)]))
        view = try await h.market.delegationView(f.master, d.id)
        #expect(view.state == "complete" && view.aggregate == .array([.int(1), .int(2)]))
        _ = try await h.submit(f.master, claim, result: view.aggregate!)
        try await f.verify(.approve)
        #expect(try await f.earnings(f.master) == 600_000)
        #expect(try await f.earnings(f.subAgents[0]) == 200_000)
    }

    @Test(arguments: TestEngine.available) func theParentsDeadlineBoundsItsChildren(engine: TestEngine) async throws {
        let f = try await FleetFixture.make(engine, subAgents: 1)
        let h = f.h
        let deadline = h.clock.nowMillis() + 100_000
        let before = try await h.available(f.requester)
        let claim = try await f.claimParent(deadline: deadline)
        let d = try await f.delegate(claim, f.parts(1, deadline: deadline + 500_000) + f.parts(1, deadline: deadline - 50_000))
        #expect(d.subTasks.map(\.deadlineAtMillis) == [deadline, deadline - 50_000])
        try await f.work(f.subAgents[0], result: .object([:]))
        h.clock.advance(seconds: 101)
        try await h.rescue()
        #expect(try await h.state(claim.task.id) == .failed)
        let view = try await h.market.delegationView(f.master, d.id)
        #expect(view.subTasks.allSatisfy { $0.state == .failed || $0.state == .rejected || $0.state == .cancelled })
        // Nobody was paid; every micro-USDT is back with the requester.
        #expect(try await f.earnings(f.subAgents[0]) == 0)
        #expect(try await f.earnings(f.master) == 0)
        #expect(try await h.available(f.requester) == before)
        try await h.expectError(.claimExpired) { try await h.market.retrySubTask(f.master, delegation: d.id, slot: 1) }
    }

    @Test(arguments: TestEngine.available) func aRejectedParentReopensWithItsWholeRewardAndItsFleetUnpaid(engine: TestEngine) async throws {
        let f = try await FleetFixture.make(engine, subAgents: 2)
        let h = f.h
        let claim = try await f.claimParent(attempts: 2)
        let heldBefore = try await h.escrowHeld(claim.task.id)
        _ = try await f.delegate(claim, f.parts(2, reward: 300_000), aggregation: .none)
        try await f.work(f.subAgents[0], result: .int(1))
        try await f.work(f.subAgents[1], result: .int(2))
        _ = try await h.submit(f.master, claim, result: .array([.int(1), .int(2)]))
        try await f.verify(.reject, votes: 2)
        #expect(try await h.state(claim.task.id) == .open)
        #expect(try await f.earnings(f.subAgents[0]) == 0)
        #expect(try await f.earnings(f.master) == 0)
        // The next attempt is held as before the delegation (less the two paid rejecting votes).
        #expect(try await h.escrowHeld(claim.task.id) == heldBefore - 2 * 50_000)
        let again = try #require(try await h.claim(f.master, "bounty"))
        _ = try await h.submit(f.master, again)
        let slots = try await h.scalar("SELECT COUNT(*) FROM tasks WHERE parent_task_id = ? AND state = 'open'", claim.task.id)
        #expect(slots == 3)
        for v in f.verifiers.suffix(1) + [try await h.worker("v4")] {
            let slot = try #require(try await h.claim(v, TaskType.verify))
            try await h.vote(v, slot, .approve)
        }
        #expect(try await h.state(claim.task.id) == .approved)
        #expect(try await f.earnings(f.master) == 1_000_000)
    }

    @Test(arguments: TestEngine.available) func masterBalanceFundingPaysSubAgentsAtOnce(engine: TestEngine) async throws {
        let f = try await FleetFixture.make(engine, subAgents: 1)
        let h = f.h
        let claim = try await f.claimParent()
        // The master has earned nothing yet: refused, and nothing is written.
        let footprint = try await h.footprint()
        try await h.expectError(.insufficientFunds) {
            try await h.market.delegate(f.master, claim: claim.claimId, DelegationRequest(aggregation: .none, funding: .masterBalance, subTasks: f.parts(1)), requestHash: "a")
        }
        #expect(try await h.footprint() == footprint)
        // Too much from the parent's escrow: the master must keep part of the reward.
        try await h.expectError(.insufficientFunds) { try await f.delegate(claim, f.parts(2, reward: 500_000)) }
        try await h.expectError(.invalidRequest) { try await f.delegate(claim, []) }
        #expect(try await h.footprint() == footprint)
        // Earn something first (the parent itself), then fund a second task's sub-tasks from it.
        _ = try await h.submit(f.master, claim)
        try await f.verify(.approve)
        #expect(try await f.earnings(f.master) == 1_000_000)
        let next = try await f.claimParent()
        let d = try await f.delegate(next, f.parts(1, reward: 250_000), aggregation: .majority, funding: .masterBalance)
        #expect(try await h.available(f.master) == 750_000)
        try await f.work(f.subAgents[0], result: .string("yes"))
        #expect(try await f.earnings(f.subAgents[0]) == 250_000)
        #expect(try await h.market.delegationView(f.master, d.id).aggregate == .string("yes"))
        // The same delegation again returns the first; a different one on the same claim is a conflict.
        #expect(try await f.delegate(next, f.parts(1, reward: 250_000), aggregation: .majority, funding: .masterBalance).id == d.id)
        try await h.expectError(.conflict) { try await f.delegate(next, f.parts(2), aggregation: .majority, funding: .masterBalance) }
    }

    @Test(arguments: TestEngine.available) func earningsAreDistributedBySplitAndAddUp(engine: TestEngine) async throws {
        let f = try await FleetFixture.make(engine, subAgents: 3)
        let h = f.h
        let claim = try await f.claimParent()
        let d = try await f.delegate(claim, f.parts(3, reward: 100_000), aggregation: .none)
        try await f.work(f.subAgents[0], result: .int(1))
        try await f.work(f.subAgents[0], result: .int(2))
        try await f.work(f.subAgents[1], result: .int(3))
        _ = try await h.submit(f.master, claim, result: .array([]))
        try await f.verify(.approve)
        #expect(try await f.earnings(f.master) == 700_000)
        let subs = f.subAgents.map { $0.workerID! }

        // Equal among active sub-agents; rounding stays with the master.
        let equal = try await h.checked { try await h.market.distribute(f.master, DistributionRequest(split: .equal, amountMicroUSDT: 100_000), requestHash: "e") }
        #expect(equal.shares.map(\.amountMicroUSDT) == [33_333, 33_333, 33_333] && equal.keptMicroUSDT == 1)
        // Per finished sub-task: 2 : 1 : 0.
        let per = try await h.checked {
            try await h.market.distribute(f.master, DistributionRequest(split: .perSubTask, amountMicroUSDT: 300_000, delegation: d.id), requestHash: "p")
        }
        #expect(per.shares == [FleetShareView(workerId: subs[0], amountMicroUSDT: 200_000), FleetShareView(workerId: subs[1], amountMicroUSDT: 100_000)])
        // Explicit, with an idempotency key: the retry returns the first distribution.
        let explicit = DistributionRequest(split: .explicit, shares: [FleetShareView(workerId: subs[2], amountMicroUSDT: 50_000)])
        let once = try await h.checked { try await h.market.distribute(f.master, explicit, idempotencyKey: "k", requestHash: "x") }
        let twice = try await h.checked { try await h.market.distribute(f.master, explicit, idempotencyKey: "k", requestHash: "x") }
        #expect(once == twice)
        try await h.expectError(.idempotencyKeyReused) { try await h.market.distribute(f.master, explicit, idempotencyKey: "k", requestHash: "y") }
        // Every share adds up: the master keeps what it did not give.
        #expect(try await f.earnings(f.master) == 700_000 - 99_999 - 300_000 - 50_000)
        #expect(try await f.earnings(f.subAgents[0]) == 100_000 + 100_000 + 33_333 + 200_000)
        #expect(try await f.earnings(f.subAgents[2]) == 33_333 + 50_000)
        // Refusals: more than the master has, a stranger, a sub-agent distributing.
        try await h.expectError(.insufficientFunds) { try await h.market.distribute(f.master, DistributionRequest(split: .equal, amountMicroUSDT: 10_000_000), requestHash: "big") }
        let stranger = try await h.worker("stranger")
        try await h.expectError(.invalidRequest) {
            try await h.market.distribute(f.master, DistributionRequest(split: .explicit, shares: [FleetShareView(workerId: stranger.workerID!, amountMicroUSDT: 1)]), requestHash: "s")
        }
        try await h.expectError(.forbidden) { try await h.market.distribute(f.subAgents[0], DistributionRequest(split: .equal, amountMicroUSDT: 1), requestHash: "f") }
        try await h.expectError(.invalidRequest) { try await h.market.distribute(f.master, DistributionRequest(split: .perSubTask, amountMicroUSDT: 1), requestHash: "n") }
    }

    @Test(arguments: TestEngine.available) func theSpotCheckRateIsTheShareOfSubmissionsWithAHumanSlot(engine: TestEngine) async throws {
        let h = try await EngineHarness.make(engine, seed: 99)
        let requester = try await h.requester(funds: 100_000_000)
        let worker = try await h.worker("w")
        let submissions = 120
        for _ in 0..<submissions {
            _ = try await h.market.postTask(requester, try h.spec(reward: 10_000, verifiers: 1, quorum: 1, spotCheck: 0.25, verifierReward: 1, attempts: 1))
            let claim = try #require(try await h.market.claim(worker, taskType: "social.like"))
            _ = try await h.market.submit(worker, claim: claim.claimId, result: .object([:]), proofs: [])
        }
        try await h.assertLedger()
        let human = try await h.scalar("SELECT COUNT(*) FROM tasks WHERE task_type = 'verify' AND human_only = 1")
        // Binomial(120, 0.25): mean 30, standard deviation 4.7; this seed lands well inside 4σ.
        #expect((11...49).contains(human), "\(human) human-only slots of \(submissions)")
        // And those slots go to humans only.
        let agent = try await h.worker("agent-verifier")
        let person = try await h.worker("person", kind: .human)
        var agentTook = 0
        while let slot = try await h.market.claim(agent, taskType: TaskType.verify) {
            #expect(!slot.task.humanOnly)
            agentTook += 1
        }
        #expect(agentTook == submissions - Int(human))
        let humanSlot = try #require(try await h.market.claim(person, taskType: TaskType.verify))
        #expect(humanSlot.task.humanOnly)
    }
}
