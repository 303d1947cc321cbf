import ArgumentParser
import AsyncHTTPClient
import Foundation
import WorkhiveCore
import WorkhiveEngine

struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure the platform: lifecycles per second in-process and over HTTP.",
        subcommands: [Lifecycle.self, Queue.self, Claims.self, Writer.self, BenchPayouts.self, Consensus.self, Soak.self])

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
        /// Independent verifiers, as in an open marketplace, by default. A few owners shared by many
        /// verifiers make the panel-diversity rule hold slots back for up to 30 s (a slot young on a
        /// panel that has the owner already), which at the end of a run can leave drivers waiting.
        @Option(help: "Owners the verifiers belong to, shared round robin (0: every verifier an owner of its own).")
        var verifierOwners = 0
        @Flag(help: "After the last in-process run on SQLite, print the writer's costliest statements per lifecycle: CPU time (that run timed statement by statement, which slows it a little) and SQLite VM steps.")
        var sqlProfile = false
        @Option(help: "Measure on PostgreSQL at this URL (each run in a schema of its own, dropped after) instead of SQLite.")
        var databaseURL: String?

        var engineName: String { databaseURL == nil ? "SQLite" : "PostgreSQL" }

        func validate() throws {
            guard lifecycles > 0, runs > 0, concurrency > 0, also.allSatisfy({ $0 > 0 }) else {
                throw ValidationError("--lifecycles, --runs, --concurrency and --also must be positive")
            }
            guard verifierOwners == 0 || verifierOwners >= 3 else {
                throw ValidationError("--verifier-owners must be 0 (an owner per verifier) or at least 3 (a panel of three needs three owners)")
            }
        }

        func run() async throws {
            let engine = databaseURL == nil ? "SQLite (WAL, synchronous=NORMAL)" : "PostgreSQL"
            print("workhive bench lifecycle: \(ProcessInfo.processInfo.activeProcessorCount) cores, \(engine), \(runs) runs per figure")
            for drivers in also {
                // A lone driver waits for every commit in turn: fewer lifecycles keep it short.
                let count = drivers == 1 ? min(lifecycles, 500) : lifecycles
                let (rate, cpu) = try await inProcess(drivers: drivers, count: count, verbose: false)
                print(String(format: "  %3d concurrent drivers: %.0f lifecycles/s, writer CPU %@ per lifecycle (median of %d × %d)",
                             drivers, rate, cpuText(cpu), runs, count))
            }
            let (headline, cpu) = try await inProcess(drivers: concurrency, count: lifecycles, verbose: true)
            print(String(format: "in-process lifecycles/s (%@, %d concurrent drivers, median of %d): %.0f; writer CPU %@ per lifecycle",
                         engineName, concurrency, runs, headline, cpuText(cpu)))
            guard !skipHTTP else { return }
            let http = try await overHTTP(drivers: concurrency, count: max(concurrency, lifecycles / 4))
            print(String(format: "over HTTP lifecycles/s (loopback, %@, %d concurrent drivers, median of %d): %.0f (%.0f requests/s); in-process/HTTP ratio %.1f",
                         engineName, concurrency, runs, http, 9 * http, headline / http))
        }

        /// Median lifecycles/s and writer CPU per lifecycle over `runs` fresh databases.
        func inProcess(drivers: Int, count: Int, verbose: Bool) async throws -> (Double, Double?) {
            var rates: [Double] = [], writerCPU: [Double] = []
            for run in 1...runs {
                let bench = try await BenchDatabase.open(postgresURL: databaseURL)
                let market = bench.market
                let driver = try await InProcessLifecycles.setUp(market, lanes: drivers, funds: Int64(count) * 1_000_000, verifierOwners: verifierOwners)
                if sqlProfile, verbose, run == runs { try await bench.sqlite?.profileWriter() }
                let before = bench.writerStats
                let seconds = try await driver.run(count: count)
                let after = bench.writerStats
                let audit = try await LedgerAudit.run(market.database)
                guard audit.ok else { throw BenchError("ledger check failed: \(audit.problems)") }
                if sqlProfile, verbose, run == runs, let sqlite = bench.sqlite {
                    printProfile(try await sqlite.writerStatementCounters(), lifecycles: count)
                }
                try await bench.close()
                rates.append(Double(count) / seconds)
                if let before, let after {
                    writerCPU.append(Double(after.cpuNanoseconds - before.cpuNanoseconds) / 1000 / Double(count))
                }
                if verbose {
                    // Operations per lifecycle: eight do the work; the rest are claims that found nothing.
                    let perCommit = before.flatMap { b in after.map { a in
                        String(format: ", %.1f operations per commit, %.1f per lifecycle", Double(a.operations - b.operations) / Double(max(1, a.batches - b.batches)),
                               Double(a.operations - b.operations) / Double(count)) } } ?? ""
                    print(String(format: "  run %d: %.0f lifecycles/s (%.2f s); writer CPU %@ per lifecycle%@",
                                 run, rates.last!, seconds, cpuText(writerCPU.last), perCommit))
                }
            }
            return (median(rates), writerCPU.isEmpty ? nil : median(writerCPU))
        }

        /// The statements that cost the writer most, per lifecycle: thread CPU time while the run
        /// went, and SQLite VM steps (set-up included, which is small), which do not move with load.
        func printProfile(_ counters: [SQLStatementCounters], lifecycles: Int) {
            let total = counters.reduce(0) { $0 + $1.steps }, statements = counters.reduce(0) { $0 + $1.runs }
            let cpu = counters.reduce(0) { $0 + ($1.cpuNanoseconds ?? 0) }
            print(String(format: "  writer statements: %.1f run, %.0f µs of CPU and %.0f SQLite VM steps per lifecycle; the costliest:",
                         Double(statements) / Double(lifecycles), Double(cpu) / 1000 / Double(lifecycles), Double(total) / Double(lifecycles)))
            for c in counters.prefix(16) {
                let sql = c.sql.split(whereSeparator: \.isWhitespace).joined(separator: " ")
                print(String(format: "    %5.1f µs, %6.0f steps, %4.1f runs per lifecycle: %@", Double(c.cpuNanoseconds ?? 0) / 1000 / Double(lifecycles),
                             Double(c.steps) / Double(lifecycles), Double(c.runs) / Double(lifecycles), String(sql.prefix(90))))
            }
        }

        /// Median lifecycles/s through the REST API on loopback with the SDK client, server and
        /// clients sharing this machine's cores.
        func overHTTP(drivers: Int, count: Int) async throws -> Double {
            var rates: [Double] = []
            for run in 1...runs {
                let bench = try await BenchDatabase.open(postgresURL: databaseURL)
                let market = bench.market
                let server = try await LiveServer.start(market) { $0.rateLimitPerSecond = 0 }
                let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(
                    connectionPool: .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: drivers * 2)))
                let driver = try await HTTPLifecycles.setUp(baseURL: server.url, http: http, lanes: drivers, funds: Int64(count) * 1_000_000, verifierOwners: verifierOwners)
                let seconds = try await driver.run(count: count)
                try await http.shutdown()
                await server.stop()
                let audit = try await LedgerAudit.run(market.database)
                guard audit.ok else { throw BenchError("ledger check failed: \(audit.problems)") }
                try await bench.close()
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

/// The writer's CPU per lifecycle, which only SQLite's single writer can tell.
func cpuText(_ microseconds: Double?) -> String {
    microseconds.map { String(format: "%.0f µs", $0) } ?? "n/a"
}

/// A fresh marketplace for one benchmark run: a new SQLite file in a temporary directory, or a new
/// schema on PostgreSQL (so that a run never touches existing tables), removed by `close`.
struct BenchDatabase {
    let market: Marketplace
    let directory: String
    let sqlite: SQLiteDatabase?
    let postgres: (url: String, schema: String)?

    static func open(postgresURL: String?, trust: TrustPolicy = TrustPolicy()) async throws -> BenchDatabase {
        let directory = try temporaryDirectory()
        var configuration = MarketplaceConfiguration(blobDirectory: directory + "/blobs")
        configuration.trust = trust
        guard let postgresURL else {
            let db = try SQLiteDatabase(path: directory + "/workhive.sqlite")
            return BenchDatabase(market: try await Marketplace.open(database: db, configuration: configuration),
                                 directory: directory, sqlite: db, postgres: nil)
        }
        let schema = "bench_" + UUID().uuidString.prefix(8).lowercased()
        try await PostgresDatabase.admin(postgresURL, "CREATE SCHEMA \(schema)")
        let separator = postgresURL.contains("?") ? "&" : "?"
        let db = try PostgresDatabase(url: postgresURL + separator + "schema=" + schema, maxConnections: 64)
        return BenchDatabase(market: try await Marketplace.open(database: db, configuration: configuration),
                             directory: directory, sqlite: nil, postgres: (postgresURL, schema))
    }

    var writerStats: SQLiteDatabase.WriterStats? { sqlite?.writerStats }

    func close() async throws {
        await market.database.close()
        if let postgres { try await PostgresDatabase.admin(postgres.url, "DROP SCHEMA \(postgres.schema) CASCADE") }
        try? FileManager.default.removeItem(atPath: directory)
    }
}
