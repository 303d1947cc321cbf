import Foundation
import Testing
import WorkhiveCore
@testable import WorkhiveEngine
import WorkhiveTestSupport

/// A marketplace on a fresh database (a new SQLite file, or a new database on the test PostgreSQL
/// cluster) with a manual clock, and helpers that check the ledger after every operation they perform.
struct EngineHarness {
    let market: Marketplace
    let clock: ManualClock
    /// The database file (on SQLite) and blobs; removed when the test is done with the harness.
    let scratch: ScratchDirectory
    var directory: String { scratch.path }
    /// Where the database is: a file path on SQLite, a URL on PostgreSQL.
    var location: DatabaseLocation
    /// Closes the database when the test lets go of the harness, so that finished tests do not keep
    /// connections, files and memory open for the rest of the run.
    private let closer: DatabaseCloser

    init(market: Marketplace, clock: ManualClock, scratch: ScratchDirectory, location: DatabaseLocation) {
        self.market = market
        self.clock = clock
        self.scratch = scratch
        self.location = location
        closer = DatabaseCloser(market.database, keeping: scratch)
    }

    enum DatabaseLocation {
        case sqlite(path: String), postgres(url: String)

        func open() throws -> any SQLDatabase {
            switch self {
            case .sqlite(let path): try SQLiteDatabase(path: path)
            case .postgres(let url): try PostgresDatabase(url: url, maxConnections: 6, logger: PostgresCluster.poolLogger)
            }
        }
    }

    static func make(_ engine: TestEngine = .sqlite, fees: FeePolicy = FeePolicy(), trust: TrustPolicy = TrustPolicy(), seed: UInt64 = 42) async throws -> EngineHarness {
        let scratch = try ScratchDirectory(prefix: "workhive-test")
        let directory = scratch.path
        let location: DatabaseLocation = switch engine {
        case .sqlite: .sqlite(path: directory + "/workhive.sqlite")
        case .postgres: .postgres(url: try await PostgresCluster.shared.freshDatabaseURL())
        }
        let db = try location.open()
        var configuration = MarketplaceConfiguration(blobDirectory: directory + "/blobs")
        configuration.fees = fees
        configuration.trust = trust
        let clock = ManualClock()
        let market = try await Marketplace.open(database: db, configuration: configuration, clock: clock, random: SeededRandom(seed: seed))
        return EngineHarness(market: market, clock: clock, scratch: scratch, location: location)
    }

    /// Runs an operation, then asserts the ledger still balances and every invariant holds.
    @discardableResult
    func checked<T>(sourceLocation: SourceLocation = #_sourceLocation, _ op: () async throws -> T) async throws -> T {
        let value = try await op()
        try await assertLedger(sourceLocation: sourceLocation)
        return value
    }

    func assertLedger(sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let audit = try await LedgerAudit.run(market.database)
        #expect(audit.problems == [], sourceLocation: sourceLocation)
    }

    /// A funded requester.
    func requester(_ name: String = "requester", funds: Int64 = 100_000_000) async throws -> Principal {
        let creds = try await checked { try await market.createOwner(name: name) }
        let p = try await market.authenticate(apiKey: creds.apiKey)
        if funds > 0 { try await checked { try await market.deposit(p, amountMicroUSDT: funds) } }
        return p
    }

    /// A worker under a new owner of its own.
    func worker(_ name: String, kind: WorkerKind = .agent, capabilities: [String] = [], owner: Principal? = nil) async throws -> Principal {
        let ownerPrincipal: Principal
        if let owner { ownerPrincipal = owner } else {
            ownerPrincipal = try await market.authenticate(apiKey: try await checked { try await market.createOwner(name: "\(name)-owner") }.apiKey)
        }
        let creds = try await checked { try await market.createWorker(ownerPrincipal, name: name, kind: kind, capabilities: capabilities) }
        return try await market.authenticate(apiKey: creds.apiKey)
    }

    func spec(type: String = "social.like", reward: Int64 = 1_000_000, caps: [String] = [], verifiers: Int = 3, quorum: Int = 2,
              spotCheck: Double = 0, verifierReward: Int64 = 50_000, lease: Int = 60, attempts: Int = 3, priority: Int = 0,
              deadline: Int64? = nil, visibility: Visibility = .public) throws -> TaskSpec {
        try TaskSpec(
            taskType: type, title: "Like the post", instructions: "Like https://example.com/post/1", payloadJSON: #"{"url":"https://example.com/post/1"}"#,
            requiredCapabilities: try Capabilities(caps), rewardMicroUSDT: reward, leaseSeconds: lease, maxAttempts: attempts,
            deadlineAtMillis: deadline, priority: priority, visibility: visibility,
            verification: VerificationPolicy(verifiers: verifiers, quorum: quorum, spotCheckRate: spotCheck, verifierRewardMicroUSDT: verifierReward),
            nowMillis: clock.nowMillis())
    }

    func available(_ p: Principal) async throws -> Int64 {
        try await market.wallet(p).accounts.first?.availableMicroUSDT ?? 0
    }
    func balance(_ p: Principal) async throws -> Int64 {
        try await market.wallet(p).accounts.first?.balanceMicroUSDT ?? 0
    }
}

/// Closes a database once the last copy of its harness is gone (closing twice is harmless), and
/// only then lets its scratch directory be removed.
final class DatabaseCloser: Sendable {
    private let database: any SQLDatabase
    private let scratch: ScratchDirectory

    init(_ database: any SQLDatabase, keeping scratch: ScratchDirectory) {
        self.database = database
        self.scratch = scratch
    }

    deinit {
        let database = database, scratch = scratch
        Task {
            await database.close()
            withExtendedLifetime(scratch) {}
        }
    }
}
