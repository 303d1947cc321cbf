import ArgumentParser
import AsyncHTTPClient
import Foundation
import WorkhiveCore
import WorkhiveEngine

struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure the platform: lifecycles per second in-process and over HTTP.",
        subcommands: [Lifecycle.self, Writer.self])

    struct Lifecycle: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Lifecycles/s (post → claim → submit → 3 verify claims → 3 votes → settle), median of several runs.")

        @Option(help: "Lifecycles per run.") var lifecycles = 2000
        @Option(help: "Runs; the median is reported.") var runs = 5
        @Option(help: "Concurrent drivers (lanes).") var concurrency = 32
        @Flag(help: "Skip the HTTP measurement.") var skipHTTP = false

        func run() async throws {
            print("workhive bench lifecycle: \(ProcessInfo.processInfo.activeProcessorCount) cores, \(lifecycles) lifecycles × \(runs) runs, \(concurrency) concurrent drivers, SQLite (WAL, synchronous=NORMAL)")
            var rates: [Double] = []
            var writerCPU: [Double] = []
            for run in 1...runs {
                let dir = try temporaryDirectory()
                defer { try? FileManager.default.removeItem(atPath: dir) }
                let (market, db) = try await openMarketWithDatabase(dataDir: dir)
                let driver = try await InProcessLifecycles.setUp(market, lanes: concurrency, funds: Int64(lifecycles) * 1_000_000)
                let before = db.writerStats
                let seconds = try await driver.run(count: lifecycles)
                let after = db.writerStats
                let cpuPerLifecycle = Double(after.cpuNanoseconds - before.cpuNanoseconds) / 1000 / Double(lifecycles)
                writerCPU.append(cpuPerLifecycle)
                let audit = try await LedgerAudit.run(market.database)
                guard audit.ok else { throw BenchError("ledger check failed: \(audit.problems)") }
                rates.append(Double(lifecycles) / seconds)
                print(String(format: "  run %d: %.0f lifecycles/s (%.2f s); writer CPU %.0f µs per lifecycle, %.1f operations per commit",
                             run, Double(lifecycles) / seconds, seconds, cpuPerLifecycle,
                             Double(after.operations - before.operations) / Double(max(1, after.batches - before.batches))))
                await market.database.close()
            }
            let inProcess = median(rates)
            print(String(format: "in-process lifecycles/s (SQLite, median of %d): %.0f; writer CPU per lifecycle (median): %.0f µs, a ceiling of %.0f/s",
                         runs, inProcess, median(writerCPU), 1e6 / median(writerCPU)))
            guard !skipHTTP else { return }

            // Over HTTP on loopback: the same lifecycles through the REST API and the SDK client,
            // server and clients sharing this machine's cores.
            var httpRates: [Double] = []
            let httpCount = max(concurrency, lifecycles / 4)
            for run in 1...runs {
                let dir = try temporaryDirectory()
                defer { try? FileManager.default.removeItem(atPath: dir) }
                let market = try await openMarket(dataDir: dir)
                let server = try await LiveServer.start(market) { $0.rateLimitPerSecond = 0 }
                let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(
                    connectionPool: .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: concurrency * 2)))
                let driver = try await HTTPLifecycles.setUp(baseURL: server.url, http: http, lanes: concurrency, funds: Int64(httpCount) * 1_000_000)
                let seconds = try await driver.run(count: httpCount)
                try await http.shutdown()
                await server.stop()
                let audit = try await LedgerAudit.run(market.database)
                guard audit.ok else { throw BenchError("ledger check failed: \(audit.problems)") }
                await market.database.close()
                httpRates.append(Double(httpCount) / seconds)
                print(String(format: "  http run %d: %.0f lifecycles/s (%.2f s, %.0f requests/s)", run, Double(httpCount) / seconds, seconds, 9 * Double(httpCount) / seconds))
            }
            print(String(format: "over HTTP lifecycles/s (loopback, SQLite, median of %d): %.0f (%.0f requests/s); in-process/HTTP ratio %.1f",
                         runs, median(httpRates), 9 * median(httpRates), inProcess / median(httpRates)))
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

func openMarketWithDatabase(dataDir: String) async throws -> (Marketplace, SQLiteDatabase) {
    try FileManager.default.createDirectory(atPath: dataDir, withIntermediateDirectories: true)
    let db = try SQLiteDatabase(path: dataDir + "/workhive.sqlite")
    return (try await Marketplace.open(database: db, configuration: MarketplaceConfiguration(blobDirectory: dataDir + "/blobs")), db)
}
