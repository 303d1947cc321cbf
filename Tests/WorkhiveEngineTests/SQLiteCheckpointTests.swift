import Foundation
import Testing
@testable import WorkhiveEngine

@Suite struct SQLiteCheckpointTests {
    /// The writer's WAL hook wakes the checkpointer once the WAL passes its size limit: committed
    /// pages reach the database file while it is open, and the WAL starts over instead of growing.
    @Test func theWALIsCopiedBackWhileTheDatabaseIsOpen() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("workhive-wal-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/db.sqlite"
        let db = try SQLiteDatabase(path: path)
        try await db.write { tx in try await tx.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, body BLOB NOT NULL)", []) }
        func size(_ file: String) -> Int { ((try? FileManager.default.attributesOfItem(atPath: file))?[.size] as? Int) ?? 0 }
        let before = size(path)
        // About 12 MiB in 1 MiB-ish commits: three times the checkpoint size.
        for _ in 0..<12 {
            try await db.write { tx in
                for _ in 0..<16 { try await tx.execute("INSERT INTO t (body) VALUES (randomblob(65536))", []) }
            }
        }
        let deadline = ContinuousClock.now + .seconds(20)
        while size(path) < before + 4 << 20, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(50)) }
        #expect(size(path) >= before + 4 << 20, "nothing was checkpointed into the database file")
        // A checkpoint that copied everything lets the next commits reuse the WAL from its start.
        #expect(size(path + "-wal") < 12 << 20)
        await db.close()
    }
}
