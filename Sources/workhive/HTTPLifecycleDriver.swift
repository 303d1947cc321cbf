import AsyncHTTPClient
import Foundation
import WorkhiveAgent
import WorkhiveEngine

/// The same lifecycle as `InProcessLifecycles`, through the REST API on loopback with the SDK client:
/// 9 HTTP calls per lifecycle (post, claim, submit, 3 verification claims, 3 votes).
struct HTTPLifecycles {
    let requester: WorkhiveClient
    let lanes: [Lane]

    struct Lane: Sendable {
        let taskType: String
        let worker: WorkhiveClient
        let verifiers: [WorkhiveClient]
    }

    /// `verifierOwners` as for `InProcessLifecycles.setUp`.
    static func setUp(baseURL: String, http: HTTPClient, lanes: Int, funds: Int64, verifierOwners: Int = 0) async throws -> HTTPLifecycles {
        let anonymous = WorkhiveClient(baseURL: baseURL, httpClient: http)
        let requester = anonymous.withAPIKey(try await anonymous.createOwner(name: "bench-requester").apiKey)
        _ = try await requester.deposit(amountMicroUSDT: funds)
        let workerOwner = anonymous.withAPIKey(try await anonymous.createOwner(name: "bench-workers").apiKey)
        var owners: [WorkhiveClient] = []
        for i in 0..<(verifierOwners > 0 ? verifierOwners : lanes * 3) {
            owners.append(anonymous.withAPIKey(try await anonymous.createOwner(name: "bench-verifiers-\(i)").apiKey))
        }
        var made: [Lane] = []
        for i in 0..<lanes {
            let worker = anonymous.withAPIKey(try await workerOwner.createWorker(name: "agent-\(i)").apiKey)
            var verifiers: [WorkhiveClient] = []
            for j in 0..<3 {
                verifiers.append(anonymous.withAPIKey(try await owners[(i * 3 + j) % owners.count].createWorker(name: "verifier-\(i)-\(j)").apiKey))
            }
            made.append(Lane(taskType: "bench.lane\(i)", worker: worker, verifiers: verifiers))
        }
        return HTTPLifecycles(requester: requester, lanes: made)
    }

    func run(count: Int) async throws -> Double {
        try await runSpread(count, over: lanes) { try await one($0) }
    }

    func one(_ lane: Lane) async throws {
        _ = try await requester.postTask(NewTask(
            taskType: lane.taskType, title: "Moderate item", instructions: "Is this image safe?", payload: ["item": 1],
            rewardMicroUSDT: 100_000, verification: .init(verifiers: 3, quorum: 3, verifierRewardMicroUSDT: 5_000)))
        guard let claim = try await lane.worker.claim(taskType: lane.taskType) else { throw BenchError("no task to claim") }
        _ = try await lane.worker.submit(claimID: claim.id, result: ["safe": true])
        var slots: [(WorkhiveClient, Int64)] = []
        for verifier in lane.verifiers {
            guard let slot = try await verifier.claim(taskType: "verify", waitSeconds: 10) else {
                throw BenchError("no verification slot to claim")
            }
            slots.append((verifier, slot.id))
        }
        for (verifier, claim) in slots {
            _ = try await verifier.vote(claimID: claim, verdict: .approve)
        }
    }
}
