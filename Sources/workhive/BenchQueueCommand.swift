import ArgumentParser
import Foundation
import Synchronization
import WorkhiveCore
import WorkhiveEngine

extension Bench {
    /// Workhive as a plain job queue (post → claim → submit, approved at once) beside a peer queue
    /// on the same PostgreSQL server, measured the same way in one run.
    struct Queue: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Jobs/s as a queue: post → claim → submit (auto-approved, paid), beside PgQueuer's enqueue → dequeue → ack.",
            discussion: """
                Producers post one task per call; consumer agents long-poll claims and submit; the clock stops when every \
                task is approved and paid. The peer runs the same shape: producers enqueue one job per call and consumers \
                finish them, until every job is acknowledged. Both run against the same server, each in a namespace of \
                its own (a schema for Workhive, a database for the peer), dropped afterwards.
                """)

        @Option(help: "PostgreSQL URL (without it, Workhive runs on SQLite and the peer is skipped).") var databaseURL: String?
        @Option(help: "Jobs per run.") var jobs = 5000
        @Option(help: "Concurrent producers.") var producers = 8
        @Option(help: "Concurrent consumers.") var consumers = 32
        @Option(help: "Runs per figure; the median is reported.") var runs = 3
        @Option(help: "Peer queue to compare with: pgqueuer or none.") var peer = "pgqueuer"
        @Option(help: "Python with the peer installed (default: .venv/bin/python3 if present, else python3).") var python: String?

        func validate() throws {
            guard jobs > 0, producers > 0, consumers > 0, runs > 0 else {
                throw ValidationError("--jobs, --producers, --consumers and --runs must be positive")
            }
            guard ["pgqueuer", "none"].contains(peer) else { throw ValidationError("--peer must be pgqueuer or none") }
        }

        func run() async throws {
            let engine = databaseURL == nil ? "SQLite" : "PostgreSQL"
            print("workhive bench queue: \(ProcessInfo.processInfo.activeProcessorCount) cores, \(engine), \(jobs) jobs, \(producers) producers, \(consumers) consumers, \(runs) runs per figure")
            var ours: [Double] = [], theirs: [Double] = []
            // Interleaved, so that both see the same machine over the same stretch of time.
            for run in 1...runs {
                ours.append(try await workhive())
                print(String(format: "  run %d: workhive %.0f jobs/s", run, ours.last!), terminator: "")
                if let databaseURL, peer == "pgqueuer" {
                    theirs.append(try runPeer(databaseURL))
                    print(String(format: ", pgqueuer %.0f jobs/s", theirs.last!), terminator: "")
                }
                print()
            }
            print(String(format: "workhive queue jobs/s (%@, post → claim → submit, median of %d): %.0f", engine, runs, median(ours)))
            if !theirs.isEmpty {
                print(String(format: "pgqueuer jobs/s (PostgreSQL, enqueue → dequeue → ack, median of %d): %.0f; workhive/pgqueuer ratio %.2f",
                             runs, median(theirs), median(ours) / median(theirs)))
            }
        }

        func workhive() async throws -> Double {
            let bench = try await BenchDatabase.open(postgresURL: databaseURL)
            let market = bench.market
            var requesters: [Principal] = []
            for i in 0..<producers {
                let requester = try await market.authenticate(apiKey: try await market.createOwner(name: "queue-producer-\(i)").apiKey)
                _ = try await market.deposit(requester, amountMicroUSDT: Int64(jobs / producers + 1) * 2_000_000)
                requesters.append(requester)
            }
            let owner = try await market.authenticate(apiKey: try await market.createOwner(name: "queue-consumers").apiKey)
            var workers: [Principal] = []
            for i in 0..<consumers {
                workers.append(try await market.authenticate(apiKey: try await market.createWorker(
                    owner, name: "consumer-\(i)", kind: .agent, capabilities: []).apiKey))
            }
            let spec = try TaskSpec(
                taskType: "bench.queue", title: "Job", instructions: "Do the job.", payloadJSON: #"{"item":1}"#,
                requiredCapabilities: .none, rewardMicroUSDT: 100_000, leaseSeconds: 300, maxAttempts: 3, deadlineAtMillis: nil,
                priority: 0, visibility: .public,
                verification: VerificationPolicy(verifiers: 0, quorum: 0, spotCheckRate: 0, verifierRewardMicroUSDT: 0),
                nowMillis: market.now())
            let done = Counter()
            let jobs = self.jobs
            let (finished, finish) = AsyncStream<Void>.makeStream()
            let start = ContinuousClock.now
            // Consumers long-poll as agents do (up to 30 s) and are cancelled once every job is done,
            // so the figure has no polling of the benchmark's own in it.
            let consuming = Task {
                defer { finish.finish() }  // a consumer's error ends the wait below too
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for worker in workers {
                        group.addTask {
                            while !Task.isCancelled {
                                guard let claim = try await market.claim(worker, taskType: "bench.queue", waitSeconds: 30) else { continue }
                                _ = try await market.submit(worker, claim: claim.claimId, result: .object(["ok": .bool(true)]), proofs: [])
                                if done.increment() == jobs { finish.yield() }
                            }
                        }
                    }
                    try await group.waitForAll()
                }
            }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for (i, requester) in requesters.enumerated() {
                    let share = jobs / requesters.count + (i < jobs % requesters.count ? 1 : 0)
                    group.addTask { for _ in 0..<share { _ = try await market.postTask(requester, spec) } }
                }
                try await group.waitForAll()
            }
            for await _ in finished { break }
            consuming.cancel()
            try await consuming.value
            let elapsed = ContinuousClock.now - start
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            let approved = try await market.database.read { try await $0.queryOne("SELECT COUNT(*) FROM tasks WHERE state = 'approved'", []) }!.int(0)
            let audit = try await LedgerAudit.run(market.database)
            try await bench.close()
            guard approved == jobs, audit.ok else { throw BenchError("\(approved) of \(jobs) approved; ledger: \(audit.problems)") }
            return Double(jobs) / seconds
        }

        func runPeer(_ url: String) throws -> Double {
            let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent().appendingPathComponent("bench/peers/pgqueuer_bench.py").path
            let local = FileManager.default.currentDirectoryPath + "/bench/peers/pgqueuer_bench.py"
            let path = FileManager.default.fileExists(atPath: local) ? local : script
            let interpreter = python ?? (FileManager.default.isExecutableFile(atPath: ".venv/bin/python3") ? ".venv/bin/python3" : "/usr/bin/env")
            let process = Process()
            process.executableURL = URL(fileURLWithPath: interpreter)
            process.arguments = (interpreter == "/usr/bin/env" ? ["python3"] : []) + [
                path, url, "--jobs", String(jobs), "--producers", String(producers), "--consumers", String(max(1, consumers / 8))]
            let output = Pipe()
            process.standardOutput = output
            try process.run()
            let data = output.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            guard process.terminationStatus == 0,
                  let line = String(decoding: data, as: UTF8.self).split(separator: "\n").last,
                  let json = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  let rate = json["per_second"] as? Double
            else {
                throw BenchError("the pgqueuer peer failed; install it with: python3 -m venv .venv && .venv/bin/pip install -r bench/peers/requirements.txt")
            }
            return rate
        }
    }
}

/// A count shared by concurrent tasks.
final class Counter: Sendable {
    private let atomic = Atomic<Int>(0)
    /// Adds one and returns the new count.
    func increment() -> Int { atomic.add(1, ordering: .relaxed).newValue }
}
