import Foundation
import Testing
import WorkhiveCore
@testable import WorkhiveEngine

/// `workhive backup` / `restore` on SQLite: a consistent copy taken while deposits keep being written,
/// restored into a new data directory with its blobs, passing the ledger audit.
@Suite struct BackupTests {
    static func directory() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("workhive-backup-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    static func open(_ dataDir: String) async throws -> Marketplace {
        try await Marketplace.open(database: try SQLiteDatabase(path: dataDir + "/" + SQLiteBackup.databaseFile),
                                   configuration: MarketplaceConfiguration(blobDirectory: dataDir + "/blobs"))
    }

    @Test func onlineBackupWhileWritingThenRestore() async throws {
        let root = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let live = root + "/live", copy = root + "/backup", restored = root + "/restored"
        try FileManager.default.createDirectory(atPath: live, withIntermediateDirectories: true)
        let market = try await Self.open(live)
        let owner = try await market.authenticate(apiKey: try await market.createOwner(name: "o").apiKey)
        let blob = try await market.uploadBlob(owner, bytes: Array("proof".utf8), mediaType: "text/plain")

        // Deposits keep committing while the backup runs.
        let writer = Task {
            var n = 0
            while !Task.isCancelled, n < 2_000 {
                _ = try await market.deposit(owner, amountMicroUSDT: 1)
                n += 1
            }
            return n
        }
        try await Task.sleep(for: .milliseconds(50))
        let result = try SQLiteBackup.backup(dataDir: live, to: copy)
        let written = try await writer.value
        #expect(result.blobs == 1 && result.databaseBytes > 0)
        #expect(throws: SQLError.self) { try SQLiteBackup.backup(dataDir: live, to: copy) }  // never over an old backup

        // Restore into a new directory; an occupied one is refused.
        #expect(throws: SQLError.self) { try SQLiteBackup.restore(from: copy, into: live) }
        #expect(try SQLiteBackup.restore(from: copy, into: restored) == 1)
        let back = try await Self.open(restored)
        #expect(try await LedgerAudit.run(back.database).ok)
        // A snapshot: some prefix of the deposits, each one whole (its transfer and its balance).
        let (deposits, funds) = try await back.database.read { tx in
            (try await tx.queryOne("SELECT COUNT(*) FROM transfers WHERE reason = 'deposit'", [])!.int(0),
             try await tx.queryOne("SELECT credits_posted FROM accounts WHERE kind = 'funds'", [])!.int(0))
        }
        #expect(deposits == funds && deposits <= Int64(written), "\(deposits) deposits, funds \(funds), \(written) written")
        let (view, bytes) = try await back.blob(owner, blob.sha256)
        #expect(view.sha256 == blob.sha256 && Array(bytes) == Array("proof".utf8))
        await back.database.close()
        await market.database.close()
        #expect(throws: SQLError.self) { try SQLiteBackup.restore(from: root + "/nothing", into: root + "/x") }
    }
}
