import Foundation
import Synchronization
import Testing
import WorkhiveChains
import WorkhiveCore
@testable import WorkhiveEngine
import WorkhiveTestSupport

/// Every failure the devnet can inject ends with each payout confirmed exactly once on chain, or
/// refunded to the worker's balance, with the ledger audited after every operation.
@Suite struct PayoutFaultTests {
    /// Workers with one address each on `network`, each withdrawing `amount`.
    func queue(_ rig: PayoutRig, _ count: Int, on network: PayoutNetwork, amount: Int64 = 10_000_000, offset: Int = 0) async throws -> [PayoutID] {
        var ids: [PayoutID] = []
        for i in 0..<count {
            let w = try await rig.worker("w\(offset + i)", earned: amount)
            let address = switch network {
            case .bep20, .arbitrum: TestAddresses.evm(offset + i)
            case .trc20: TestAddresses.tron(offset + i)
            case .ton: TestAddresses.tonRaw(offset + i)
            }
            try await rig.setAddress(w, network, address)
            ids.append(try await rig.withdraw(w, amount, network: network).id)
        }
        return ids
    }

    func batch(_ rig: PayoutRig, of payout: PayoutID) async throws -> (raw: String, broadcasts: Int64) {
        let batch = try #require(try await rig.payout(payout).batchId)
        return (try #require(try await rig.h.text("SELECT raw_tx FROM payout_batches WHERE id = ?", batch)),
                try await rig.h.scalar("SELECT broadcasts FROM payout_batches WHERE id = ?", batch))
    }

    @Test(arguments: TestEngine.available) func aDroppedTransactionIsResentWithTheSameBytes(engine: TestEngine) async throws {
        let rig = try await PayoutRig.make(engine)
        let ids = try await queue(rig, 1, on: .bep20)
        await rig.devnet.inject(.dropNextBroadcast, on: .bep20)
        #expect(try await rig.pass().broadcasts == 1)  // answered with its hash, then lost
        let before = try await batch(rig, of: ids[0])
        try await rig.drain()
        let after = try await batch(rig, of: ids[0])
        #expect(after.raw == before.raw && after.broadcasts >= 1)
        #expect(try await rig.h.scalar("SELECT COUNT(*) FROM payout_batches") == 1)
        try await rig.expectExactlyOnce(ids)
    }

    @Test(arguments: TestEngine.available) func aRevertedBatchIsRetriedInANewTransaction(engine: TestEngine) async throws {
        let rig = try await PayoutRig.make(engine)
        let ids = try await queue(rig, 3, on: .ton)
        await rig.devnet.inject(.revertNextTransaction, on: .ton)
        let report = try await rig.drain()
        #expect(report.batchesFailed == 1 && report.payoutsRequeued == 3 && report.payoutsRefunded == 0)
        for id in ids { #expect(try await rig.payout(id).attempts == 1) }
        #expect(try await rig.h.text("SELECT failure_reason FROM payout_batches WHERE state = 'failed'")?.contains("reverted") == true)
        try await rig.expectExactlyOnce(ids)
        for id in ids { #expect(try await rig.payout(id).state == .confirmed) }
    }

    @Test(arguments: TestEngine.available) func aRevertOnTheLastAttemptRefundsTheBalance(engine: TestEngine) async throws {
        let rig = try await PayoutRig.make(engine) { $0.maxAttempts = 1 }
        let ids = try await queue(rig, 2, on: .arbitrum)
        await rig.devnet.inject(.revertNextTransaction, on: .arbitrum)
        let report = try await rig.drain()
        #expect(report.payoutsRefunded == 2)
        for id in ids {
            let p = try await rig.payout(id)
            #expect(p.state == .failed && p.failureReason?.contains("reverted") == true)
            #expect(try await rig.h.scalar("SELECT a.credits_posted - a.debits_posted FROM accounts a JOIN payouts p ON p.earnings_account_id = a.id WHERE p.id = ?", id) == 10_000_000)
        }
        try await rig.expectExactlyOnce(ids)
    }

    @Test(arguments: TestEngine.available) func aHotWalletWithoutFundsRevertsAndEveryPayoutIsRefunded(engine: TestEngine) async throws {
        let rig = try await PayoutRig.make(engine) { $0.maxAttempts = 2 }
        // An empty wallet on a network of its own: the token's balance check reverts every batch.
        let wallet = DevnetPayoutSigner(network: .ton, seed: "empty")
        let dry = PayoutDispatcher(market: rig.market, rails: [.ton: PayoutRail(settlement: await rig.devnet.settlement(.ton), wallets: [wallet])]) {
            await rig.devnet.advance(byMillis: 3_000)
        }
        try await dry.prepare()
        let ids = try await queue(rig, 2, on: .ton)
        for _ in 0..<20 {
            if try await rig.openPayouts() == 0 { break }
            try await rig.h.checked { try await dry.runOnce() }
        }
        for id in ids { #expect(try await rig.payout(id).state == .failed) }
        try await rig.expectExactlyOnce(ids)
    }

    @Test(arguments: TestEngine.available, [true, false])
    func anRPCTimeoutOnBroadcastIsLookedUpNotRepeatedBlindly(engine: TestEngine, accepted: Bool) async throws {
        let rig = try await PayoutRig.make(engine)
        let ids = try await queue(rig, 1, on: .bep20)
        // The nonce query comes first in a pass; the timeout must hit the broadcast after it.
        let settlement = TimeoutOnBroadcast(inner: await rig.devnet.settlement(.bep20), devnet: rig.devnet, accepted: accepted)
        let dispatcher = PayoutDispatcher(market: rig.market, rails: [.bep20: PayoutRail(settlement: settlement, wallets: [DevnetPayoutSigner(network: .bep20)])]) {
            await rig.devnet.advance(byMillis: 1_000)
        }
        let first = try await rig.h.checked { try await dispatcher.runOnce() }
        #expect(first.batchesSigned == 1 && first.broadcasts == 0)
        #expect(try await rig.payout(ids[0]).state == .signed)  // stored, outcome unknown
        for _ in 0..<20 {
            if try await rig.openPayouts() == 0 { break }
            try await rig.h.checked { try await dispatcher.runOnce() }
        }
        #expect(try await rig.h.scalar("SELECT COUNT(*) FROM payout_batches") == 1)
        try await rig.expectExactlyOnce(ids)
        #expect(try await rig.payout(ids[0]).state == .confirmed)
    }

    @Test(arguments: TestEngine.available, [true, false])
    func aReorgBeforeFinalityNeitherLosesNorDoublesAPayout(engine: TestEngine, dropTransactions: Bool) async throws {
        let rig = try await PayoutRig.make(engine)
        let ids = try await queue(rig, 1, on: .arbitrum)
        try await rig.pass()  // signed and broadcast
        try await rig.pass()  // included, 40 blocks from final
        let batchID = try #require(try await rig.payout(ids[0]).batchId)
        #expect(try await rig.h.scalar("SELECT COALESCE(included_block, 0) FROM payout_batches WHERE id = ?", batchID) > 0)
        await rig.devnet.inject(.reorgBeforeNextBlock(depth: 8, dropTransactions: dropTransactions), on: .arbitrum)
        try await rig.drain()
        if dropTransactions { #expect(try await batch(rig, of: ids[0]).broadcasts >= 1) }  // resent after it vanished
        try await rig.expectExactlyOnce(ids)
        #expect(try await rig.payout(ids[0]).state == .confirmed)
    }

    @Test(arguments: TestEngine.available) func randomFaultsOnEveryNetworkEndConfirmedOnceOrRefunded(engine: TestEngine) async throws {
        let faults = DevnetRandomFaults(dropPerMillion: 150_000, revertPerMillion: 100_000, timeoutPerMillion: 150_000, seed: 7)
        let rig = try await PayoutRig.make(engine, millisPerPass: 2_000, faults: faults) { $0.maxAttempts = 2 }
        var ids: [PayoutID] = []
        ids += try await queue(rig, 4, on: .bep20, offset: 0)
        ids += try await queue(rig, 4, on: .arbitrum, offset: 10)
        ids += try await queue(rig, 1, on: .ton, offset: 20)
        ids += try await queue(rig, 1, on: .trc20, amount: 25_000_000, offset: 30)
        let report = try await rig.drain(maxPasses: 600)
        try await rig.expectExactlyOnce(ids)
        // The faults really happened: lost broadcasts were re-sent, or batches failed and were retried.
        let resent = try await rig.h.scalar("SELECT COALESCE(SUM(broadcasts), 0) FROM payout_batches")
        #expect(resent + Int64(report.batchesFailed) > 0, "no fault was exercised: \(report)")
    }

    @Test(arguments: TestEngine.available) func twoDispatchersShareTheQueueWithoutPayingTwice(engine: TestEngine) async throws {
        let rig = try await PayoutRig.make(engine, walletsPerNetwork: 2)
        let second = PayoutDispatcher(market: rig.market, rails: rig.dispatcher.rails) { await rig.devnet.advance(byMillis: 500) }
        var ids: [PayoutID] = []
        ids += try await queue(rig, 6, on: .bep20, offset: 0)
        ids += try await queue(rig, 3, on: .ton, offset: 10)
        for _ in 0..<200 {
            if try await rig.openPayouts() == 0 { break }
            async let a = rig.dispatcher.runOnce()
            async let b = second.runOnce()
            _ = try await (a, b)
            try await rig.h.assertLedger()
        }
        try await rig.expectExactlyOnce(ids)
        for id in ids { #expect(try await rig.payout(id).state == .confirmed) }
    }
}

/// The devnet's BEP-20 chain, with an RPC timeout on the first broadcast (the node took the bytes or not).
struct TimeoutOnBroadcast: SettlementNetwork {
    let inner: DevnetSettlement
    let devnet: Devnet
    let accepted: Bool
    let fired = Flag()

    var network: PayoutNetwork { inner.network }
    var finalityConfirmations: UInt64 { inner.finalityConfirmations }
    func broadcast(_ signedTransaction: [UInt8]) async throws(SettlementError) -> TransactionHash {
        if fired.set() { await devnet.inject(.timeoutNextCall(broadcastAccepted: accepted), on: network) }
        return try await inner.broadcast(signedTransaction)
    }
    func status(of hash: TransactionHash) async throws(SettlementError) -> TransactionStatus { try await inner.status(of: hash) }
    func feeQuote(recipient: RecipientKind) async throws(SettlementError) -> FeeEstimate { try await inner.feeQuote(recipient: recipient) }
    func nextNonce(of sender: String) async throws(SettlementError) -> UInt64 { try await inner.nextNonce(of: sender) }
}

/// True the first time `set()` is called.
final class Flag: Sendable {
    private let value = Mutex(false)
    func set() -> Bool { value.withLock { was in defer { was = true }; return !was } }
}
