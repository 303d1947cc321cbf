import WorkhiveCore

/// Recomputes the ledger from its transfers and checks every invariant the platform promises.
/// Used by `workhive ledger check` and after every operation in the tests.
public struct LedgerAudit: Sendable {
    public var problems: [String]
    public var accounts: Int
    public var transfers: Int
    public var ok: Bool { problems.isEmpty }

    public static func run(_ db: any SQLDatabase) async throws -> LedgerAudit {
        try await db.read { tx in
            var problems: [String] = []
            let sums = try await tx.queryOne("""
                SELECT COALESCE(SUM(debits_posted),0), COALESCE(SUM(credits_posted),0),
                       COALESCE(SUM(debits_pending),0), COALESCE(SUM(credits_pending),0), COUNT(*) FROM accounts
                """, [])!
            if sums.int(0) != sums.int(1) { problems.append("posted debits \(sums.int(0)) != posted credits \(sums.int(1))") }
            if sums.int(2) != sums.int(3) { problems.append("pending debits \(sums.int(2)) != pending credits \(sums.int(3))") }

            // Every account's totals, recomputed from the immutable transfers.
            let side = """
                SUM(CASE kind WHEN 'pending' THEN amount WHEN 'posted' THEN 0 ELSE -amount END) AS pending,
                SUM(CASE WHEN kind IN ('posted','post') THEN amount ELSE 0 END) AS posted
                """
            let mismatched = try await tx.query("""
                SELECT a.id, a.kind, a.debits_pending, a.debits_posted, a.credits_pending, a.credits_posted,
                       COALESCE(d.pending,0), COALESCE(d.posted,0), COALESCE(c.pending,0), COALESCE(c.posted,0)
                FROM accounts a
                LEFT JOIN (SELECT debit_account_id AS id, \(side) FROM transfers GROUP BY debit_account_id) d ON d.id = a.id
                LEFT JOIN (SELECT credit_account_id AS id, \(side) FROM transfers GROUP BY credit_account_id) c ON c.id = a.id
                WHERE a.debits_pending <> COALESCE(d.pending,0) OR a.debits_posted <> COALESCE(d.posted,0)
                   OR a.credits_pending <> COALESCE(c.pending,0) OR a.credits_posted <> COALESCE(c.posted,0)
                LIMIT 20
                """, [])
            for r in mismatched {
                problems.append("account \(r.int(0)) (\(r.text(1))) totals \(r.int(2))/\(r.int(3))/\(r.int(4))/\(r.int(5)) but transfers give \(r.int(6))/\(r.int(7))/\(r.int(8))/\(r.int(9))")
            }

            for r in try await tx.query("""
                SELECT id, kind FROM accounts WHERE kind <> 'deposits' AND debits_posted + debits_pending > credits_posted LIMIT 20
                """, []) {
                problems.append("account \(r.int(0)) (\(r.text(1))) is overdrawn")
            }

            // No pending transfer resolves for more than it held.
            for r in try await tx.query("""
                SELECT p.id, p.amount, SUM(r.amount) FROM transfers p JOIN transfers r ON r.pending_id = p.id
                WHERE p.kind = 'pending' GROUP BY p.id, p.amount HAVING SUM(r.amount) > p.amount LIMIT 20
                """, []) {
                problems.append("pending transfer \(r.int(0)) of \(r.int(1)) resolved for \(r.int(2))")
            }

            // Settled tasks: escrow closed once nothing can draw on it (an appeal window still may), and the
            // reward paid exactly once.
            for r in try await tx.query("""
                SELECT t.id, t.state, a.credits_pending, a.credits_posted - a.debits_posted FROM tasks t
                JOIN accounts a ON a.id = t.escrow_account_id
                WHERE t.task_type <> 'verify' AND t.state IN ('approved','rejected','failed','cancelled') AND t.appeal_until IS NULL
                  AND NOT EXISTS (SELECT 1 FROM submissions b JOIN tasks s ON s.submission_id = b.id
                                  WHERE b.task_id = t.id AND s.state IN ('open','claimed'))
                  AND (t.escrow_open <> 0 OR a.credits_pending <> 0 OR a.credits_posted <> a.debits_posted)
                LIMIT 20
                """, []) {
                problems.append("task \(r.int(0)) is \(r.text(1)) but its escrow still holds \(r.int(2)) pending, \(r.int(3)) posted")
            }
            for r in try await tx.query("""
                SELECT t.id, t.state, COUNT(x.id) FROM tasks t
                LEFT JOIN transfers x ON x.task_id = t.id AND x.reason = 'reward'
                WHERE t.task_type <> 'verify'
                GROUP BY t.id, t.state
                HAVING (t.state = 'approved' AND COUNT(x.id) <> 1) OR (t.state <> 'approved' AND COUNT(x.id) <> 0)
                LIMIT 20
                """, []) {
                problems.append("task \(r.int(0)) is \(r.text(1)) and was paid \(r.int(2)) times")
            }
            // A paid vote has exactly one verifier-reward transfer, unless its slot carries no reward
            // (verifier_reward 0 is allowed): then it is settled without one.
            for r in try await tx.query("""
                SELECT v.id, COUNT(x.id) FROM votes v
                LEFT JOIN tasks s ON s.id = v.slot_task_id
                LEFT JOIN transfers x ON x.task_id = s.id AND x.reason = 'verifier_reward'
                GROUP BY v.id, v.paid, s.reward HAVING COUNT(x.id) <> (CASE WHEN s.reward > 0 THEN v.paid ELSE 0 END) LIMIT 20
                """, []) {
                problems.append("vote \(r.int(0)) was paid \(r.int(1)) times")
            }
            problems += try await payoutProblems(tx)
            if tx.dialect == .sqlite {
                for r in try await tx.query("PRAGMA foreign_key_check", []).prefix(20) {
                    problems.append("row \(r.int(1)) of \(r.text(0)) refers to a missing row of \(r.text(2))")
                }
            }
            let transfers = try await tx.queryOne("SELECT COUNT(*) FROM transfers", [])!.int(0)
            return LedgerAudit(problems: problems, accounts: Int(sums.int(4)), transfers: Int(transfers))
        }
    }
}
