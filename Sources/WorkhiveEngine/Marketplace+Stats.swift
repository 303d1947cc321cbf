import WorkhiveCore

/// Counts for summaries and operators.
public struct MarketplaceStats: Sendable, Codable, Equatable {
    public var tasksByState: [String: Int]
    public var verificationSlotsByState: [String: Int]
    public var submissionsByState: [String: Int]
    public var votesByVerdict: [String: Int]
    public var openEscrows: Int
    /// Of those, ended tasks whose escrow waits only for a rejection's appeal window (see `Schema.appeals`).
    public var escrowsAwaitingAppeal: Int

    /// Escrows still settling: open for anything but an appeal window.
    public var escrowsSettling: Int { openEscrows - escrowsAwaitingAppeal }

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
                openEscrows: Int(try await tx.queryOne("SELECT COUNT(*) FROM tasks WHERE escrow_open = 1", [])!.int(0)),
                escrowsAwaitingAppeal: Int(try await tx.queryOne("""
                    SELECT COUNT(*) FROM tasks WHERE escrow_open = 1 AND appeal_until IS NOT NULL AND state IN ('rejected','failed','cancelled')
                      AND NOT EXISTS (SELECT 1 FROM tasks s WHERE s.parent_task_id = tasks.id AND s.task_type = 'verify' AND s.state IN ('open','claimed'))
                    """, [])!.int(0)))
        }
    }

    /// Whether an admin owner exists yet (a new data directory has none).
    public func hasAdmin() async throws -> Bool {
        try await read { tx in try await tx.queryOne("SELECT 1 FROM owners WHERE role = 'admin' LIMIT 1", []) != nil }
    }
}
