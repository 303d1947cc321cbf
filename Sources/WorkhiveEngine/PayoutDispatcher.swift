import Foundation
import Logging
import WorkhiveChains
import WorkhiveCore

/// One network as the dispatcher pays on it: its settlement adapter and the hot wallets that sign.
public struct PayoutRail: Sendable {
    public let settlement: any SettlementNetwork
    public let wallets: [any PayoutSigner]

    public init(settlement: any SettlementNetwork, wallets: [any PayoutSigner]) {
        precondition(wallets.allSatisfy { $0.network == settlement.network }, "a rail's wallets sign for its network")
        self.settlement = settlement
        self.wallets = wallets
    }
}

/// Sends queued payouts: per network and idle hot wallet it claims a batch (size and age limits), signs
/// it, stores the bytes and hash, broadcasts them, and polls every open batch until it is final. Safe to
/// run on several servers at once: every state change is guarded (see Marketplace+PayoutBatches).
///
/// Exactly-once rests on three rules: the bytes are stored before they are sent; an open batch is only
/// ever re-sent with the same bytes (a node that lost them takes them again, one that has them answers
/// "already known"); and a batch is given up only when its bytes provably cannot pay anyone (a final
/// revert, bytes the node refuses, or its nonce used by another transaction while its hash is unknown).
public final class PayoutDispatcher: Sendable {
    public let market: Marketplace
    public let rails: [PayoutNetwork: PayoutRail]
    /// Runs before every pass; the embedded devnet advances its clock here.
    let beforePass: @Sendable () async -> Void

    public init(market: Marketplace, rails: [PayoutNetwork: PayoutRail], beforePass: @escaping @Sendable () async -> Void = {}) {
        self.market = market
        self.rails = rails
        self.beforePass = beforePass
    }

    /// The embedded default: one devnet wallet per network on `devnet`, funded with `float` micro-USDT,
    /// with the devnet's clock following the wall clock. Networks in `realRails` (the EVM adapter, say)
    /// pay there instead of on the devnet.
    public static func devnet(market: Marketplace, devnet: Devnet = Devnet(fees: FeeModel()), float: Int64 = 1_000_000_000_000,
                              walletsPerNetwork: Int = 1, realRails: [PayoutNetwork: PayoutRail] = [:]) async -> PayoutDispatcher {
        var rails = realRails
        for network in PayoutNetwork.allCases where realRails[network] == nil {
            let wallets = (0..<walletsPerNetwork).map { DevnetPayoutSigner(network: network, index: $0, fees: market.configuration.payouts.fees) }
            for w in wallets { await devnet.mint(float, to: w.address, on: network) }
            rails[network] = PayoutRail(settlement: await devnet.settlement(network), wallets: wallets)
        }
        let start = ContinuousClock.now
        let devnetStart = await devnet.nowMillis
        return PayoutDispatcher(market: market, rails: rails) {
            let elapsed = ContinuousClock.now - start
            let target = devnetStart + elapsed.components.seconds * 1_000 + elapsed.components.attoseconds / 1_000_000_000_000_000
            let now = await devnet.nowMillis
            if target > now { await devnet.advance(byMillis: target - now) }
        }
    }

    /// Registers the hot wallets; call once before the first pass.
    public func prepare() async throws {
        try await market.registerHotWallets(rails.values.flatMap { $0.wallets.map { ($0.network, $0.address) } })
    }

    /// One pass: poll every open batch, then start new batches where payouts are due and a wallet is idle.
    @discardableResult
    public func runOnce() async throws -> PayoutDispatchReport {
        await beforePass()
        var report = PayoutDispatchReport()
        for batch in try await market.openPayoutBatches() {
            guard let rail = rails[batch.network] else { continue }
            report += try await advance(batch, on: rail.settlement)
        }
        for network in PayoutNetwork.allCases {
            guard let rail = rails[network] else { continue }
            var idle = try await market.idleHotWallets(network)
            for wallet in rail.wallets where idle.contains(wallet.address) {
                guard try await market.payoutBatchDue(network, upTo: wallet.maxTransfersPerTransaction, now: market.now()) else { break }
                idle.remove(wallet.address)
                report += try await startBatch(with: wallet, on: rail.settlement)
            }
        }
        return report
    }

    /// Runs passes until cancelled, logging what they did.
    public func run(every interval: Duration) async {
        do { try await prepare() } catch { market.logger.error("payout dispatcher could not register its hot wallets: \(error)") }
        while !Task.isCancelled {
            do {
                let r = try await runOnce()
                if r != PayoutDispatchReport() {
                    market.logger.info("payout dispatcher", metadata: [
                        "signed": "\(r.payoutsSigned)", "confirmed": "\(r.payoutsConfirmed)",
                        "requeued": "\(r.payoutsRequeued)", "refunded": "\(r.payoutsRefunded)",
                    ])
                }
            } catch {
                market.logger.error("payout dispatcher failed: \(error)")
            }
            try? await Task.sleep(for: interval)
        }
    }

    // MARK: Steps

    private func startBatch(with wallet: any PayoutSigner, on settlement: any SettlementNetwork) async throws -> PayoutDispatchReport {
        var report = PayoutDispatchReport()
        // The wallet is idle, so its previous transaction is final and the chain's next nonce is exact.
        let nonce: UInt64
        let signer: any PayoutSigner
        do {
            nonce = try await settlement.nextNonce(of: wallet.address)
            signer = try await wallet.prepared()
        } catch {
            market.logger.warning("payout wallet \(wallet.address) on \(wallet.network) is not signing now: \(error)")
            return report
        }
        guard let batch = try await market.signPayoutBatch(signer, nonce: nonce, now: market.now()) else { return report }
        report.batchesSigned = 1
        report.payoutsSigned = try await market.read { tx in
            Int(try await tx.queryOne("SELECT payouts FROM payout_batches WHERE id = ?", batch.id)!.int(0))
        }
        report += try await send(batch, on: settlement, rebroadcast: false)
        return report
    }

    /// Sends the stored bytes (again). Only a refusal of the bytes, or a nonce that another transaction
    /// used while this hash is unknown, gives the batch up; a timeout is looked up on the next pass.
    private func send(_ batch: OpenPayoutBatch, on settlement: any SettlementNetwork, rebroadcast: Bool) async throws -> PayoutDispatchReport {
        var report = PayoutDispatchReport()
        let outcome: Result<TransactionHash, SettlementError>
        do { outcome = .success(try await settlement.broadcast(batch.raw)) } catch { outcome = .failure(error) }
        switch outcome {
        case .success:
            report.broadcasts = 1
            try await market.markPayoutBatchBroadcast(batch.id, rebroadcast: rebroadcast, includedBlock: nil, now: market.now())
        case .failure(.timeout):
            break  // Unknown whether the node took it: the next pass looks the hash up.
        case .failure(.unavailable(let why)):
            market.logger.warning("payout batch \(batch.id) on \(batch.network): broadcast not taken now, retried next pass: \(why)")
        case .failure(.nonceTooLow(let expected, _)):
            // Perhaps this very transaction used the nonce: only an unknown hash means another one did.
            if case .unknown? = try? await settlement.status(of: batch.hash) {
                report += try await fail(batch, "nonce \(batch.nonce) was used by another transaction (next is \(expected))")
            }
        case .failure(.rejected(let why)):
            report += try await fail(batch, "the network refused the transaction: \(why)")
        }
        return report
    }

    private func advance(_ batch: OpenPayoutBatch, on settlement: any SettlementNetwork) async throws -> PayoutDispatchReport {
        let status: TransactionStatus
        do { status = try await settlement.status(of: batch.hash) } catch { return PayoutDispatchReport() }
        switch status {
        case .unknown:
            // Never received, dropped from the mempool, or reorganized away and lost: the same bytes again.
            return try await send(batch, on: settlement, rebroadcast: true)
        case .pending:
            if batch.state == "signed" { try await market.markPayoutBatchBroadcast(batch.id, rebroadcast: false, includedBlock: nil, now: market.now()) }
            return PayoutDispatchReport()
        case .included(let block, _, let isFinal, let succeeded):
            guard isFinal else {
                try await market.markPayoutBatchBroadcast(batch.id, rebroadcast: false, includedBlock: block, now: market.now())
                return PayoutDispatchReport()
            }
            guard succeeded else { return try await fail(batch, "the transaction reverted in block \(block)") }
            var report = PayoutDispatchReport()
            let confirmed = try await market.confirmPayoutBatch(batch.id, block: block, now: market.now())
            if confirmed > 0 {
                report.batchesConfirmed = 1
                report.payoutsConfirmed = confirmed
            }
            return report
        }
    }

    private func fail(_ batch: OpenPayoutBatch, _ reason: String) async throws -> PayoutDispatchReport {
        var report = PayoutDispatchReport()
        let (requeued, refunded) = try await market.failPayoutBatch(batch.id, reason: reason, now: market.now())
        if requeued + refunded > 0 { report.batchesFailed = 1 }
        report.payoutsRequeued = requeued
        report.payoutsRefunded = refunded
        return report
    }
}
