import ArgumentParser
import Foundation
import WorkhiveEngine

struct BackupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Copy a SQLite data directory (database and proof blobs) into a new directory, online: the server may keep running.",
        discussion: """
            The database is copied with VACUUM INTO: one consistent snapshot, taken while writers go on. On PostgreSQL \
            use pg_dump instead (README "Operations"): pg_dump -Fc "$WORKHIVE_DATABASE_URL" > workhive.dump, and copy the \
            data directory's blobs/.
            """)

    @OptionGroup var database: DatabaseOptions
    @Argument(help: "The new directory to write the backup into.") var destination: String

    func run() async throws {
        if let url = database.resolvedURL, !url.isEmpty {
            throw ValidationError("this server is on PostgreSQL: back it up with pg_dump -Fc (README \"Operations\"), and copy \(database.dataDir)/blobs")
        }
        let start = ContinuousClock.now
        let (bytes, blobs) = try SQLiteBackup.backup(dataDir: database.dataDir, to: destination)
        // The copy must pass the same audit as the live ledger.
        let market = try await openMarket(dataDir: destination)
        let audit = try await LedgerAudit.run(market.database)
        await market.database.close()
        print("backup: \(destination)/\(SQLiteBackup.databaseFile) (\(bytes) bytes) and \(blobs) blobs in \(ContinuousClock.now - start); ledger check \(audit.ok ? "ok" : "FAILED")")
        if !audit.ok {
            for problem in audit.problems { print("problem: \(problem)") }
            throw ExitCode(1)
        }
    }
}

struct RestoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore",
        abstract: "Put a backup made by `workhive backup` into an empty data directory (stop the server first), and check its ledger.")

    @Option(help: "The data directory to restore into; it must hold no database.") var dataDir = "./data"
    @Argument(help: "The backup directory.") var source: String

    func run() async throws {
        let blobs = try SQLiteBackup.restore(from: source, into: dataDir)
        let market = try await openMarket(dataDir: dataDir)
        let audit = try await LedgerAudit.run(market.database)
        let stats = try await market.stats()
        await market.database.close()
        print("restore: \(dataDir) from \(source): \(stats.tasksByState.values.reduce(0, +)) tasks, \(blobs) blobs; ledger check \(audit.ok ? "ok" : "FAILED")")
        if !audit.ok {
            for problem in audit.problems { print("problem: \(problem)") }
            throw ExitCode(1)
        }
    }
}
