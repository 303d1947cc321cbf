import Crypto
import Foundation
import Logging
import Synchronization
import WorkhiveCore

/// Settings of the marketplace engine.
public struct MarketplaceConfiguration: Sendable {
    public var fees = FeePolicy()
    /// Where proof blobs are stored, content-addressed by SHA-256.
    public var blobDirectory: String
    public var maxBlobBytes = 10 * 1024 * 1024
    public var allowedMediaTypes: Set<String> = [
        "image/png", "image/jpeg", "image/webp", "image/gif", "application/pdf", "text/plain", "application/json",
    ]
    /// Whether owners may credit themselves from the devnet (the embedded default).
    public var devnetDeposits = true
    /// Hot system accounts are spread over this many rows so settlements do not queue on one row.
    public var systemAccountShards = 8
    /// A `claim.expiring` event goes out when this share of the lease is left.
    public var expiringLeaseFraction = 0.2
    /// Payout addresses, network choice, automatic payouts and batching (Marketplace+Payouts.swift).
    public var payouts = PayoutConfiguration()
    /// Reputation prior, vote weighting and verifier quarantine (Marketplace+Trust.swift).
    public var trust = TrustPolicy()

    public init(blobDirectory: String) { self.blobDirectory = blobDirectory }
}

/// The marketplace engine: every operation is one database transaction that reads, lets
/// WorkhiveCore decide, writes, and publishes its events after commit.
public final class Marketplace: Sendable {
    public let database: any SQLDatabase
    public let hub: EventHub
    public let configuration: MarketplaceConfiguration
    let clock: any WorkhiveClock
    let random: any RandomSource
    let system: SystemAccounts
    let blobs: BlobStore
    let keyCache = Mutex([String: Principal]())
    let directory = Mutex(Directory())
    public let logger: Logger
    /// Sends this server's events to the other servers on the same database (PostgreSQL only).
    let relay: EventRelay?
    /// Submissions of tasks approved at once go in batches (Marketplace+SubmitBatch.swift).
    let approvedSubmissions = Combiner<PendingSubmission, SubmissionView?>(maxBatch: 32)
    /// Claims of ordinary work go in batches too (Marketplace+ClaimBatch.swift).
    let claimBatches = Combiner<PendingClaim, BatchedClaim>(maxBatch: 32)
    /// Claims taken through this server on tasks approved at once: their submissions try the batch.
    let approvedOnSubmit = Mutex(RecentSet<ClaimID>(capacity: 4096))
    /// Claimers that found no gold task to draw, and until when a draw skips looking (Marketplace+Claims.swift).
    let goldAbsence = Mutex(GoldAbsence())

    public static func open(
        database: any SQLDatabase, configuration: MarketplaceConfiguration,
        clock: any WorkhiveClock = SystemClock(), random: any RandomSource = SystemRandom(),
        logger: Logger = Logger(label: "workhive.engine")
    ) async throws -> Marketplace {
        try await Migrator.migrate(database, now: clock.nowMillis())
        let system = try await SystemAccounts.ensure(in: database, shards: configuration.systemAccountShards, now: clock.nowMillis())
        let market = Marketplace(database: database, configuration: configuration, clock: clock, random: random, system: system, logger: logger)
        await market.relay?.listen(publishingTo: market.hub)
        return market
    }

    private init(database: any SQLDatabase, configuration: MarketplaceConfiguration, clock: any WorkhiveClock,
                 random: any RandomSource, system: SystemAccounts, logger: Logger) {
        self.database = database
        self.relay = (database as? PostgresDatabase).map { EventRelay(database: $0, node: UUID().uuidString, logger: logger) }
        self.hub = EventHub()
        self.configuration = configuration
        self.clock = clock
        self.random = random
        self.system = system
        self.blobs = BlobStore(directory: configuration.blobDirectory)
        self.logger = logger
    }

    public func now() -> Int64 { clock.nowMillis() }

    /// One write transaction whose events are published once it has committed.
    func transact<T: Sendable>(_ body: @escaping @Sendable (any SQLExecutor, EventBuffer) async throws -> T) async throws -> T {
        let (value, events) = try await database.write { tx in
            let buffer = EventBuffer()
            let value = try await body(tx, buffer)
            return (value, buffer.events)
        }
        publish(events)
        return value
    }

    /// Tells this server's listeners, and through the relay the other servers', about events a
    /// committed operation produced.
    func publish(_ events: [Event]) {
        hub.publish(events)
        relay?.send(events)
    }

    func read<T: Sendable>(_ body: @escaping @Sendable (any SQLExecutor) async throws -> T) async throws -> T {
        try await database.read(body)
    }
}

/// Events an operation produces, held until its transaction commits.
final class EventBuffer: @unchecked Sendable {
    var events: [Event] = []
    func append(_ event: Event) { events.append(event) }
}

public struct SystemClock: WorkhiveClock {
    public init() {}
    public func nowMillis() -> Int64 { Int64((Date().timeIntervalSince1970 * 1000).rounded(.down)) }
}

public struct SystemRandom: RandomSource {
    public init() {}
    public func nextUInt64() -> UInt64 {
        var g = SystemRandomNumberGenerator()
        return g.next()
    }
}

/// Ids of the platform's own accounts, sharded so that no single row is updated by every settlement.
struct SystemAccounts: Sendable {
    let platformFee: [AccountID]
    let deposits: [AccountID]

    func platformFee(for task: TaskID) -> AccountID { platformFee[Self.shard(task.rawValue, of: platformFee.count)] }
    func deposits(for owner: OwnerID) -> AccountID { deposits[Self.shard(owner.rawValue, of: deposits.count)] }

    /// A shard index for any id, negative ones included (a client may send any 64-bit number).
    static func shard(_ id: Int64, of count: Int) -> Int { Int(UInt64(bitPattern: id) % UInt64(count)) }

    static func ensure(in db: any SQLDatabase, shards: Int, now: Int64) async throws -> SystemAccounts {
        try await db.write { tx in
            try await tx.lockSchema()
            func ids(_ kind: AccountKind) async throws -> [AccountID] {
                var rows = try await tx.query("SELECT id FROM accounts WHERE kind = ? ORDER BY shard", kind.rawValue)
                if rows.isEmpty {
                    for shard in 0..<shards {
                        try await tx.execute("INSERT INTO accounts (kind, shard, created_at) VALUES (?, ?, ?)", kind.rawValue, shard, now)
                    }
                    rows = try await tx.query("SELECT id FROM accounts WHERE kind = ? ORDER BY shard", kind.rawValue)
                }
                return rows.map { $0.id(0) }
            }
            return SystemAccounts(platformFee: try await ids(.platformFee), deposits: try await ids(.deposits))
        }
    }
}

extension SQLExecutor {
    /// Servers starting together on one PostgreSQL database take turns to migrate and to create the
    /// system accounts (a transaction-scoped advisory lock). SQLite has a single writer already.
    func lockSchema() async throws {
        if dialect == .postgres { _ = try await query("SELECT pg_advisory_xact_lock(7500001)", []) }
    }
}

enum Migrator {
    static func migrate(_ db: any SQLDatabase, now: Int64) async throws {
        try await db.write { tx in
            try await tx.lockSchema()
            try await tx.execute("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)", [])
            let applied = Set(try await tx.query("SELECT version FROM schema_migrations", []).map { Int($0.int(0)) })
            for migration in Schema.migrations(for: tx.dialect) where !applied.contains(migration.version) {
                for statement in migration.sql.components(separatedBy: ";\n") {
                    let trimmed = statement.trimmingCharacters(in: .whitespacesAndNewlines)
                    if !trimmed.isEmpty { try await tx.execute(trimmed, []) }
                }
                try await tx.execute("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)", migration.version, migration.name, now)
            }
        }
    }
}

/// SHA-256 of a text as lower-case hex: API key secrets and request fingerprints.
public func sha256Hex(_ text: String) -> String { sha256Hex(Data(text.utf8)) }
public func sha256Hex(_ data: some DataProtocol) -> String { hexString(SHA256.hash(data: data)) }

func hexString(_ bytes: some Sequence<UInt8>) -> String {
    let digits = Array("0123456789abcdef".utf8)
    var out: [UInt8] = []
    out.reserveCapacity(64)
    for b in bytes {
        out.append(digits[Int(b >> 4)])
        out.append(digits[Int(b & 0x0f)])
    }
    return String(decoding: out, as: UTF8.self)
}
