import ArgumentParser
import Foundation
import WorkhiveCore
import WorkhiveEngine

struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure the platform: lifecycles per second in-process and over HTTP.",
        subcommands: [Lifecycle.self])

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
            for run in 1...runs {
                let dir = try temporaryDirectory()
                defer { try? FileManager.default.removeItem(atPath: dir) }
                let market = try await openMarket(dataDir: dir)
                let driver = try await InProcessLifecycles.setUp(market, lanes: concurrency, funds: Int64(lifecycles) * 1_000_000)
                let seconds = try await driver.run(count: lifecycles)
                let audit = try await LedgerAudit.run(market.database)
                guard audit.ok else { throw BenchError("ledger check failed: \(audit.problems)") }
                rates.append(Double(lifecycles) / seconds)
                print(String(format: "  run %d: %.0f lifecycles/s (%.2f s)", run, Double(lifecycles) / seconds, seconds))
                await market.database.close()
            }
            print(String(format: "in-process lifecycles/s (SQLite, median of %d): %.0f", runs, median(rates)))
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
func openMarket(dataDir: String, clock: any WorkhiveClock = SystemClock()) async throws -> Marketplace {
    try FileManager.default.createDirectory(atPath: dataDir, withIntermediateDirectories: true)
    let db = try SQLiteDatabase(path: dataDir + "/workhive.sqlite")
    return try await Marketplace.open(database: db, configuration: MarketplaceConfiguration(blobDirectory: dataDir + "/blobs"), clock: clock)
}
