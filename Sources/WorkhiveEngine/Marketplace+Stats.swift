import WorkhiveCore

/// Counts for summaries and operators.
public struct MarketplaceStats: Sendable, Codable, Equatable {
    public var tasksByState: [String: Int]
    public var verificationSlotsByState: [String: Int]
    public var submissionsByState: [String: Int]
    public var votesByVerdict: [String: Int]
    public var openEscrows: Int

    /// Work tasks not yet in a final state.
    public var unsettledTasks: Int {
        tasksByState.filter { TaskState(rawValue: $0.key)?.isFinal == false }.values.reduce(0, +)
    }
}

extension Marketplace {
    public func stats() async throws -> MarketplaceStats {
        try await read { tx in
            func grouped(_ sql: String) async throws -> [String: Int] {
                Dictionary(uniqueKeysWithValues: try await tx.query(sql, []).map { ($0.text(0), Int($0.int(1))) })
            }
            return MarketplaceStats(
                tasksByState: try await grouped("SELECT state, COUNT(*) FROM tasks WHERE task_type <> 'verify' GROUP BY state"),
                verificationSlotsByState: try await grouped("SELECT state, COUNT(*) FROM tasks WHERE task_type = 'verify' GROUP BY state"),
                submissionsByState: try await grouped("SELECT state, COUNT(*) FROM submissions GROUP BY state"),
                votesByVerdict: try await grouped("SELECT verdict, COUNT(*) FROM votes GROUP BY verdict"),
                openEscrows: Int(try await tx.queryOne("SELECT COUNT(*) FROM tasks WHERE escrow_open = 1", [])!.int(0)))
        }
    }

    /// Whether an admin owner exists yet (a new data directory has none).
    public func hasAdmin() async throws -> Bool {
        try await read { tx in try await tx.queryOne("SELECT 1 FROM owners WHERE role = 'admin' LIMIT 1", []) != nil }
    }
}
