import Foundation
import WorkhiveCore
import WorkhiveEngine

/// Drives full lifecycles against the engine in-process: post → claim → submit → 3 verification
/// claims → 3 votes → settle, under a 3-of-3 policy so every submission is settled by exactly its three
/// votes. (With 2 of 3, a slot nobody has claimed yet is closed at the second vote, so drivers sharing
/// the verification queue could be left waiting for a slot that never comes.) Used by `bench`.
struct InProcessLifecycles {
    let market: Marketplace
    /// One lane per concurrent driver: its requester, worker, task type and three verifiers of
    /// other owners. (Requesters of their own, as on a real marketplace: one requester's balance
    /// is one row every post and settlement of theirs updates.)
    let lanes: [Lane]

    struct Lane: Sendable {
        let requester: Principal
        let taskType: String
        let worker: Principal
        let verifiers: [Principal]
    }

    /// `verifierOwners`: how many owners the verifiers belong to, round robin; 0 gives every verifier
    /// an owner of its own (see `Bench.Lifecycle.verifierOwners`).
    static func setUp(_ market: Marketplace, lanes: Int, funds: Int64, verifierOwners: Int = 0) async throws -> InProcessLifecycles {
        let workerOwner = try await market.authenticate(apiKey: try await market.createOwner(name: "bench-workers").apiKey)
        var owners: [Principal] = []
        for i in 0..<(verifierOwners > 0 ? verifierOwners : lanes * 3) {
            owners.append(try await market.authenticate(apiKey: try await market.createOwner(name: "bench-verifiers-\(i)").apiKey))
        }
        var made: [Lane] = []
        for i in 0..<lanes {
            let requester = try await market.authenticate(apiKey: try await market.createOwner(name: "bench-requester-\(i)").apiKey)
            _ = try await market.deposit(requester, amountMicroUSDT: funds / Int64(lanes) + 1_000_000)
            let worker = try await market.authenticate(apiKey: try await market.createWorker(workerOwner, name: "agent-\(i)", kind: .agent, capabilities: []).apiKey)
            var verifiers: [Principal] = []
            for j in 0..<3 {
                let owner = owners[(i * 3 + j) % owners.count]
                verifiers.append(try await market.authenticate(apiKey: try await market.createWorker(owner, name: "verifier-\(i)-\(j)", kind: .agent, capabilities: []).apiKey))
            }
            made.append(Lane(requester: requester, taskType: "bench.lane\(i)", worker: worker, verifiers: verifiers))
        }
        return InProcessLifecycles(market: market, lanes: made)
    }

    /// Runs `count` lifecycles spread over the lanes concurrently; returns seconds taken.
    func run(count: Int) async throws -> Double {
        try await runSpread(count, over: lanes) { try await one($0) }
    }

    func one(_ lane: Lane) async throws {
        let spec = try TaskSpec(
            taskType: lane.taskType, title: "Moderate item", instructions: "Is this image safe?", payloadJSON: #"{"item":1}"#,
            requiredCapabilities: .none, rewardMicroUSDT: 100_000, leaseSeconds: 300, maxAttempts: 3, deadlineAtMillis: nil,
            priority: 0, visibility: .public,
            verification: VerificationPolicy(verifiers: 3, quorum: 3, spotCheckRate: 0, verifierRewardMicroUSDT: 5_000),
            nowMillis: market.now())
        _ = try await market.postTask(lane.requester, spec)
        guard let claim = try await market.claim(lane.worker, taskType: lane.taskType) else { throw BenchError("no task to claim") }
        _ = try await market.submit(lane.worker, claim: claim.claimId, result: .object(["safe": .bool(true)]), proofs: [])
        var slots: [(Principal, ClaimID)] = []
        for verifier in lane.verifiers {
            // Another driver's verifiers may have taken this submission's slots; then one of theirs
            // comes up soon, so wait for it as an agent would. A slot kept from this verifier's owner
            // for panel diversity (30 s) is offered again without an event: poll again, as agents do.
            var slot: ClaimView?
            for _ in 0..<6 where slot == nil {
                slot = try await market.claim(verifier, taskType: TaskType.verify, waitSeconds: 10)
            }
            guard let slot else { throw BenchError("no verification slot to claim in 60 s") }
            slots.append((verifier, slot.claimId))
        }
        for (verifier, claim) in slots {
            _ = try await market.vote(verifier, claim: claim, verdict: .approve, reason: "")
        }
    }
}

/// Runs `count` lifecycles spread over `lanes`, each lane one after another and the lanes
/// concurrently; returns the seconds taken.
func runSpread<Lane: Sendable>(_ count: Int, over lanes: [Lane], _ one: @escaping @Sendable (Lane) async throws -> Void) async throws -> Double {
    let start = ContinuousClock.now
    try await withThrowingTaskGroup(of: Void.self) { group in
        for (i, lane) in lanes.enumerated() {
            let share = count / lanes.count + (i < count % lanes.count ? 1 : 0)
            group.addTask { for _ in 0..<share { try await one(lane) } }
        }
        try await group.waitForAll()
    }
    let elapsed = ContinuousClock.now - start
    return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
}

struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
