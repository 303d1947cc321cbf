import WorkhiveCore

extension LedgerAudit {
    /// Payout invariants: every payout's ledger legs match its state (queued once; sent and its fee once
    /// when confirmed, so never paid twice; refunded once when failed), the payout system accounts hold
    /// exactly what the payouts say, and payouts agree with their batches and hot wallets.
    static func payoutProblems(_ tx: any SQLExecutor) async throws -> [String] {
        var problems: [String] = []
        let legs = try await tx.query("""
            SELECT p.id, p.state, p.amount, p.fee,
                   COUNT(CASE WHEN x.reason = 'payout' THEN 1 END), COALESCE(SUM(CASE WHEN x.reason = 'payout' THEN x.amount END), 0),
                   COUNT(CASE WHEN x.reason = 'payout_sent' THEN 1 END), COALESCE(SUM(CASE WHEN x.reason = 'payout_sent' THEN x.amount END), 0),
                   COUNT(CASE WHEN x.reason = 'network_fee' THEN 1 END), COALESCE(SUM(CASE WHEN x.reason = 'network_fee' THEN x.amount END), 0),
                   COUNT(CASE WHEN x.reason = 'payout_refund' THEN 1 END), COALESCE(SUM(CASE WHEN x.reason = 'payout_refund' THEN x.amount END), 0)
            FROM payouts p LEFT JOIN transfers x ON x.payout_id = p.id
            GROUP BY p.id, p.state, p.amount, p.fee ORDER BY p.id
            """, [])
        for r in legs {
            let (amount, fee) = (r.int(2), r.int(3))
            let queuedOnce = r.int(4) == 1 && r.int(5) == amount
            let sent = (count: r.int(6), sum: r.int(7)), fees = (count: r.int(8), sum: r.int(9)), refund = (count: r.int(10), sum: r.int(11))
            let ok: Bool = switch PayoutState(rawValue: r.text(1)) {
            case .confirmed?:
                queuedOnce && sent.count == 1 && sent.sum == amount - fee && fees.count == (fee > 0 ? 1 : 0) && fees.sum == fee && refund.count == 0
            case .failed?:
                queuedOnce && sent.count == 0 && fees.count == 0 && refund.count == 1 && refund.sum == amount
            default:
                queuedOnce && sent.count == 0 && fees.count == 0 && refund.count == 0
            }
            if !ok {
                problems.append("payout \(r.int(0)) is \(r.text(1)) (amount \(amount), fee \(fee)) but its legs are: queued \(r.int(4))×\(r.int(5)), sent \(sent.count)×\(sent.sum), fee \(fees.count)×\(fees.sum), refunded \(refund.count)×\(refund.sum)")
            }
            if problems.count >= 20 { return problems }
        }

        // The system accounts hold exactly what the payouts in each state say.
        let totals = try await tx.queryOne("""
            SELECT COALESCE(SUM(CASE WHEN state IN ('queued','signed','broadcast') THEN amount END), 0),
                   COALESCE(SUM(CASE WHEN state = 'confirmed' THEN amount - fee END), 0),
                   COALESCE(SUM(CASE WHEN state = 'confirmed' THEN fee END), 0)
            FROM payouts
            """, [])!
        for (i, kind) in ["payouts_in_flight", "paid_out", "network_fees"].enumerated() {
            let held = try await tx.queryOne("SELECT COALESCE(SUM(credits_posted - debits_posted), 0) FROM accounts WHERE kind = ?", kind)!.int(0)
            if held != totals.int(i) { problems.append("\(kind) holds \(held) but the payouts say \(totals.int(i))") }
        }

        // Payouts and their batches agree; each open batch is the busy batch of its hot wallet.
        for r in try await tx.query("""
            SELECT p.id, p.state, b.id, b.state FROM payouts p LEFT JOIN payout_batches b ON b.id = p.batch_id
            WHERE (p.state IN ('signed','broadcast') AND (b.id IS NULL OR b.state NOT IN ('signed','broadcast')))
               OR (p.state = 'confirmed' AND (b.id IS NULL OR b.state <> 'confirmed'))
            LIMIT 20
            """, []) {
            problems.append("payout \(r.int(0)) is \(r.text(1)) but its batch \(r.optionalInt(2).map(String.init) ?? "none") is \(r.optionalText(3) ?? "missing")")
        }
        for r in try await tx.query("""
            SELECT b.id, b.state, b.payouts, COUNT(p.id) FROM payout_batches b LEFT JOIN payouts p ON p.batch_id = b.id
            WHERE b.state <> 'failed' GROUP BY b.id, b.state, b.payouts HAVING COUNT(p.id) <> b.payouts LIMIT 20
            """, []) {
            problems.append("batch \(r.int(0)) (\(r.text(1))) pays \(r.int(2)) payouts but \(r.int(3)) point at it")
        }
        for r in try await tx.query("""
            SELECT b.id FROM payout_batches b
            WHERE b.state IN ('signed','broadcast')
              AND NOT EXISTS (SELECT 1 FROM hot_wallets w WHERE w.network = b.network AND w.address = b.hot_wallet AND w.busy_batch_id = b.id)
            LIMIT 20
            """, []) {
            problems.append("open batch \(r.int(0)) does not hold its hot wallet")
        }
        return problems
    }
}
