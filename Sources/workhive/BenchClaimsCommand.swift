import ArgumentParser
import Foundation
import WorkhiveCore
import WorkhiveEngine

extension Bench {
    /// Many workers racing for one queue: every claim must land on a different task, and fast.
    struct Claims: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Claim contention: N concurrent claimers drain a queue of open tasks (claim → submit); every task must be claimed exactly once.")

        @Option(help: "PostgreSQL URL (default: SQLite).") var databaseURL: String?
        @Option(help: "Concurrent claimers.") var claimers = 200
        @Option(help: "Open tasks in the queue.") var tasks = 10_000

        func validate() throws {
            guard claimers > 0, tasks > 0 else { throw ValidationError("--claimers and --tasks must be positive") }
        }

        func run() async throws {
            let bench = try await BenchDatabase.open(postgresURL: databaseURL)
            let market = bench.market
            let requester = try await market.authenticate(apiKey: try await market.createOwner(name: "contention-requester").apiKey)
            _ = try await market.deposit(requester, amountMicroUSDT: Int64(tasks) * 200_000)
            let spec = try TaskSpec(
                taskType: "bench.contention", title: "Job", instructions: "Do the job.", payloadJSON: "{}",
                requiredCapabilities: .none, rewardMicroUSDT: 100_000, leaseSeconds: 300, maxAttempts: 3, deadlineAtMillis: nil,
                priority: 0, visibility: .public,
                verification: VerificationPolicy(verifiers: 0, quorum: 0, spotCheckRate: 0, verifierRewardMicroUSDT: 0),
                nowMillis: market.now())
            // Fill the queue first (8 posters), so that the measurement is only the race for it.
            _ = try await runSpread(tasks, over: Array(0..<8)) { _ in _ = try await market.postTask(requester, spec) }
            let owner = try await market.authenticate(apiKey: try await market.createOwner(name: "contention-workers").apiKey)
            var workers: [Principal] = []
            for i in 0..<claimers {
                workers.append(try await market.authenticate(apiKey: try await market.createWorker(owner, name: "claimer-\(i)", kind: .agent, capabilities: []).apiKey))
            }
            let start = ContinuousClock.now
            let claimed = try await withThrowingTaskGroup(of: Int.self) { group in
                for worker in workers {
                    group.addTask {
                        var mine = 0
                        while let claim = try await market.claim(worker, taskType: "bench.contention") {
                            _ = try await market.submit(worker, claim: claim.claimId, result: .object(["ok": .bool(true)]), proofs: [])
                            mine += 1
                        }
                        return mine
                    }
                }
                return try await group.reduce(0, +)
            }
            let elapsed = ContinuousClock.now - start
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            let check = try await market.database.read { tx in
                try await tx.queryOne("SELECT COUNT(*), COALESCE(SUM(attempts), 0), COALESCE(SUM(CASE WHEN state = 'approved' THEN 1 ELSE 0 END), 0) FROM tasks WHERE task_type = 'bench.contention'", [])!
            }
            let audit = try await LedgerAudit.run(market.database)
            try await bench.close()
            guard claimed == tasks, check.int(1) == Int64(tasks), check.int(2) == Int64(tasks), audit.ok else {
                throw BenchError("claimed \(claimed), attempts \(check.int(1)), approved \(check.int(2)) of \(tasks); ledger: \(audit.problems)")
            }
            print(String(format: "claim contention (%@, %d claimers, %d tasks): %.0f claims/s (claim + submit); every task claimed exactly once, ledger balanced",
                         databaseURL == nil ? "SQLite" : "PostgreSQL", claimers, tasks, Double(tasks) / seconds))
        }
    }
}
