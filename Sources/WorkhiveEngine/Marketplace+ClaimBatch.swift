import WorkhiveCore

/// A claim of ordinary work waiting for its batch (see `Combiner`): claimers that would be given
/// the same tasks (same type, capabilities, kind and owner) are served by one statement.
struct PendingClaim: Sendable {
    struct Key: Hashable, Sendable {
        let taskType: String
        let capabilities: String
        let human: Bool
        let owner: OwnerID
    }
    let worker: WorkerID
    let key: Key
}

/// What a batched claim came to: a claimed row as `attemptClaim`'s statement returns it, no work,
/// or a claim this path leaves to that statement.
enum BatchedClaim: Sendable {
    case claimed(SQLRow)
    case nothing
    case alone
}

extension Marketplace {
    /// Claims for several claimers at once: per key, one statement takes up to one open task per
    /// claimer (best first: priority, then age) and leases each to one of them, in the order they
    /// came. It applies the rules `attemptClaim` applies to ordinary work (no verification slots,
    /// no gold draws, no fleet sub-tasks: those claim alone). A claimer stopped meanwhile gets
    /// nothing, and the others are served as if it had not come.
    func writeClaims(_ items: [PendingClaim]) async -> [Result<BatchedClaim, any Error>] {
        var outputs = [Result<BatchedClaim, any Error>](repeating: .success(.alone), count: items.count)
        var groups: [PendingClaim.Key: [Int]] = [:]
        var seen = Set<WorkerID>()
        // A claimer with two claims in the batch sends its second alone: rows are told apart by worker.
        for (i, item) in items.enumerated() where seen.insert(item.worker).inserted {
            groups[item.key, default: []].append(i)
        }
        // Each key's statement on a connection of its own, side by side, as single claims ran.
        let results = await withTaskGroup(of: (PendingClaim.Key, Result<[SQLRow], any Error>).self) { group in
            for (key, members) in groups {
                group.addTask {
                    let now = self.now()
                    let binds = members.enumerated().flatMap { [items[$0.element].worker.sqlValue, .integer(Int64($0.offset + 1))] }
                        + [.text(key.taskType), .text(key.capabilities), .integer(now), key.human.sqlValue, key.owner.sqlValue,
                           key.owner.sqlValue, .integer(Int64(members.count)), .integer(now), .integer(now), .integer(now)]
                    do {
                        return (key, .success(try await self.database.autocommit { tx in
                            try await tx.query(Self.batchedClaimSQL(claimers: members.count, dialect: tx.dialect), binds)
                        }))
                    } catch {
                        return (key, .failure(error))
                    }
                }
            }
            return await group.reduce(into: [:]) { $0[$1.0] = $1.1 }
        }
        for (key, result) in results {
            let members = groups[key]!
            switch result {
            case .success(let rows):
                let byWorker = Dictionary(uniqueKeysWithValues: rows.map { ($0.id(5) as WorkerID, $0) })
                for i in members { outputs[i] = .success(byWorker[items[i].worker].map { .claimed($0.removing(5)) } ?? .nothing) }
            case .failure(let error):
                // Not retried alone: the statement may have committed with its answer lost, and a
                // second claim would lease each claimer a second task.
                for i in members { outputs[i] = .failure(error) }
            }
        }
        return outputs
    }

    /// The claim statement for `claimers` claimers of one key. Its rows are those of the single
    /// claim statement with the claimer's worker id inserted at column 5.
    static func batchedClaimSQL(claimers: Int, dialect: SQLDialect) -> String {
        """
        WITH v(worker, ord) AS (VALUES \(placeholders(rows: claimers, columns: 2))),
        w AS (SELECT worker, row_number() OVER (ORDER BY ord) AS ord FROM v
              WHERE NOT EXISTS (SELECT 1 FROM workers x WHERE x.id = v.worker AND (x.suspended = 1 OR x.paused = 1))),
        picked AS MATERIALIZED (
            SELECT id, row_number() OVER (ORDER BY priority DESC, id) AS ord FROM (
                SELECT t.id, t.priority FROM tasks t
                WHERE t.state = 'open' AND t.task_type = ? AND t.submission_id IS NULL
                  AND (t.required_caps = '' OR caps_subset(t.required_caps, ?))
                  AND (t.deadline_at IS NULL OR t.deadline_at > ?)
                  AND (t.human_only = 0 OR ? = 1)
                  AND (t.exclude_owner_id IS NULL OR t.exclude_owner_id <> ?)
                  AND t.fleet_master_id IS NULL
                  AND (t.appeal_id IS NULL OR t.requester_id <> ?)
                  AND t.gold_result IS NULL
                ORDER BY t.priority DESC, t.id
                LIMIT ? \(dialect.skipLocked)) s)
        UPDATE tasks SET state = 'claimed', claim_id = tasks.id * 128 + tasks.attempts + 1, worker_id = w.worker, claimed_at = ?,
            lease_expires_at = ? + tasks.lease_seconds * 1000, attempts = tasks.attempts + 1, expiring_notified = 0, updated_at = ?
        FROM picked JOIN w ON w.ord = picked.ord
        WHERE tasks.id = picked.id
        RETURNING tasks.id, tasks.lease_expires_at, tasks.attempts, tasks.claim_id, tasks.submission_id, tasks.worker_id\(dialect == .postgres
            ? ", " + prefixed(taskColumns, "tasks") : "")
        """
    }
}

extension SQLRow {
    /// The row without column `i`.
    func removing(_ i: Int) -> SQLRow {
        var values = values
        values.remove(at: i)
        return SQLRow(values)
    }
}
