import ArgumentParser
import AsyncHTTPClient
import Foundation
import WorkhiveCore
import WorkhiveEngine

struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure the platform: lifecycles per second in-process and over HTTP.",
        subcommands: [Lifecycle.self, Writer.self, BenchPayouts.self])

    struct Lifecycle: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Lifecycles/s (post → claim → submit → 3 verify claims → 3 votes → settle), median of several runs.",
            discussion: """
                Each concurrent driver stands for one busy agent team: it posts a task, claims it, submits, and has \
                three verifiers of other owners claim and vote. The headline is measured with --concurrency drivers; \
                --also measures other driver counts in the same run, so the figures compare side by side.
                """)

        @Option(help: "Lifecycles per run.") var lifecycles = 4000
        @Option(help: "Runs per figure; the median is reported.") var runs = 5
        @Option(help: "Concurrent drivers for the headline figures.") var concurrency = 128
        @Option(parsing: .upToNextOption, help: "Other driver counts to measure in-process in the same run.") var also: [Int] = [1, 32]
        @Flag(help: "Skip the HTTP measurement.") var skipHTTP = false

        func validate() throws {
            guard lifecycles > 0, runs > 0, concurrency > 0, also.allSatisfy({ $0 > 0 }) else {
                throw ValidationError("--lifecycles, --runs, --concurrency and --also must be positive")
            }
        }

        func run() async throws {
            print("workhive bench lifecycle: \(ProcessInfo.processInfo.activeProcessorCount) cores, SQLite (WAL, synchronous=NORMAL), \(runs) runs per figure")
            for drivers in also {
                // A lone driver waits for every commit in turn: fewer lifecycles keep it short.
                let count = drivers == 1 ? min(lifecycles, 500) : lifecycles
                let (rate, cpu) = try await inProcess(drivers: drivers, count: count, verbose: false)
                print(String(format: "  %3d concurrent drivers: %.0f lifecycles/s, writer CPU %.0f µs per lifecycle (median of %d × %d)",
                             drivers, rate, cpu, runs, count))
            }
            let (headline, cpu) = try await inProcess(drivers: concurrency, count: lifecycles, verbose: true)
            print(String(format: "in-process lifecycles/s (SQLite, %d concurrent drivers, median of %d): %.0f; writer CPU %.0f µs per lifecycle",
                         concurrency, runs, headline, cpu))
            guard !skipHTTP else { return }
            let http = try await overHTTP(drivers: concurrency, count: max(concurrency, lifecycles / 4))
            print(String(format: "over HTTP lifecycles/s (loopback, SQLite, %d concurrent drivers, median of %d): %.0f (%.0f requests/s); in-process/HTTP ratio %.1f",
                         concurrency, runs, http, 9 * http, headline / http))
        }

        /// Median lifecycles/s and writer CPU per lifecycle over `runs` fresh databases.
        func inProcess(drivers: Int, count: Int, verbose: Bool) async throws -> (Double, Double) {
            var rates: [Double] = [], writerCPU: [Double] = []
            for run in 1...runs {
                let dir = try temporaryDirectory()
                defer { try? FileManager.default.removeItem(atPath: dir) }
                let (market, db) = try await openMarketWithDatabase(dataDir: dir)
                let driver = try await InProcessLifecycles.setUp(market, lanes: drivers, funds: Int64(count) * 1_000_000)
                let before = db.writerStats
                let seconds = try await driver.run(count: count)
                let after = db.writerStats
                let audit = try await LedgerAudit.run(market.database)
                guard audit.ok else { throw BenchError("ledger check failed: \(audit.problems)") }
                await market.database.close()
                rates.append(Double(count) / seconds)
                writerCPU.append(Double(after.cpuNanoseconds - before.cpuNanoseconds) / 1000 / Double(count))
                if verbose {
                    print(String(format: "  run %d: %.0f lifecycles/s (%.2f s); writer CPU %.0f µs per lifecycle, %.1f operations per commit",
                                 run, rates.last!, seconds, writerCPU.last!,
                                 Double(after.operations - before.operations) / Double(max(1, after.batches - before.batches))))
                }
            }
            return (median(rates), median(writerCPU))
        }

        /// Median lifecycles/s through the REST API on loopback with the SDK client, server and
        /// clients sharing this machine's cores.
        func overHTTP(drivers: Int, count: Int) async throws -> Double {
            var rates: [Double] = []
            for run in 1...runs {
                let dir = try temporaryDirectory()
                defer { try? FileManager.default.removeItem(atPath: dir) }
                let market = try await openMarket(dataDir: dir)
                let server = try await LiveServer.start(market) { $0.rateLimitPerSecond = 0 }
                let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(
                    connectionPool: .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: drivers * 2)))
                let driver = try await HTTPLifecycles.setUp(baseURL: server.url, http: http, lanes: drivers, funds: Int64(count) * 1_000_000)
                let seconds = try await driver.run(count: count)
                try await http.shutdown()
                await server.stop()
                let audit = try await LedgerAudit.run(market.database)
                guard audit.ok else { throw BenchError("ledger check failed: \(audit.problems)") }
                await market.database.close()
                rates.append(Double(count) / seconds)
                print(String(format: "  http run %d: %.0f lifecycles/s (%.2f s, %.0f requests/s)", run, rates.last!, seconds, 9 * rates.last!))
            }
            return median(rates)
        }
    }
}

func median(_ values: [Double]) -> Double {
    let s = values.sorted()
    guard !s.isEmpty else { return 0 }
    return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
}

func temporaryDirectory() throws -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("workhive-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    return dir
}

/// The embedded marketplace on `dataDir/workhive.sqlite`, blobs under `dataDir/blobs`.
func openMarket(dataDir: String) async throws -> Marketplace {
    try await openMarketWithDatabase(dataDir: dataDir).0
}

func openMarketWithDatabase(dataDir: String, payouts: PayoutConfiguration = PayoutConfiguration()) async throws -> (Marketplace, SQLiteDatabase) {
    try FileManager.default.createDirectory(atPath: dataDir, withIntermediateDirectories: true)
    let db = try SQLiteDatabase(path: dataDir + "/workhive.sqlite")
    var configuration = MarketplaceConfiguration(blobDirectory: dataDir + "/blobs")
    configuration.payouts = payouts
    return (try await Marketplace.open(database: db, configuration: configuration), db)
}
