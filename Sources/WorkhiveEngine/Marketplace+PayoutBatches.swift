import WorkhiveChains
import WorkhiveCore

/// A batch that is signed or broadcast and not yet final, as the dispatcher polls it.
struct OpenPayoutBatch: Sendable {
    let id: PayoutBatchID
    let network: PayoutNetwork
    let hotWallet: String
    let nonce: UInt64
    let state: String
    let raw: [UInt8]
    let hash: TransactionHash
}

/// Another dispatcher took the wallet or the payouts first; this one lets go.
struct PayoutRaceLost: Error {}

/// The dispatcher's guarded state changes. Every one is a single transaction whose UPDATEs name the state
/// they expect, so dispatchers on several servers sharing one PostgreSQL database never both act on a
/// batch: the loser changes no row and rolls back.
extension Marketplace {
    /// Registers the hot wallets the dispatcher signs with.
    func registerHotWallets(_ wallets: [(network: PayoutNetwork, address: String)]) async throws {
        try await transact { tx, _ in
            for w in wallets {
                try await tx.execute(
                    "INSERT INTO hot_wallets (network, address) VALUES (?, ?) ON CONFLICT (network, address) DO NOTHING", w.network.rawValue, w.address)
            }
        }
    }

    /// Whether `network` has queued payouts ready to batch: enough of them (a wallet paying at most
    /// `maxTransfers` per transaction waits for no more than that), or one that waited long enough.
    func payoutBatchDue(_ network: PayoutNetwork, upTo maxTransfers: Int, now: Int64) async throws -> Bool {
        let p = configuration.payouts
        let atSize = max(1, min(p.batchAtSize, maxTransfers))
        let row = try await read { tx in
            try await tx.queryOne("""
                SELECT COUNT(*), MIN(created_at) FROM (SELECT created_at FROM payouts WHERE network = ? AND state = 'queued' ORDER BY id LIMIT ?) q
                """, network.rawValue, atSize)
        }
        guard let row, row.int(0) > 0 else { return false }
        return row.int(0) >= Int64(atSize) || now - row.int(1) >= p.maxBatchAgeMillis
    }

    /// Hot wallets of `network` with nothing in flight.
    func idleHotWallets(_ network: PayoutNetwork) async throws -> Set<String> {
        try await read { tx in
            Set(try await tx.query("SELECT address FROM hot_wallets WHERE network = ? AND busy_batch_id IS NULL", network.rawValue).map { $0.text(0) })
        }
    }

    /// Claims up to the batch limit of the oldest queued payouts of the signer's network, signs one
    /// transaction paying them all (each gets its amount less its fee) with `nonce`, and stores the bytes
    /// and hash before anything is broadcast. Nil if nothing was queued or another dispatcher was first.
    func signPayoutBatch(_ signer: any PayoutSigner, nonce: UInt64, now: Int64) async throws -> OpenPayoutBatch? {
        let network = signer.network
        let limit = min(configuration.payouts.batchLimit(network), signer.maxTransfersPerTransaction)
        do {
            return try await transact { tx, _ in
                let rows = try await tx.query("""
                    SELECT id, address, amount - fee FROM payouts WHERE network = ? AND state = 'queued' ORDER BY id LIMIT ? \(tx.dialect.skipLocked)
                    """, network.rawValue, limit)
                guard !rows.isEmpty else { return nil }
                let transfers = rows.map { DevnetTransaction.Transfer(to: $0.text(1), amountMicroUSDT: $0.int(2)) }
                let signed = try signer.sign(nonce: nonce, transfers: transfers)
                let total = transfers.reduce(Int64(0)) { $0 + $1.amountMicroUSDT }
                let batch = PayoutBatchID(try await tx.insert("""
                    INSERT INTO payout_batches (network, hot_wallet, nonce, state, raw_tx, tx_hash, payouts, total, created_at, updated_at)
                    VALUES (?, ?, ?, 'signed', ?, ?, ?, ?, ?, ?)
                    """, [.text(network.rawValue), .text(signer.address), .integer(Int64(nonce)), .text(Hex.encode(signed.raw)),
                          .text(signed.hash.hex), .integer(Int64(rows.count)), .integer(total), .integer(now), .integer(now)], rows: 1)[0])
                let took = try await tx.execute(
                    "UPDATE hot_wallets SET busy_batch_id = ? WHERE network = ? AND address = ? AND busy_batch_id IS NULL",
                    batch, network.rawValue, signer.address)
                guard took == 1 else { throw PayoutRaceLost() }
                let ids = rows.map { $0.values[0] }
                let moved = try await tx.execute("""
                    UPDATE payouts SET state = 'signed', batch_id = ?, tx_hash = ?, updated_at = ?
                    WHERE state = 'queued' AND id IN (\(Self.marks(ids.count)))
                    """, [batch.sqlValue, .text(signed.hash.hex), .integer(now)] + ids)
                guard moved == ids.count else { throw PayoutRaceLost() }
                return OpenPayoutBatch(id: batch, network: network, hotWallet: signer.address, nonce: nonce, state: "signed",
                                       raw: signed.raw, hash: signed.hash)
            }
        } catch is PayoutRaceLost {
            return nil
        }
    }

    /// Batches signed or broadcast and not yet final, oldest first.
    func openPayoutBatches(limit: Int = 500) async throws -> [OpenPayoutBatch] {
        try await read { tx in
            try await tx.query("""
                SELECT id, network, hot_wallet, nonce, state, raw_tx, tx_hash FROM payout_batches
                WHERE state IN ('signed','broadcast') ORDER BY id LIMIT ?
                """, limit).compactMap { r in
                guard let network = PayoutNetwork(rawValue: r.text(1)), let raw = Hex.decode(r.text(5)), let hash = TransactionHash(hex: r.text(6))
                else { return nil }
                return OpenPayoutBatch(id: r.id(0), network: network, hotWallet: r.text(2), nonce: UInt64(r.int(3)), state: r.text(4), raw: raw, hash: hash)
            }
        }
    }

    /// The network has the bytes (sent, pending, or included but not final).
    func markPayoutBatchBroadcast(_ batch: PayoutBatchID, rebroadcast: Bool, includedBlock: UInt64?, now: Int64) async throws {
        try await transact { tx, _ in
            let changed = try await tx.execute("""
                UPDATE payout_batches SET state = 'broadcast', broadcasts = broadcasts + ?, included_block = ?, updated_at = ?
                WHERE id = ? AND state IN ('signed','broadcast')
                """, rebroadcast ? 1 : 0, includedBlock.map { Int64($0) }, now, batch)
            guard changed == 1 else { return }
            try await tx.execute(
                "UPDATE payouts SET state = 'broadcast', updated_at = ? WHERE batch_id = ? AND state = 'signed'", now, batch)
        }
    }

    /// The transaction is final and succeeded: its payouts are confirmed, their amounts leave in-flight
    /// for paid-out and network fees, and the hot wallet is free. Returns how many payouts it confirmed
    /// (zero if another dispatcher already did).
    func confirmPayoutBatch(_ batch: PayoutBatchID, block: UInt64, now: Int64) async throws -> Int {
        try await transact { tx, _ in
            let changed = try await tx.execute("""
                UPDATE payout_batches SET state = 'confirmed', included_block = ?, updated_at = ? WHERE id = ? AND state IN ('signed','broadcast')
                """, Int64(block), now, batch)
            guard changed == 1 else { return 0 }
            let paid = try await tx.query("""
                UPDATE payouts SET state = 'confirmed', confirmed_at = ?, updated_at = ? WHERE batch_id = ? AND state IN ('signed','broadcast')
                RETURNING id, amount, fee
                """, now, now, batch)
            let accounts = try await PayoutAccounts.load(tx)
            var ledger = LedgerBatch()
            for r in paid {
                let id: PayoutID = r.id(0)
                ledger.posted(from: accounts.inFlight(id), to: accounts.paidOut(id), r.int(1) - r.int(2), .payoutSent, payout: id)
                ledger.posted(from: accounts.inFlight(id), to: accounts.networkFees(id), r.int(2), .networkFee, payout: id)
            }
            try await self.apply(ledger, tx, now: now)
            try await tx.execute("UPDATE hot_wallets SET busy_batch_id = NULL WHERE busy_batch_id = ?", batch)
            return paid.count
        }
    }

    /// The transaction can never pay anyone (final revert, bytes refused, its nonce taken by another):
    /// its payouts go back to the queue for another batch, or, after their last attempt, fail and are
    /// refunded to the worker's balance. Returns (requeued, refunded).
    func failPayoutBatch(_ batch: PayoutBatchID, reason: String, now: Int64) async throws -> (requeued: Int, refunded: Int) {
        let maxAttempts = configuration.payouts.maxAttempts
        return try await transact { tx, _ in
            let changed = try await tx.execute("""
                UPDATE payout_batches SET state = 'failed', failure_reason = ?, updated_at = ? WHERE id = ? AND state IN ('signed','broadcast')
                """, reason, now, batch)
            guard changed == 1 else { return (0, 0) }
            let rows = try await tx.query("""
                UPDATE payouts SET
                    state = CASE WHEN attempts + 1 >= ? THEN 'failed' ELSE 'queued' END,
                    batch_id = NULL,
                    tx_hash = CASE WHEN attempts + 1 >= ? THEN tx_hash ELSE NULL END,
                    failure_reason = ?, attempts = attempts + 1, updated_at = ?
                WHERE batch_id = ? AND state IN ('signed','broadcast')
                RETURNING id, state, amount, earnings_account_id
                """, maxAttempts, maxAttempts, reason, now, batch)
            let accounts = try await PayoutAccounts.load(tx)
            var ledger = LedgerBatch()
            var refunded = 0
            for r in rows where r.text(1) == PayoutState.failed.rawValue {
                let id: PayoutID = r.id(0)
                ledger.posted(from: accounts.inFlight(id), to: r.id(3), r.int(2), .payoutRefund, payout: id)
                refunded += 1
            }
            try await self.apply(ledger, tx, now: now)
            try await tx.execute("UPDATE hot_wallets SET busy_batch_id = NULL WHERE busy_batch_id = ?", batch)
            return (rows.count - refunded, refunded)
        }
    }
}
