import Foundation
import Testing
import WorkhiveCore
@testable import WorkhiveEngine
import WorkhiveTestSupport

/// A requester, a master agent with sub-agents under one owner, and outside verifiers.
struct FleetFixture {
    let h: EngineHarness
    let requester: Principal
    let fleetOwner: Principal
    let master: Principal
    var subAgents: [Principal]
    let verifiers: [Principal]

    static func make(_ engine: TestEngine, subAgents count: Int = 2, seed: UInt64 = 42) async throws -> FleetFixture {
        let h = try await EngineHarness.make(engine, seed: seed)
        let requester = try await h.requester(funds: 20_000_000)
        let fleetOwner = try await h.owner("fleet-a")
        let master = try await h.worker("master", owner: fleetOwner)
        var fixture = FleetFixture(h: h, requester: requester, fleetOwner: fleetOwner, master: master, subAgents: [],
                                   verifiers: [try await h.worker("v1"), try await h.worker("v2"), try await h.worker("v3")])
        for i in 0..<count { fixture.subAgents.append(try await fixture.subAgent(of: master, "sub-\(i)")) }
        return fixture
    }

    func subAgent(of master: Principal, _ name: String, capabilities: [String] = []) async throws -> Principal {
        let creds = try await h.checked { try await h.market.createSubAgent(master, name: name, capabilities: capabilities) }
        return try await h.market.authenticate(apiKey: creds.apiKey)
    }

    /// Posts a parent task (reward 1 USDT, 2-of-3 verification) and lets the master claim it.
    func claimParent(attempts: Int = 3, deadline: Int64? = nil, lease: Int = 60) async throws -> ClaimView {
        let task = try await h.post(requester, try h.spec(type: "bounty", lease: lease, attempts: attempts, deadline: deadline))
        let claim = try #require(try await h.claim(master, "bounty"))
        #expect(claim.task.id == task.id)
        return claim
    }

    func parts(_ count: Int, reward: Int64 = 200_000, assignee: [Int: WorkerID] = [:], lease: Int = 60, attempts: Int = 3,
               deadline: Int64? = nil) -> [SubTaskSpec] {
        (0..<count).map { i in
            SubTaskSpec(taskType: "part", payloadJSON: #"{"part":\#(i)}"#, rewardMicroUSDT: reward, assignee: assignee[i], leaseSeconds: lease,
                        maxAttempts: attempts, deadlineAtMillis: deadline)
        }
    }

    func delegate(_ claim: ClaimView, _ subTasks: [SubTaskSpec], aggregation: AggregationMethod = .mergeJSON,
                  funding: DelegationFunding = .parentEscrow) async throws -> DelegationView {
        try await h.checked {
            try await h.market.delegate(master, claim: claim.claimId, DelegationRequest(aggregation: aggregation, funding: funding, subTasks: subTasks),
                                        requestHash: "\(subTasks.count)-\(aggregation)-\(funding)")
        }
    }

    /// A sub-agent claims a sub-task and submits `result`.
    @discardableResult
    func work(_ sub: Principal, result: JSONValue) async throws -> ClaimView {
        let claim = try #require(try await h.claim(sub, "part"))
        _ = try await h.submit(sub, claim, result: result)
        return claim
    }

    /// Outside verifiers vote on the parent's submission.
    func verify(_ verdict: Verdict, votes: Int = 2) async throws {
        for v in verifiers.prefix(votes) {
            let slot = try #require(try await h.claim(v, TaskType.verify))
            try await h.vote(v, slot, verdict, verdict == .reject ? "wrong" : "")
        }
    }

    func earnings(_ p: Principal) async throws -> Int64 { try await h.balance(p) }
}
