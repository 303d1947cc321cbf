import ArgumentParser
import Foundation
import WorkhiveEngine

/// Where the marketplace keeps its data: the embedded SQLite file in the data directory by default,
/// or PostgreSQL with `--database-url` (or WORKHIVE_DATABASE_URL).
struct DatabaseOptions: ParsableArguments {
    @Option(help: "Data directory (SQLite database, proof blobs, the first admin key).") var dataDir = "./data"
    @Option(help: ArgumentHelp(
        "PostgreSQL URL, e.g. postgres://user:password@host:5432/workhive?sslmode=disable (default: $WORKHIVE_DATABASE_URL, else SQLite in the data directory).",
        valueName: "url"))
    var databaseURL: String?

    var resolvedURL: String? {
        databaseURL ?? ProcessInfo.processInfo.environment["WORKHIVE_DATABASE_URL"].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// A short name of the database, for log lines (no password).
    var summary: String {
        guard let url = resolvedURL, let parts = URLComponents(string: url) else { return "SQLite in \(dataDir)" }
        return "PostgreSQL at \(parts.host ?? "?"):\(parts.port ?? 5432)\(parts.path)"
    }

    func open(payouts: PayoutConfiguration = PayoutConfiguration()) async throws -> Marketplace {
        try await openMarket(dataDir: dataDir, databaseURL: resolvedURL, payouts: payouts)
    }
}

/// The marketplace on PostgreSQL when `databaseURL` is given, else on `dataDir/workhive.sqlite`;
/// proof blobs live under `dataDir/blobs` either way.
func openMarket(dataDir: String, databaseURL: String? = nil,
                payouts: PayoutConfiguration = PayoutConfiguration()) async throws -> Marketplace {
    try FileManager.default.createDirectory(atPath: dataDir, withIntermediateDirectories: true)
    let db: any SQLDatabase = if let databaseURL {
        try PostgresDatabase(url: databaseURL)
    } else {
        try SQLiteDatabase(path: dataDir + "/workhive.sqlite")
    }
    var configuration = MarketplaceConfiguration(blobDirectory: dataDir + "/blobs")
    configuration.payouts = payouts
    return try await Marketplace.open(database: db, configuration: configuration)
}
