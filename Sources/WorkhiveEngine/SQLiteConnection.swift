import CSQLite
import WorkhiveCore

/// One SQLite connection on the C API, with a prepared-statement cache. A thin wrapper of our own
/// rather than a library because the engine needs to drive one connection from its group-commit
/// writer task and call it from async engine code without a thread hop per statement.
/// Not thread-safe: its owner (the writer loop or the reader pool) serializes use.
final class SQLiteConnection: SQLExecutor, @unchecked Sendable {
    let dialect = SQLDialect.sqlite
    private var handle: OpaquePointer?
    private var statements: [String: OpaquePointer] = [:]
    /// Thread CPU time per statement, kept only while profiling (`startTiming`): two clock reads a
    /// statement are too dear to pay always.
    private var cpuTimes: [OpaquePointer: Int64]?

    /// Process-wide SQLite options, set once before the first connection.
    private static let configured: Bool = {
        _ = workhive_sqlite_configure()
        return sqlite_nio_sqlite3_initialize() == SQLITE_OK
    }()

    init(path: String, readOnly: Bool = false) throws {
        _ = Self.configured
        let flags = (readOnly ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE)) | SQLITE_OPEN_NOMUTEX
        let rc = sqlite_nio_sqlite3_open_v2(path, &handle, flags, nil)
        guard rc == SQLITE_OK else {
            let message = handle.map { String(cString: sqlite_nio_sqlite3_errmsg($0)) } ?? "out of memory"
            sqlite_nio_sqlite3_close(handle)
            handle = nil
            throw SQLError(message: "cannot open \(path): \(message)", isConstraintViolation: false)
        }
        _ = workhive_sqlite_tune(handle)
        sqlite_nio_sqlite3_busy_timeout(handle, 10_000)
        sqlite_nio_sqlite3_extended_result_codes(handle, 1)
        registerFunctions()
    }

    deinit { close() }

    /// Finalizes the cached statements and closes the connection; later use fails with SQLite's
    /// misuse error. Its owner calls it once nothing else runs on the connection.
    func close() {
        guard let open = handle else { return }
        for statement in statements.values { sqlite_nio_sqlite3_finalize(statement) }
        statements = [:]
        sqlite_nio_sqlite3_close_v2(open)
        handle = nil
    }

    /// Calls `hook` with `context` and the WAL's size in pages after each commit (nil removes it).
    func setWALHook(_ hook: (@convention(c) (UnsafeMutableRawPointer?, OpaquePointer?, UnsafePointer<CChar>?, Int32) -> Int32)?,
                    context: UnsafeMutableRawPointer?) {
        sqlite_nio_sqlite3_wal_hook(handle, hook, context)
    }

    /// Runs one or more statements without results (pragmas, DDL, BEGIN/COMMIT).
    func exec(_ sql: String) throws {
        var errorMessage: UnsafeMutablePointer<CChar>?
        let rc = sqlite_nio_sqlite3_exec(handle, sql, nil, nil, &errorMessage)
        if rc != SQLITE_OK {
            let message = errorMessage.map { String(cString: $0) } ?? "error \(rc)"
            sqlite_nio_sqlite3_free(errorMessage)
            throw SQLError(message: "\(message) in: \(sql.prefix(200))", isConstraintViolation: (rc & 0xff) == SQLITE_CONSTRAINT)
        }
    }

    func querySync(_ sql: String, _ binds: [SQLValue]) throws -> [SQLRow] {
        try run(sql, binds) { statement in
            var rows: [SQLRow] = []
            let columns = sqlite_nio_sqlite3_column_count(statement)
            while true {
                let rc = sqlite_nio_sqlite3_step(statement)
                if rc == SQLITE_DONE { break }
                guard rc == SQLITE_ROW else { throw error(rc, sql) }
                var values: [SQLValue] = []
                values.reserveCapacity(Int(columns))
                for i in 0..<columns { values.append(column(statement, i)) }
                rows.append(SQLRow(values))
            }
            return rows
        }
    }

    @discardableResult
    func executeSync(_ sql: String, _ binds: [SQLValue]) throws -> Int {
        try run(sql, binds) { statement in
            while true {
                let rc = sqlite_nio_sqlite3_step(statement)
                if rc == SQLITE_DONE { break }
                guard rc == SQLITE_ROW else { throw error(rc, sql) }
            }
            return Int(sqlite_nio_sqlite3_changes(handle))
        }
    }

    /// The cached statement for `sql` with `binds` bound, handed to `steps`, then reset for its next
    /// use; while profiling, the steps' thread CPU time is added to the statement's.
    @inline(__always)
    private func run<T>(_ sql: String, _ binds: [SQLValue], _ steps: (OpaquePointer) throws -> T) throws -> T {
        let statement = try prepared(sql)
        defer {
            sqlite_nio_sqlite3_reset(statement)
            sqlite_nio_sqlite3_clear_bindings(statement)
        }
        try bind(binds, to: statement, sql: sql)
        let started = cpuTimes == nil ? 0 : threadCPUNanoseconds()
        defer { if cpuTimes != nil { cpuTimes![statement, default: 0] += threadCPUNanoseconds() - started } }
        return try steps(statement)
    }

    // The protocol's async requirements are met by these synchronous bodies: SQLite never suspends.
    func query(_ sql: String, _ binds: [SQLValue]) async throws -> [SQLRow] { try querySync(sql, binds) }
    @discardableResult
    func execute(_ sql: String, _ binds: [SQLValue]) async throws -> Int { try executeSync(sql, binds) }

    /// One writer per database, so the rowids of a multi-row INSERT are consecutive and end at the
    /// last inserted one.
    func insert(_ sql: String, _ binds: [SQLValue], rows: Int) async throws -> [Int64] {
        try executeSync(sql, binds)
        let last = sqlite_nio_sqlite3_last_insert_rowid(handle)
        return (0..<Int64(rows)).map { last - Int64(rows) + 1 + $0 }
    }

    /// SQLite's own counters for every statement this connection has cached: how often it ran and
    /// how many virtual-machine steps it took, which varies far less than time on a busy machine.
    func statementCounters() -> [SQLStatementCounters] {
        statements.map { sql, statement in
            SQLStatementCounters(sql: sql, runs: Int(sqlite_nio_sqlite3_stmt_status(statement, SQLITE_STMTSTATUS_RUN, 0)),
                                 steps: Int(sqlite_nio_sqlite3_stmt_status(statement, SQLITE_STMTSTATUS_VM_STEP, 0)),
                                 cpuNanoseconds: cpuTimes?[statement])
        }
    }

    /// From now on, adds up the thread CPU time each cached statement takes to run (a COMMIT's includes its writing).
    func startTiming() { if cpuTimes == nil { cpuTimes = [:] } }

    private func prepared(_ sql: String) throws -> OpaquePointer {
        if let cached = statements[sql] { return cached }
        var statement: OpaquePointer?
        let rc = sqlite_nio_sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil)
        guard rc == SQLITE_OK, let statement else { throw error(rc, sql) }
        statements[sql] = statement
        return statement
    }

    private func bind(_ binds: [SQLValue], to statement: OpaquePointer, sql: String) throws {
        for (offset, value) in binds.enumerated() {
            let i = Int32(offset + 1)
            let rc: Int32
            switch value {
            case .null: rc = sqlite_nio_sqlite3_bind_null(statement, i)
            case .integer(let v): rc = sqlite_nio_sqlite3_bind_int64(statement, i, v)
            case .real(let d): rc = sqlite_nio_sqlite3_bind_double(statement, i, d)
            case .text(let s): rc = sqlite_nio_sqlite3_bind_text(statement, i, s, -1, SQLITE_TRANSIENT)
            case .blob(let bytes):
                rc = bytes.withUnsafeBytes { sqlite_nio_sqlite3_bind_blob(statement, i, $0.baseAddress, Int32($0.count), SQLITE_TRANSIENT) }
            }
            guard rc == SQLITE_OK else { throw error(rc, sql) }
        }
    }

    private func column(_ statement: OpaquePointer, _ i: Int32) -> SQLValue {
        switch sqlite_nio_sqlite3_column_type(statement, i) {
        case SQLITE_INTEGER: return .integer(sqlite_nio_sqlite3_column_int64(statement, i))
        case SQLITE_FLOAT: return .real(sqlite_nio_sqlite3_column_double(statement, i))
        case SQLITE_TEXT: return .text(String(cString: sqlite_nio_sqlite3_column_text(statement, i)))
        case SQLITE_BLOB:
            let count = Int(sqlite_nio_sqlite3_column_bytes(statement, i))
            guard count > 0, let base = sqlite_nio_sqlite3_column_blob(statement, i) else { return .blob([]) }
            return .blob(Array(UnsafeRawBufferPointer(start: base, count: count)))
        default: return .null
        }
    }

    private func error(_ rc: Int32, _ sql: String) -> SQLError {
        let message = String(cString: sqlite_nio_sqlite3_errmsg(handle))
        return SQLError(message: "sqlite: \(message) in: \(sql.prefix(200))", isConstraintViolation: (rc & 0xff) == SQLITE_CONSTRAINT)
    }

    /// `caps_subset(required, have)`: canonical capability lists, see `Capabilities.isSubset`.
    private func registerFunctions() {
        sqlite_nio_sqlite3_create_function_v2(
            handle, "caps_subset", 2, SQLITE_UTF8 | SQLITE_DETERMINISTIC, nil,
            { context, _, args in
                guard let args, let a = sqlite_nio_sqlite3_value_text(args[0]), let b = sqlite_nio_sqlite3_value_text(args[1]) else {
                    sqlite_nio_sqlite3_result_int(context, 0)
                    return
                }
                let required = String(cString: a), have = String(cString: b)
                sqlite_nio_sqlite3_result_int(context, Capabilities.isSubset(required, of: have) ? 1 : 0)
            }, nil, nil, nil)
    }
}

/// How often one SQL statement ran on a connection and the SQLite virtual-machine steps it took.
public struct SQLStatementCounters: Sendable {
    public let sql: String
    public let runs: Int
    public let steps: Int
    /// Thread CPU time, if timing was on (`SQLiteDatabase.profileWriter`).
    public let cpuNanoseconds: Int64?
}

/// SQLite's "copy this buffer now" destructor, which the C macro cannot express in Swift.
private let SQLITE_TRANSIENT = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
