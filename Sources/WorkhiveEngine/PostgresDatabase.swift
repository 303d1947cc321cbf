import Foundation
import Logging
import NIOCore
import PostgresNIO
import Synchronization
import WorkhiveCore

/// PostgreSQL, the production database. Unlike SQLite it lets many writers run at once, from this
/// process and from other servers on the same database: each `write` is its own READ COMMITTED
/// transaction on a pooled connection, and the engine's statements are written for that (claims
/// pick with SKIP LOCKED, every state change is guarded by the state it read). A transaction the
/// server aborts for a deadlock or serialization failure, or a unique-key race with a concurrent
/// insert, is run again: operations are pure functions of the database and their inputs.
public final class PostgresDatabase: SQLDatabase, @unchecked Sendable {
    public let dialect = SQLDialect.postgres
    private let client: PostgresClient
    private let runner: Task<Void, Never>
    private let logger: Logger
    private let listeners = Mutex([Task<Void, Never>]())
    private let statements = PostgresPreparedStatements()
    private static let maxAttempts = 8

    /// Opens a pool on `url` (`postgres://user:password@host:port/database?sslmode=disable|require&schema=NAME`).
    /// The schema the tables live in (`?schema=NAME` in the URL), when not the default `public`.
    public let schema: String?

    public init(url: String, maxConnections: Int = 24, logger: Logger = Logger(label: "workhive.postgres")) throws {
        var configuration = try Self.configuration(from: url)
        schema = URLComponents(string: url)?.queryItems?.first { $0.name == "schema" }?.value
        if let schema {
            guard schema.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else {
                throw WorkhiveError.invalid("schema must be letters, digits and underscores")
            }
            configuration.options.additionalStartupParameters = [("search_path", schema)]
        }
        configuration.options.maximumConnections = maxConnections
        configuration.options.minimumConnections = min(2, maxConnections)
        self.logger = logger
        let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        self.client = client
        // Started immediately, up to its first suspension, so the pool counts as running before
        // init returns: a lease asked for earlier only logs a warning, but it did on every start.
        runner = Task.immediate { await client.run() }
    }

    /// A URL names a server by host and port, or (as libpq's `?host=/directory` does) by the
    /// directory of its Unix-domain socket, which on one machine costs less per round trip than TCP.
    static func configuration(from url: String) throws -> PostgresClient.Configuration {
        let format = "database url must look like postgres://user:password@host:5432/database or postgres://user@/database?host=/var/run/postgresql&port=5432"
        guard let parts = URLComponents(string: url), ["postgres", "postgresql"].contains(parts.scheme ?? "") else {
            throw WorkhiveError.invalid(format)
        }
        let database = parts.path.hasPrefix("/") ? String(parts.path.dropFirst()) : parts.path
        if let directory = parts.queryItems?.first(where: { $0.name == "host" })?.value, directory.hasPrefix("/") {
            let port = parts.queryItems?.first { $0.name == "port" }?.value.flatMap(Int.init) ?? parts.port ?? 5432
            return PostgresClient.Configuration(
                unixSocketPath: directory + "/.s.PGSQL.\(port)", username: parts.user ?? "postgres",
                password: parts.password, database: database.isEmpty ? nil : database)
        }
        guard let host = parts.host, !host.isEmpty else { throw WorkhiveError.invalid(format) }
        let sslmode = parts.queryItems?.first { $0.name == "sslmode" }?.value ?? "prefer"
        let tls: PostgresClient.Configuration.TLS = switch sslmode {
        case "disable": .disable
        case "require", "verify-full", "verify-ca": .require(.makeClientConfiguration())
        default: .prefer(.makeClientConfiguration())
        }
        return PostgresClient.Configuration(
            host: host, port: parts.port ?? 5432, username: parts.user ?? "postgres",
            password: parts.password, database: database.isEmpty ? nil : database, tls: tls)
    }

    public func write<T: Sendable>(_ body: @escaping @Sendable (any SQLExecutor) async throws -> T) async throws -> T {
        try await retrying { try await self.transaction("BEGIN", body) }
    }

    /// No transaction block: each statement of `body` is a transaction of its own. Retried as a
    /// whole, like `write`, so `body` must write nothing before the statement that may fail.
    public func autocommit<T: Sendable>(_ body: @escaping @Sendable (any SQLExecutor) async throws -> T) async throws -> T {
        try await retrying { try await self.transaction(nil, body) }
    }

    private func retrying<T: Sendable>(_ operation: () async throws -> T) async throws -> T {
        var attempt = 1
        while true {
            do {
                return try await operation()
            } catch let error as SQLError where error.isRetryable && attempt < Self.maxAttempts {
                attempt += 1
                // Back off a little, with jitter, so the transactions that collided do not collide again.
                try await Task.sleep(for: .microseconds(Int.random(in: 100...(1_000 * attempt))))
            }
        }
    }

    public func read<T: Sendable>(_ body: @escaping @Sendable (any SQLExecutor) async throws -> T) async throws -> T {
        try await transaction("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", body)
    }

    public func readStatement<T: Sendable>(_ body: @escaping @Sendable (any SQLExecutor) async throws -> T) async throws -> T {
        try await transaction(nil, body)
    }

    /// Runs in a task of its own, so that a caller's cancellation cannot stop a transaction half way
    /// (and hand its connection back to the pool inside a transaction); as on SQLite, a transaction
    /// that has started runs to its end.
    /// `begin` nil runs `body` without a transaction block (see `autocommit`).
    private func transaction<T: Sendable>(_ begin: String?, _ body: @escaping @Sendable (any SQLExecutor) async throws -> T) async throws -> T {
        try await Task { try await self.runTransaction(begin, body) }.value
    }

    private func runTransaction<T: Sendable>(_ begin: String?, _ body: @escaping @Sendable (any SQLExecutor) async throws -> T) async throws -> T {
        try await client.withConnection { connection in
            let executor = PostgresExecutor(connection: connection, logger: logger, statements: statements)
            guard let begin else { return try await body(executor) }
            // BEGIN goes out without waiting for its answer: the connection runs statements in the
            // order they were written, so it saves a round trip per transaction.
            let begun: EventLoopFuture<PostgresQueryResult> = connection.query(PostgresQuery(unsafeSQL: begin), logger: logger)
            do {
                let value = try await body(executor)
                _ = try await begun.get()
                try await executor.run("COMMIT")
                return value
            } catch {
                try? await executor.run("ROLLBACK")
                throw error
            }
        }
    }

    /// Calls `handler` with the payload of every notification on `channel`, from any server on this
    /// database, until the database closes; reconnects after a lost connection. Returns once listening.
    public func listen(channel: String, handler: @escaping @Sendable (String) -> Void) async {
        let (ready, readyContinuation) = AsyncStream<Void>.makeStream()
        let listener = Task { [client, logger] in
            while !Task.isCancelled {
                do {
                    try await client.withConnection { connection in
                        try await connection.listen(on: channel) { notifications in
                            readyContinuation.yield()
                            for try await notification in notifications { handler(notification.payload) }
                        }
                    }
                } catch {
                    if Task.isCancelled { break }
                    logger.warning("LISTEN \(channel) lost its connection; reconnecting", metadata: ["error": "\(String(reflecting: error))"])
                    readyContinuation.yield()
                    try? await Task.sleep(for: .milliseconds(500))
                }
            }
            readyContinuation.finish()
        }
        listeners.withLock { $0.append(listener) }
        for await _ in ready { break }
    }

    /// Sends notifications in one statement that commits by itself. Its commit does not wait for
    /// the disk: a transaction that wrote nothing before its commit record commits asynchronously
    /// (100 such commits cost the bench cluster one WAL flush), which suits hints such as these.
    func notify(channel: String, payloads: [String]) async throws {
        guard !payloads.isEmpty else { return }
        let calls = Array(repeating: "pg_notify(?, ?)", count: payloads.count).joined(separator: ", ")
        _ = try await transaction(nil) { tx in
            try await tx.query("SELECT " + calls, payloads.flatMap { [SQLValue.text(channel), .text($0)] }).count
        }
    }

    /// Runs one statement outside any transaction on a connection of its own (CREATE DATABASE,
    /// CREATE SCHEMA and the like, for benchmarks and tests).
    public static func admin(_ url: String, _ sql: String) async throws {
        let database = try PostgresDatabase(url: url, maxConnections: 1)
        defer { database.runner.cancel() }
        try await database.client.withConnection { connection in
            try await PostgresExecutor(connection: connection, logger: database.logger, statements: nil).run(sql)
        }
    }

    public func close() async {
        for listener in listeners.withLock({ $0 }) {
            listener.cancel()
            await listener.value
        }
        runner.cancel()
        await runner.value
    }
}

extension SQLError {
    /// Aborts that say nothing about the operation itself: a deadlock, a serialization failure, or
    /// a concurrent insert of the same unique key (after which a re-run sees the row and decides again).
    var isRetryable: Bool { ["40001", "40P01", "23505"].contains(sqlState ?? "") }
}

/// Runs statements on one leased connection, inside the transaction its database began.
struct PostgresExecutor: SQLExecutor, @unchecked Sendable {
    let connection: PostgresConnection
    let logger: Logger
    /// Where statements are prepared once per connection; nil runs every statement unprepared.
    let statements: PostgresPreparedStatements?
    var dialect: SQLDialect { .postgres }

    func run(_ sql: String) async throws {
        _ = try await query(sql, [])
    }

    func query(_ sql: String, _ binds: [SQLValue]) async throws -> [SQLRow] {
        if let statements, let prepared = try await statements.statement(sql, binds: binds, on: connection, logger: logger) {
            do {
                // Rows of a prepared statement always come in binary (PostgresNIO binds asking for
                // it), though their description, taken when the statement was prepared, says text.
                return try await prepared.execute(binds.map(Self.postgresData)).get().map { row in
                    SQLRow(try row.map { cell in
                        try Self.value(PostgresCell(bytes: cell.bytes, dataType: cell.dataType, format: .binary,
                                                    columnName: cell.columnName, columnIndex: cell.columnIndex))
                    })
                }
            } catch {
                throw SQLError(error)
            }
        }
        var bindings = PostgresBindings(capacity: binds.count)
        for value in binds {
            switch value {
            case .null: bindings.appendNull()
            case .integer(let v): bindings.append(v)
            case .real(let v): bindings.append(v)
            case .text(let v): bindings.append(v)
            case .blob(let v): bindings.append(ByteBuffer(bytes: v))
            }
        }
        return try await rows(PostgresQuery(unsafeSQL: PlaceholderRewriter.numbered(sql), binds: bindings))
    }

    static func postgresData(_ value: SQLValue) -> PostgresData {
        switch value {
        case .null: .null
        case .integer(let v): PostgresData(int64: v)
        case .real(let v): PostgresData(double: v)
        case .text(let v): PostgresData(string: v)
        case .blob(let v): PostgresData(bytes: v)
        }
    }

    private func rows(_ query: PostgresQuery) async throws -> [SQLRow] {
        do {
            var result: [SQLRow] = []
            for try await row in try await connection.query(query, logger: logger) {
                result.append(SQLRow(try row.map(Self.value)))
            }
            return result
        } catch let error as PSQLError {
            throw SQLError(error)
        }
    }

    func execute(_ sql: String, _ binds: [SQLValue]) async throws -> Int {
        switch PlaceholderRewriter.counting(sql) {
        case .returning: return try await query(sql, binds).count
        case .appendReturning(let counted): return try await query(counted, binds).count
        case .none:
            _ = try await query(sql, binds)
            return 0
        }
    }

    func insert(_ sql: String, _ binds: [SQLValue], rows: Int) async throws -> [Int64] {
        try await query(sql + " RETURNING id", binds).map { $0.int(0) }
    }

    static func value(_ cell: PostgresCell) throws -> SQLValue {
        guard cell.bytes != nil else { return .null }
        switch cell.dataType {
        case .int8, .int4, .int2, .oid: return .integer(try cell.decode(Int64.self))
        case .bool: return .integer(try cell.decode(Bool.self) ? 1 : 0)
        case .float8, .float4: return .real(try cell.decode(Double.self))
        case .numeric:
            // SUM over BIGINT is NUMERIC in PostgreSQL; sums of money are integers.
            let decimal = try cell.decode(Decimal.self)
            let number = NSDecimalNumber(decimal: decimal)
            return decimal == Decimal(number.int64Value) ? .integer(number.int64Value) : .real(number.doubleValue)
        case .bytea: return .blob(Array(buffer: try cell.decode(ByteBuffer.self)))
        default: return .text(try cell.decode(String.self))
        }
    }
}

extension SQLError {
    /// From any error PostgresNIO throws: the new API's PSQLError, or the PostgresError of the
    /// prepared-statement API.
    init(_ error: any Error) {
        if let error = error as? PSQLError {
            self.init(error)
        } else if case .server(let server) = error as? PostgresError {
            let state = server.fields[.sqlState]
            let detail = server.fields[.detail].map { " (\($0))" } ?? ""
            self.init(message: "postgres: \(server.fields[.message] ?? "error")\(detail)", isConstraintViolation: state?.hasPrefix("23") ?? false,
                      sqlState: state, constraint: server.fields[.constraintName])
        } else if let error = error as? SQLError {
            self = error
        } else {
            self.init(message: "postgres: \(String(reflecting: error))", isConstraintViolation: false)
        }
    }

    init(_ error: PSQLError) {
        let state = error.serverInfo?[.sqlState]
        let message = error.serverInfo?[.message] ?? "\(error.code)"
        let detail = error.serverInfo?[.detail].map { " (\($0))" } ?? ""
        self.init(message: "postgres: \(message)\(detail)", isConstraintViolation: state?.hasPrefix("23") ?? false, sqlState: state,
                  constraint: error.serverInfo?[.constraintName])
    }
}

/// The engine writes `?` placeholders on every engine; PostgreSQL numbers them (`$1`, `$2`, ...).
/// Rewritten statements are cached: the engine uses a fixed set of them.
enum PlaceholderRewriter {
    private static let cache = Mutex([String: String]())
    private static let countingCache = Mutex([String: Counting]())

    /// How `execute` counts the rows a statement changed: RETURNING gives the changed rows back, and
    /// counting them is exact and needs no command tag. (The engine's data-changing statements are
    /// INSERT, UPDATE, DELETE, or WITH ... UPDATE.)
    enum Counting: Sendable {
        case returning
        case appendReturning(String)
        case none
    }

    static func counting(_ sql: String) -> Counting {
        if let known = countingCache.withLock({ $0[sql] }) { return known }
        let counting: Counting
        if sql.range(of: "RETURNING", options: [.caseInsensitive, .backwards]) != nil {
            counting = .returning
        } else if ["INSERT", "UPDATE", "DELETE", "WITH"].contains(keyword(sql)) {
            counting = .appendReturning(sql + " RETURNING 1")
        } else {
            counting = .none
        }
        countingCache.withLock { if $0.count < 4096 { $0[sql] = counting } }
        return counting
    }

    /// The statement's first keyword, upper-cased: SELECT, WITH, BEGIN and so on.
    static func keyword(_ sql: String) -> String {
        sql.drop { $0.isWhitespace }.prefix { $0.isLetter }.uppercased()
    }

    static func numbered(_ sql: String) -> String {
        if let known = cache.withLock({ $0[sql] }) { return known }
        let out = numbered(sql, casts: [])
        cache.withLock { if $0.count < 4096 { $0[sql] = out } }
        return out
    }

    /// Numbers the placeholders, casting the n-th to `casts[n-1]` where one is given.
    static func numbered(_ sql: String, casts: [String?]) -> String {
        var out = ""
        out.reserveCapacity(sql.utf8.count + 16)
        var n = 0
        var inString = false
        for ch in sql {
            if ch == "'" { inString.toggle() }
            if ch == "?" && !inString {
                n += 1
                out += "$\(n)"
                if n <= casts.count, let cast = casts[n - 1] { out += "::" + cast }
            } else {
                out.append(ch)
            }
        }
        return out
    }
}
