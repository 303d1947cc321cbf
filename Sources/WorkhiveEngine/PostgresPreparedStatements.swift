import PostgresNIO
import Synchronization

/// Named prepared statements for the engine's SQL. Each distinct statement, with the types of its
/// parameters, is prepared once per connection and then only bound and executed, so PostgreSQL
/// parses and plans it once per connection instead of on every call: under load, parsing and
/// planning were over half of the server's CPU. (A pooler in transaction mode, which moves one
/// session's statements between server connections, would break this: connect to PostgreSQL
/// directly, or through a pooler in session mode.)
final class PostgresPreparedStatements: Sendable {
    /// A statement as prepared: its SQL and the types of its parameters.
    private struct Key: Hashable {
        let sql: String
        let types: [String?]
    }

    private struct State {
        /// Each open connection's statements.
        var prepared: [PostgresConnection.ID: [Key: PreparedQuery]] = [:]
        /// Statements PostgreSQL would not prepare; they run unprepared.
        var refused: Set<Key> = []
    }
    private let state = Mutex(State())
    /// Statements kept per connection; past this, new ones run unprepared. The engine has a few hundred.
    private let limit: Int

    init(limit: Int = 1_000) { self.limit = limit }

    /// The prepared form of `sql` (with `?` placeholders) for these binds on `connection`, prepared
    /// now if needed; nil to run it unprepared (statements other than queries and data changes, or
    /// past the limit).
    func statement(_ sql: String, binds: [SQLValue], on connection: PostgresConnection, logger: Logger) async throws -> PreparedQuery? {
        guard Self.isPreparable(sql) else { return nil }
        // A NULL has no type of its own: PostgreSQL infers it from where the parameter is used, as
        // it does for an unprepared statement.
        let types = binds.map { value -> String? in
            switch value {
            case .null: nil
            case .integer: "int8"
            case .real: "float8"
            case .text: "text"
            case .blob: "bytea"
            }
        }
        let key = Key(sql: sql, types: types)
        let id = connection.id
        let (known, isNewConnection, runUnprepared) = state.withLock { s in
            (s.prepared[id]?[key], s.prepared[id] == nil, s.refused.contains(key) || (s.prepared[id]?.count ?? 0) >= limit)
        }
        if let known { return known }
        if runUnprepared { return nil }
        // The parameter types are written into the statement: prepared without declared types,
        // PostgreSQL would infer them, and an inferred int4 cannot take the int8 bound to it.
        let typed = PlaceholderRewriter.numbered(sql, casts: types)
        let prepared: PreparedQuery
        do {
            prepared = try await connection.prepare(query: typed).get()
        } catch {
            logger.warning("could not prepare a statement; it runs unprepared from now on", metadata: ["error": "\(String(reflecting: error))"])
            state.withLock { _ = $0.refused.insert(key) }
            throw SQLError(error)
        }
        state.withLock { $0.prepared[id, default: [:]][key] = prepared }
        if isNewConnection {
            // Forget a closed connection's statements: the server dropped them with its session.
            connection.closeFuture.whenComplete { [self] _ in state.withLock { _ = $0.prepared.removeValue(forKey: id) } }
        }
        return prepared
    }

    static func isPreparable(_ sql: String) -> Bool {
        ["SELECT", "INSERT", "UPDATE", "DELETE", "WITH"].contains(PlaceholderRewriter.keyword(sql))
    }
}
