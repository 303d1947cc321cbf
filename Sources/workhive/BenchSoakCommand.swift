import ArgumentParser
import AsyncHTTPClient
import Foundation
import Synchronization
import WorkhiveAgent
import WorkhiveEngine

extension Bench {
    /// Many agents against a live server for minutes: claim latency, errors, and whether the server's
    /// memory stays flat.
    struct Soak: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Soak a live server: N agents claim → submit in a loop for M minutes while tasks are posted to keep the queue fed.",
            discussion: """
                Without --url it starts `workhive serve` itself (this binary, a temporary SQLite data directory, rate limits off, \
                warnings-only logs) and reads its resident memory from /proc; with --url give --server-pid to have memory reported.
                """)

        @Option(help: "Concurrent agents.") var agents = 200
        @Option(help: "Minutes to run.") var minutes = 10.0
        @Option(help: "A running server to soak (default: start one).") var url: String?
        @Option(help: "That server's process id, for its resident memory.") var serverPid: Int32?

        func validate() throws {
            guard agents > 0, minutes > 0 else { throw ValidationError("--agents and --minutes must be positive") }
        }

        func run() async throws {
            var server: Process?
            var data: String?
            var base = url ?? ""
            var pid = serverPid
            if url == nil {
                let dir = FileManager.default.temporaryDirectory.appendingPathComponent("workhive-soak-\(UUID().uuidString)").path
                let port = try LoopbackPort.free()
                let p = Process()
                p.executableURL = URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL
                p.arguments = ["serve", "--port", String(port), "--data-dir", dir, "--rate-limit", "0", "--log-level", "warning"]
                p.standardOutput = FileHandle.nullDevice
                try p.run()
                server = p
                data = dir
                base = "http://127.0.0.1:\(port)"
                pid = p.processIdentifier
            }
            defer {
                if let server { server.terminate(); server.waitUntilExit() }
                if let data { try? FileManager.default.removeItem(atPath: data) }
            }
            let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(
                connectionPool: .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: agents + 16)))
            do {
                try await soak(base: base, pid: pid, http: http)
            } catch {
                try? await http.shutdown()
                throw error
            }
            try await http.shutdown()
        }

        func soak(base: String, pid: Int32?, http: HTTPClient) async throws {
            let agents = agents, minutes = minutes
            let anonymous = WorkhiveClient(baseURL: base, httpClient: http)
            var healthy = false
            for _ in 0..<150 where !healthy {
                healthy = (try? await http.execute(HTTPClientRequest(url: base + "/healthz"), timeout: .seconds(1)).status) == .ok
                if !healthy { try await Task.sleep(for: .milliseconds(100)) }
            }
            guard healthy else { throw BenchError("the server at \(base) does not answer /healthz") }
            let requester = anonymous.withAPIKey(try await anonymous.createOwner(name: "soak-requester").apiKey)
            _ = try await requester.deposit(amountMicroUSDT: 1_000_000_000_000)
            let team = anonymous.withAPIKey(try await anonymous.createOwner(name: "soak-agents").apiKey)
            var workers: [WorkhiveClient] = []
            for i in 0..<agents { workers.append(anonymous.withAPIKey(try await team.createWorker(name: "soak-\(i)").apiKey)) }

            let stats = SoakStats()
            let rssStart = pid.flatMap(ResidentMemory.init)
            let deadline = ContinuousClock.now + .milliseconds(Int64(minutes * 60_000))
            print("soak: \(agents) agents against \(base) for \(minutes) min; server RSS at start \(rssStart?.description ?? "unknown")")
            let task = NewTask(taskType: "soak.job", title: "Soak", instructions: "", payload: ["n": 1], rewardMicroUSDT: 1_000,
                               verification: .init(verifiers: 0, quorum: 0))
            try await withThrowingTaskGroup(of: Void.self) { group in
                // Posters keep about two open tasks per agent.
                for _ in 0..<4 {
                    group.addTask {
                        while ContinuousClock.now < deadline {
                            guard stats.backlog < agents * 2 else { try await Task.sleep(for: .milliseconds(5)); continue }
                            do { _ = try await requester.postTask(task); stats.posted() } catch { stats.error() }
                        }
                    }
                }
                for worker in workers {
                    group.addTask {
                        while ContinuousClock.now < deadline {
                            let start = ContinuousClock.now
                            do {
                                guard let claim = try await worker.claim(taskType: "soak.job", waitSeconds: 2) else { continue }
                                stats.claimed(ContinuousClock.now - start)
                                _ = try await worker.submit(claimID: claim.id, result: ["ok": true])
                                stats.done()
                            } catch { stats.error(); try await Task.sleep(for: .milliseconds(50)) }
                        }
                    }
                }
                group.addTask {
                    while ContinuousClock.now < deadline {
                        try await Task.sleep(for: .seconds(30))
                        let rss = pid.flatMap(ResidentMemory.init)
                        if let rss { stats.sampleRSS(rss) }
                        print("soak: \(stats.summary)" + (rss.map { "; server RSS \($0)" } ?? ""))
                    }
                }
                try await group.waitForAll()
            }
            let rssEnd = pid.flatMap(ResidentMemory.init)
            print("soak: \(stats.summary)")
            print("soak: claim latency p50 \(stats.percentile(0.50)) ms, p99 \(stats.percentile(0.99)) ms; errors \(stats.errors); "
                + "server RSS start \(rssStart?.description ?? "?"), end \(rssEnd?.description ?? "?")")
            // The database's pages (mmap, up to 256 MiB, and SQLite's page caches) grow with the file
            // until their caps; a leak shows as anonymous memory still growing in the run's second half.
            if let growth = stats.secondHalfAnonymousGrowthKiB {
                print("soak: anonymous (heap) memory grew \(growth / 1024) MiB over the second half of the run")
            }
        }
    }
}

/// Counters of a soak run, shared by its agents.
final class SoakStats: Sendable {
    private struct State {
        var posted = 0, completed = 0, errors = 0
        var latenciesMicros: [Int64] = []
        var rssSamples: [ResidentMemory] = []
    }
    private let state = Mutex(State())

    var backlog: Int { state.withLock { $0.posted - $0.completed } }
    var errors: Int { state.withLock { $0.errors } }
    /// Anonymous memory at the last sample minus at the middle sample.
    var secondHalfAnonymousGrowthKiB: Int? {
        state.withLock { s in
            guard s.rssSamples.count >= 2, let last = s.rssSamples.last else { return nil }
            return last.anonymousKiB - s.rssSamples[s.rssSamples.count / 2].anonymousKiB
        }
    }
    func posted() { state.withLock { $0.posted += 1 } }
    func done() { state.withLock { $0.completed += 1 } }
    func error() { state.withLock { $0.errors += 1 } }
    func sampleRSS(_ rss: ResidentMemory) { state.withLock { $0.rssSamples.append(rss) } }
    func claimed(_ d: Duration) {
        let micros = d.components.seconds * 1_000_000 + d.components.attoseconds / 1_000_000_000_000
        state.withLock { $0.latenciesMicros.append(micros) }
    }

    /// The claim latency at quantile `q`, in milliseconds with one decimal.
    func percentile(_ q: Double) -> String {
        let sorted = state.withLock { $0.latenciesMicros }.sorted()
        guard !sorted.isEmpty else { return "-" }
        return String(format: "%.1f", Double(sorted[min(sorted.count - 1, Int(Double(sorted.count) * q))]) / 1000)
    }

    var summary: String {
        state.withLock { "\($0.posted) posted, \($0.latenciesMicros.count) claimed, \($0.completed) submitted, \($0.errors) errors" }
    }
}

/// A process's resident memory from /proc: all of it, and the anonymous (heap) and file-backed parts.
struct ResidentMemory: Sendable, CustomStringConvertible {
    let totalKiB: Int
    let anonymousKiB: Int
    let fileKiB: Int

    init?(_ pid: Int32) {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        func field(_ name: String) -> Int? {
            status.split(separator: "\n").first { $0.hasPrefix(name + ":") }
                .flatMap { Int($0.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") }
        }
        guard let total = field("VmRSS"), let anonymous = field("RssAnon"), let file = field("RssFile") else { return nil }
        (totalKiB, anonymousKiB, fileKiB) = (total, anonymous, file)
    }

    var description: String { "\(totalKiB / 1024) MiB (anonymous \(anonymousKiB / 1024), file-backed \(fileKiB / 1024))" }
}
