import WorkhiveCore

/// What one pass of the lease rescuer did.
public struct RescueReport: Sendable, Equatable {
    public var reopened = 0
    public var failed = 0
    public var cancelledSlots = 0
    public var pastDeadline = 0
    public var expiringNotified = 0
    /// Rejections whose appeal window passed without an appeal: their tasks' escrow was released.
    public var appealWindowsClosed = 0
    public var total: Int { reopened + failed + cancelledSlots + pastDeadline + appealWindowsClosed }
}

extension Marketplace {
    /// Returns expired leases to the queue (counting the attempt) or fails the task once its attempts
    /// are spent; fails tasks past their deadline; closes verification slots nobody needs; warns
    /// holders whose lease is nearly out. Every change is guarded on the state it read, so this is
    /// safe to run beside workers and on several nodes at once.
    public func rescue(limit: Int = 500) async throws -> RescueReport {
        let now = self.now()
        let fraction = configuration.expiringLeaseFraction
        return try await transact { tx, events in
            var report = RescueReport()
            try await self.keepDelegatingParentsAlive(tx, now: now)
            let expired = try await tx.query(
                "SELECT \(Self.taskColumns) FROM tasks WHERE state = 'claimed' AND lease_expires_at <= ? ORDER BY lease_expires_at LIMIT ?",
                now, limit)
            for row in expired {
                let id: TaskID = row.id(0)
                let guardSQL = "WHERE id = ? AND state = 'claimed' AND claim_id = ? AND lease_expires_at <= ?"
                let claim = row.int(25)
                if row.optionalInt(21) != nil {  // a verification slot
                    // Still wanted while its submission (or, for an appeal's slot, its appeal) is undecided.
                    let open = try await tx.queryOne("""
                        SELECT COALESCE(a.state, b.state) FROM tasks s JOIN submissions b ON b.id = s.submission_id
                        LEFT JOIN appeals a ON a.id = s.appeal_id WHERE s.id = ?
                        """, id)?.text(0) == "pending"
                    let reopen = open && row.int(18) < row.int(9)
                    let changed = reopen
                        ? try await tx.execute("UPDATE tasks SET state = 'open', lease_expires_at = NULL, updated_at = ? \(guardSQL)", now, id, claim, now)
                        : try await tx.execute("UPDATE tasks SET state = 'cancelled', failure_reason = 'lease_expired', updated_at = ? \(guardSQL)", now, id, claim, now)
                    // The holder leaves the panel, unless it voted just now (PostgreSQL: another node's transaction).
                    if changed > 0 { try await self.leaveSeat(slot: id, tx) }
                    if reopen {
                        events.append(.taskAvailable(Self.availability(row)))
                        report.reopened += 1
                    } else {
                        report.cancelledSlots += 1
                        if let parent: TaskID = row.optionalID(20) { try await self.closeEscrowIfDone(parent, tx, now: now) }
                    }
                    continue
                }
                switch Lifecycle.afterLeaseLost(attempts: Int(row.int(18)), maxAttempts: Int(row.int(9)), countsAttempt: true) {
                case .reopen:
                    try await tx.execute("UPDATE tasks SET state = 'open', lease_expires_at = NULL, updated_at = ? \(guardSQL)", now, id, claim, now)
                    events.append(.taskAvailable(Self.availability(row)))
                    report.reopened += 1
                case .fail(let reason):
                    try await tx.execute("UPDATE tasks SET state = 'failed', failure_reason = ?, updated_at = ? \(guardSQL)", reason, now, id, claim, now)
                    try await self.closeEscrowIfDone(id, tx, now: now)
                    report.failed += 1
                case .approve, .reject:
                    break
                }
                try await self.endDelegations(of: id, claim: ClaimID(claim), outcome: row.int(18) < row.int(9) ? .open : .failed, tx, events, now: now)
            }
            let overdue = try await tx.query("""
                UPDATE tasks SET state = 'failed', failure_reason = 'deadline_passed', updated_at = ?
                WHERE id IN (SELECT id FROM tasks WHERE deadline_at IS NOT NULL AND deadline_at <= ? AND state IN ('open','claimed')
                             AND task_type <> 'verify' LIMIT ?)
                RETURNING id, claim_id
                """, now, now, limit)
            for row in overdue {
                try await self.closeEscrowIfDone(row.id(0), tx, now: now)
                if let claim: ClaimID = row.optionalID(1) { try await self.endDelegations(of: row.id(0), claim: claim, outcome: .failed, tx, events, now: now) }
            }
            report.pastDeadline = overdue.count

            // Appeal windows that passed without an appeal: the escrow kept for one is released.
            let lapsed = try await tx.query("""
                UPDATE tasks SET appeal_until = NULL
                WHERE id IN (SELECT id FROM tasks WHERE appeal_until IS NOT NULL AND appeal_until <= ? LIMIT ?)
                RETURNING id
                """, now, limit)
            for row in lapsed { try await self.closeEscrowIfDone(row.id(0), tx, now: now) }
            report.appealWindowsClosed = lapsed.count

            let expiring = try await tx.query("""
                UPDATE tasks SET expiring_notified = 1
                WHERE state = 'claimed' AND expiring_notified = 0 AND lease_expires_at > ?
                  AND lease_expires_at - ? <= lease_seconds * ?
                RETURNING claim_id, id, worker_id, lease_expires_at
                """, now, now, fraction * 1000)
            for r in expiring {
                events.append(.claimExpiring(claim: r.id(0), task: r.id(1), worker: r.id(2), leaseExpiresAtMillis: r.int(3)))
            }
            report.expiringNotified = expiring.count
            return report
        }
    }

    /// Runs `rescue` every `interval` until cancelled, telling `onReport` what each pass did.
    public func runRescuer(every interval: Duration, onReport: @Sendable (RescueReport) -> Void = { _ in }) async {
        while !Task.isCancelled {
            do {
                let report = try await rescue()
                onReport(report)
                if report.total > 0 {
                    logger.info("lease rescuer", metadata: [
                        "reopened": "\(report.reopened)", "failed": "\(report.failed)",
                        "cancelled_slots": "\(report.cancelledSlots)", "past_deadline": "\(report.pastDeadline)",
                    ])
                }
            } catch {
                logger.error("lease rescuer failed: \(error)")
            }
            try? await Task.sleep(for: interval)
        }
    }
}
