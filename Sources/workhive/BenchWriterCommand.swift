import ArgumentParser
import Foundation
import WorkhiveEngine

extension Bench {
    /// The engine's write lane alone: `--operations` trivial write transactions from concurrent
    /// callers, to see what the group-commit machinery costs per operation apart from SQL.
    struct Writer: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Cost of the group-commit write lane per operation (one tiny UPDATE each).")
        @Option(help: "Operations.") var operations = 100_000
        @Option(help: "Concurrent callers.") var concurrency = 32

        func run() async throws {
            let dir = try temporaryDirectory()
            defer { try? FileManager.default.removeItem(atPath: dir) }
            let db = try SQLiteDatabase(path: dir + "/w.sqlite")
            try await db.write { tx in try await tx.execute("CREATE TABLE c (id INTEGER PRIMARY KEY, n INTEGER NOT NULL)", []); try await tx.execute("INSERT INTO c VALUES (1, 0)", []) }
            let before = db.writerStats
            let start = ContinuousClock.now
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<concurrency {
                    group.addTask {
                        for _ in 0..<(operations / concurrency) {
                            try await db.write { tx in try await tx.execute("UPDATE c SET n = n + 1 WHERE id = 1", []) }
                        }
                    }
                }
                try await group.waitForAll()
            }
            let elapsed = ContinuousClock.now - start
            let after = db.writerStats
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            let ops = Double(after.operations - before.operations)
            print(String(format: "write lane: %.0f operations/s, writer CPU %.1f µs per operation, %.1f operations per commit",
                         ops / seconds, Double(after.cpuNanoseconds - before.cpuNanoseconds) / 1000 / ops, ops / Double(after.batches - before.batches)))
            await db.close()
        }
    }
}
