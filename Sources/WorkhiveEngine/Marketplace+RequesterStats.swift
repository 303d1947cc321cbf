import WorkhiveCore

/// How a requester treats the work done for it, for workers deciding whether to take its tasks:
/// a requester whose verification rejects most work, or whose rejections are often overturned on
/// appeal, shows it here. Counts cover its own tasks (not fleet sub-tasks, which a master posts to
/// its own fleet) and are final: a rejection overturned on appeal counts as an approval.
public struct RequesterStatsView: Sendable, Codable, Equatable {
    public var requesterId: OwnerID
    public var tasksPosted: Int
    public var submissionsApproved: Int
    public var submissionsRejected: Int
    /// Rejected ÷ decided submissions; 0 while none is decided.
    public var rejectionRate: Double
    public var appealsFiled: Int
    /// Appeals that overturned a rejection of this requester's tasks.
    public var appealsWon: Int
    /// Appeals that confirmed the rejection.
    public var appealsUpheld: Int
    public var appealsPending: Int
}

extension Marketplace {
    /// Any signed-in owner or worker may read any requester's statistics.
    public func requesterStats(_ principal: Principal, requester: OwnerID) async throws -> RequesterStatsView {
        return try await read { tx in
            guard try await tx.queryOne("SELECT 1 FROM owners WHERE id = ?", requester) != nil else {
                throw WorkhiveError.notFound("requester \(requester)")
            }
            let work = try await tx.queryOne("""
                SELECT (SELECT COUNT(*) FROM tasks WHERE requester_id = ? AND task_type <> 'verify' AND delegation_id IS NULL),
                       COALESCE(SUM(CASE WHEN s.state = 'approved' THEN 1 ELSE 0 END), 0),
                       COALESCE(SUM(CASE WHEN s.state = 'rejected' THEN 1 ELSE 0 END), 0)
                FROM submissions s JOIN tasks t ON t.id = s.task_id
                WHERE t.requester_id = ? AND t.task_type <> 'verify' AND t.delegation_id IS NULL
                """, requester, requester)!
            var appeals: [AppealState: Int] = [:]
            for r in try await tx.query("SELECT state, COUNT(*) FROM appeals WHERE requester_id = ? GROUP BY state", requester) {
                if let state = AppealState(rawValue: r.text(0)) { appeals[state] = Int(r.int(1)) }
            }
            let approved = Int(work.int(1)), rejected = Int(work.int(2))
            return RequesterStatsView(
                requesterId: requester, tasksPosted: Int(work.int(0)), submissionsApproved: approved, submissionsRejected: rejected,
                rejectionRate: approved + rejected == 0 ? 0 : Double(rejected) / Double(approved + rejected),
                appealsFiled: appeals.values.reduce(0, +), appealsWon: appeals[.overturned] ?? 0, appealsUpheld: appeals[.upheld] ?? 0,
                appealsPending: appeals[.pending] ?? 0)
        }
    }
}
