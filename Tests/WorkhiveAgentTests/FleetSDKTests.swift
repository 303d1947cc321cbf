import Foundation
import Testing
import WorkhiveAgent

/// The SDK's `Fleet` against a real server on a socket: spawn sub-agents, run them concurrently,
/// fan a claim out, await the aggregate, submit it, get paid and share the earnings.
@Suite struct FleetSDKTests {
    @Test func aMasterFansOutToItsSpawnedFleetAndSharesTheReward() async throws {
        try await withLiveServer(configure: { $0.rateLimitPerSecond = 0 }) { server in
            let requester = try await server.owner("requester", deposit: 50_000_000)
            let fleetOwner = try await server.owner("fleet")
            let master = server.client(try await fleetOwner.createWorker(name: "master", capabilities: ["math"]).apiKey)
            let fleet = Fleet(master: master)
            let spawned = try await fleet.spawn(4, namePrefix: "doubler", capabilities: ["math"])
            let masterID = try await master.me().worker?.id
            #expect(spawned.count == 4 && Set(spawned.map(\.profile.masterWorkerId)) == [masterID])
            fleet.start(taskTypes: ["math.part"], configuration: .init(waitSeconds: 1)) { claim in
                let n = claim.task.payload["n"]?.intValue ?? 0
                return .submit(result: [.int(n * 2)])
            }

            let task = try await requester.postTask(NewTask(
                taskType: "math.sum", title: "Double 1...8", payload: ["numbers": [1, 2, 3, 4, 5, 6, 7, 8]], rewardMicroUSDT: 2_000_000,
                verification: .init(verifiers: 0)))
            let claim = try #require(try await master.claim(taskType: "math.sum"))
            #expect(claim.task.id == task.id)
            let parts = (1...8).map { NewSubTask(payload: ["n": .int(Int64($0))], rewardMicroUSDT: 100_000, taskType: "math.part") }
            let done = try await fleet.fanOut(claim, subTasks: parts, aggregation: .concat, funding: .parentEscrow)
            #expect(done.aggregate == .array((1...8).map { .int(Int64($0 * 2)) }))
            #expect(done.subTasks.allSatisfy { $0.done })
            _ = try await master.submit(claimID: claim.claimId, result: done.aggregate!)

            // Approved at once (no verifiers): sub-agents are paid their sub-task rewards, the master the rest.
            #expect(try await requester.task(id: task.id).state == .approved)
            let status = try await master.fleet()
            #expect(status.subAgents.count == 4 && status.earningsMicroUSDT == 800_000)
            #expect(status.subAgents.reduce(0) { $0 + $1.subTasksDone } == 8)
            #expect(status.masterAvailableMicroUSDT == 1_200_000)

            let shared = try await master.distribute(split: .equal, amountMicroUSDT: 400_000)
            #expect(shared.shares.count == 4 && shared.distributedMicroUSDT == 400_000)
            let sub = spawned[0].client
            let wallet = try await sub.wallet()
            #expect(wallet.history.contains { $0.reason == "fleet_share" && $0.amountMicroUSDT == 100_000 })

            // Paused sub-agents stop claiming; the master can resume and remove them.
            try await master.pauseSubAgent(id: spawned[1].profile.id)
            #expect(try await master.fleet().paused == 1)
            try await master.removeSubAgent(id: spawned[1].profile.id)
            await #expect(throws: WorkhiveAPIError.self) { try await spawned[1].client.claim(taskType: "math.part") }
            await fleet.stop()
        }
    }
}
