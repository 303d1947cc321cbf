import WorkhiveCore

/// A value bound to or read from SQL. Money, ids and timestamps are integers; JSON is text.
public enum SQLValue: Sendable, Equatable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
    case blob([UInt8])
}

extension SQLValue: ExpressibleByIntegerLiteral, ExpressibleByStringLiteral, ExpressibleByNilLiteral {
    public init(integerLiteral value: Int64) { self = .integer(value) }
    public init(stringLiteral value: String) { self = .text(value) }
    public init(nilLiteral: ()) { self = .null }
}

/// Values that bind to SQL; typed IDs bind as their integer.
public protocol SQLBindable { var sqlValue: SQLValue { get } }
extension Int64: SQLBindable { public var sqlValue: SQLValue { .integer(self) } }
extension Int: SQLBindable { public var sqlValue: SQLValue { .integer(Int64(self)) } }
extension Bool: SQLBindable { public var sqlValue: SQLValue { .integer(self ? 1 : 0) } }
extension Double: SQLBindable { public var sqlValue: SQLValue { .real(self) } }
extension String: SQLBindable { public var sqlValue: SQLValue { .text(self) } }
extension ID: SQLBindable { public var sqlValue: SQLValue { .integer(rawValue) } }
extension Optional: SQLBindable where Wrapped: SQLBindable {
    public var sqlValue: SQLValue { self?.sqlValue ?? .null }
}
extension SQLValue: SQLBindable { public var sqlValue: SQLValue { self } }

/// One result row, read by column position (queries name their columns explicitly).
public struct SQLRow: Sendable {
    public var values: [SQLValue]
    public init(_ values: [SQLValue]) { self.values = values }

    public func int(_ i: Int) -> Int64 {
        switch values[i] {
        case .integer(let v): v
        case .real(let d): Int64(d)
        case .text(let s): Int64(s) ?? 0
        default: 0
        }
    }
    public func optionalInt(_ i: Int) -> Int64? { if case .null = values[i] { nil } else { int(i) } }
    public func text(_ i: Int) -> String {
        switch values[i] {
        case .text(let s): s
        case .integer(let v): String(v)
        case .real(let d): String(d)
        default: ""
        }
    }
    public func optionalText(_ i: Int) -> String? { if case .null = values[i] { nil } else { text(i) } }
    public func double(_ i: Int) -> Double {
        switch values[i] {
        case .real(let d): d
        case .integer(let v): Double(v)
        default: 0
        }
    }
    public func bool(_ i: Int) -> Bool { int(i) != 0 }
    /// `count` columns from `start`, as a row of their own.
    public func slice(_ start: Int, _ count: Int) -> SQLRow { SQLRow(Array(values[start..<(start + count)])) }
    public func id<T>(_ i: Int) -> ID<T> { ID(rawValue: int(i)) }
    public func optionalID<T>(_ i: Int) -> ID<T>? { optionalInt(i).map { ID(rawValue: $0) } }
}

/// The two SQL engines Workhive runs on; the few places their SQL differs ask this.
public enum SQLDialect: String, Sendable {
    case sqlite, postgres

    /// Appended to the row pick of a claim: on PostgreSQL concurrent claimers skip the rows others
    /// are taking instead of queueing behind them. SQLite has one writer, so nothing to skip.
    var skipLocked: String { self == .postgres ? "FOR UPDATE SKIP LOCKED" : "" }
}

/// Runs statements inside one transaction. Statements use `?` placeholders on every engine.
public protocol SQLExecutor: Sendable {
    var dialect: SQLDialect { get }
    func query(_ sql: String, _ binds: [SQLValue]) async throws -> [SQLRow]
    /// Runs a statement and returns the number of rows it changed.
    @discardableResult func execute(_ sql: String, _ binds: [SQLValue]) async throws -> Int
    /// Runs an INSERT of `rows` rows (no RETURNING clause) into a table keyed by an integer `id`
    /// and returns the new ids in insertion order. SQLite reads them off the connection, which is
    /// cheaper than RETURNING; other engines append `RETURNING id`.
    func insert(_ sql: String, _ binds: [SQLValue], rows: Int) async throws -> [Int64]
}

extension SQLExecutor {
    public func query(_ sql: String, _ binds: any SQLBindable...) async throws -> [SQLRow] {
        try await query(sql, binds.map(\.sqlValue))
    }
    public func queryOne(_ sql: String, _ binds: any SQLBindable...) async throws -> SQLRow? {
        try await query(sql, binds.map(\.sqlValue)).first
    }
    public func queryOne(_ sql: String, _ binds: [SQLValue]) async throws -> SQLRow? {
        try await query(sql, binds).first
    }
    @discardableResult public func execute(_ sql: String, _ binds: any SQLBindable...) async throws -> Int {
        try await execute(sql, binds.map(\.sqlValue))
    }
    /// Inserts one row and returns its id.
    public func insert(_ sql: String, _ binds: any SQLBindable...) async throws -> Int64 {
        try await insert(sql, binds.map(\.sqlValue), rows: 1)[0]
    }
}

/// A database: serialized write transactions and concurrent reads.
public protocol SQLDatabase: Sendable {
    var dialect: SQLDialect { get }
    /// Runs `body` in a write transaction. A thrown error rolls back everything `body` wrote and
    /// reaches the caller; the result is returned only after the transaction commits.
    func write<T: Sendable>(_ body: @escaping @Sendable (any SQLExecutor) async throws -> T) async throws -> T
    /// Runs `body` against a consistent read snapshot.
    func read<T: Sendable>(_ body: @escaping @Sendable (any SQLExecutor) async throws -> T) async throws -> T
    /// Runs `body`, whose statements are each whole by themselves, with every statement committing
    /// on its own. PostgreSQL then needs no BEGIN and COMMIT around a one-statement write such as a
    /// claim; SQLite runs `body` as a write, which costs it nothing more.
    func autocommit<T: Sendable>(_ body: @escaping @Sendable (any SQLExecutor) async throws -> T) async throws -> T
    /// Runs `body`, which reads with a single statement (one statement sees one snapshot by itself).
    /// PostgreSQL then needs no BEGIN and COMMIT around it; SQLite runs it as a read.
    func readStatement<T: Sendable>(_ body: @escaping @Sendable (any SQLExecutor) async throws -> T) async throws -> T
    func close() async
}

extension SQLDatabase {
    public func autocommit<T: Sendable>(_ body: @escaping @Sendable (any SQLExecutor) async throws -> T) async throws -> T {
        try await write(body)
    }

    public func readStatement<T: Sendable>(_ body: @escaping @Sendable (any SQLExecutor) async throws -> T) async throws -> T {
        try await read(body)
    }
}

/// A failure of the database itself, as opposed to a refused operation.
public struct SQLError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public var isConstraintViolation: Bool
    /// PostgreSQL's SQLSTATE code, when the server sent one.
    public var sqlState: String?
    /// The constraint a violation broke, when PostgreSQL named it.
    public var constraint: String?
    public var description: String { message }
    public init(message: String, isConstraintViolation: Bool, sqlState: String? = nil, constraint: String? = nil) {
        self.message = message
        self.isConstraintViolation = isConstraintViolation
        self.sqlState = sqlState
        self.constraint = constraint
    }
}
