import Foundation
import Testing
import WorkhiveCore
@testable import WorkhiveEngine
import WorkhiveTestSupport

/// The PostgreSQL driver layer itself: statements prepared once per connection and run with the
/// values and types the engine reads back, and how a URL names the server.
@Suite struct PostgresStatementTests {
    @Test func statementsArePreparedOnceAndReadBackEveryType() async throws {
        try #require(TestEngine.available.contains(.postgres), "PostgreSQL is not installed")
        let url = try await PostgresCluster.shared.freshDatabaseURL()
        // One connection, so that every statement below runs where the earlier ones were prepared.
        let db = try PostgresDatabase(url: url, maxConnections: 1, logger: PostgresCluster.poolLogger)
        defer { Task { await db.close() } }
        try await db.write { tx in
            try await tx.execute("CREATE TABLE t (id BIGINT PRIMARY KEY, n BIGINT, x DOUBLE PRECISION, s TEXT, b BYTEA, flag BOOLEAN)", [])
        }
        let insert = "INSERT INTO t (id, n, x, s, b, flag) VALUES (?, ?, ?, ?, ?, ? = 1)"
        let changed = try await db.write { tx in
            // The same statement with a NULL where later calls bind a value: each variant is prepared.
            try await tx.execute(insert, [1, .null, .null, .null, .null, 0])
                + tx.execute(insert, [2, 42, .real(2.5), "naïve 'quoted'", .blob([0, 1, 254, 255]), 1])
                + tx.execute(insert, [3, 8, .real(-1), "", .blob([]), 1])
        }
        #expect(changed == 3)
        for _ in 0..<3 {
            let rows = try await db.read { tx in try await tx.query("SELECT id, n, x, s, b, flag FROM t WHERE id >= ? ORDER BY id", [1]) }
            #expect(rows.map(\.values) == [
                [.integer(1), .null, .null, .null, .null, .integer(0)],
                [.integer(2), .integer(42), .real(2.5), .text("naïve 'quoted'"), .blob([0, 1, 254, 255]), .integer(1)],
                [.integer(3), .integer(8), .real(-1), .text(""), .blob([]), .integer(1)],
            ])
        }
        // SUM over BIGINT is NUMERIC: money sums come back as integers.
        let sum = try await db.read { tx in try await tx.queryOne("SELECT SUM(n) FROM t WHERE id > ?", [0]) }
        #expect(sum?.values == [.integer(50)])
        // A refused statement reports PostgreSQL's SQLSTATE through the prepared path too.
        for _ in 0..<2 {
            let refused = await #expect(throws: SQLError.self) { try await db.write { tx in try await tx.execute(insert, [2, 1, .null, .null, .null, 0]) } }
            #expect(refused?.sqlState == "23505" && refused?.isConstraintViolation == true)
        }
        // Each parameter-type variant of the INSERT was prepared once on the connection: NULLs in
        // columns 2-5, values there, and NULLs in columns 3-5 (the refused one, twice).
        let prepared = try await db.read { tx in
            try await tx.query("SELECT statement FROM pg_prepared_statements WHERE statement LIKE ?", ["%INSERT INTO t %"])
        }
        #expect(prepared.count == 3)
    }

    @Test func aURLNamesAServerByHostOrBySocketDirectory() throws {
        let tcp = try PostgresDatabase.configuration(from: "postgres://app:secret@db.internal:6543/workhive?sslmode=disable")
        #expect(tcp.host == "db.internal" && tcp.port == 6543 && tcp.unixSocketPath == nil)
        #expect(tcp.username == "app" && tcp.password == "secret" && tcp.database == "workhive")
        let socket = try PostgresDatabase.configuration(from: "postgres://app@/workhive?host=/var/run/postgresql&port=5433")
        #expect(socket.unixSocketPath == "/var/run/postgresql/.s.PGSQL.5433" && socket.host == nil)
        #expect(socket.username == "app" && socket.database == "workhive")
        #expect(try PostgresDatabase.configuration(from: "postgres://app@/workhive?host=/tmp").unixSocketPath == "/tmp/.s.PGSQL.5432")
        #expect(throws: WorkhiveError.self) { try PostgresDatabase.configuration(from: "postgres:///workhive") }
        #expect(throws: WorkhiveError.self) { try PostgresDatabase.configuration(from: "mysql://db/workhive") }
    }
}
