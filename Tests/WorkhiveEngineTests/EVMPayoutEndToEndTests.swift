import Foundation
import Testing
@testable import WorkhiveChains
import WorkhiveCore
@testable import WorkhiveEngine
import WorkhiveTestSupport

/// The payout pipeline end to end on a real EVM: workers withdraw through the Marketplace, the
/// PayoutDispatcher signs ERC-20 transfers with keystore-style hot wallets and sends them through the
/// EVM adapter to a local py-evm chain (eth-tester) running a vyper ERC-20, and every payout is
/// confirmed exactly once — on chain (receipts, balanceOf) and in the audited ledger — through crashes
/// between signing and sending, lost answers, a lost mempool and reverts.
@Suite(.serialized, .enabled(if: EVMTestNode.runnable, "needs python3 with eth-tester and vyper (required when CI is set)"))
struct EVMPayoutEndToEndTests {
    struct Rail {
        let chain: EVMTestNode.Chain
        let settlement: EVMRPCSettlement
        let keys: [Secp256k1Signer]
        var rail: PayoutRail { PayoutRail(settlement: settlement, wallets: keys.map { EVMHotWallet(key: $0, settlement: settlement) }) }
        func units(_ microUSDT: Int64) -> UInt256 { settlement.chain.tokenUnits(microUSDT: microUSDT) }
    }

    /// `wallets` fresh hot wallets on the node's chain `name`, each with 1 ETH and `tokens` micro-USDT.
    static func rail(_ node: EVMTestNode, _ name: String, _ network: PayoutNetwork, wallets: Int, tokens: Int64,
                     timeout: Duration = .seconds(20)) async throws -> Rail {
        let chain = node.chain(name)
        var c = EVMSettlementConfiguration(network: network, rpcURL: chain.url)
        c.chain = EVMChain(network: network, chainID: chain.chainID, usdtContract: try EVMAddress(chain.token), usdtDecimals: chain.decimals)
        c.requestTimeout = timeout
        let settlement = try await EVMRPCSettlement.connect(c)
        var keys: [Secp256k1Signer] = []
        for _ in 0..<wallets {
            let key = try Secp256k1Signer(privateKey: SecureRandom.bytes(32))
            try await node.fund(chain, key.address.checksummed, wei: UInt256(1_000_000_000_000_000_000), tokenUnits: settlement.chain.tokenUnits(microUSDT: tokens))
            keys.append(key)
        }
        return Rail(chain: chain, settlement: settlement, keys: keys)
    }

    static func freshAddress() -> String { try! EVMAddress(bytes: SecureRandom.bytes(20)).checksummed }

    /// A worker with `amount` earned and one address on `network`, withdrawing it all there.
    static func withdrawal(_ rig: PayoutRig, _ name: String, _ network: PayoutNetwork, _ amount: Int64) async throws -> (payout: PayoutView, address: String) {
        let w = try await rig.worker(name, earned: amount)
        let address = freshAddress()
        try await rig.setAddress(w, network, address)
        return (try await rig.withdraw(w, amount, network: network), address)
    }

    /// Dispatcher passes (each under the ledger audit) until nothing is open; the chain mines every 0.1 s.
    @discardableResult
    static func settle(_ rig: PayoutRig, seconds: Double = 90, sourceLocation: SourceLocation = #_sourceLocation) async throws -> PayoutDispatchReport {
        var total = PayoutDispatchReport()
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            total += try await rig.pass(sourceLocation: sourceLocation)
            if try await rig.openPayouts() == 0 { return total }
            try await Task.sleep(for: .milliseconds(50))
        }
        Issue.record("payouts still open after \(seconds) s", sourceLocation: sourceLocation)
        return total
    }

    /// The node's receipt of `hash`: (status, from).
    static func receipt(_ node: EVMTestNode, _ chain: EVMTestNode.Chain, _ hash: String) async throws -> (status: String, from: String) {
        let r = try #require(try await node.call(chain, "eth_getTransactionReceipt", [hash]) as? [String: Any])
        return (r["status"] as? String ?? "?", (r["from"] as? String ?? "").lowercased())
    }

    @Test(arguments: TestEngine.available) func workersOnBothChainsArePaidExactlyOnce(engine: TestEngine) async throws {
        let node = try await EVMTestNode.shared()
        let bsc = try await Self.rail(node, "bep20", .bep20, wallets: 2, tokens: 1_000_000_000)
        let arb = try await Self.rail(node, "arbitrum", .arbitrum, wallets: 2, tokens: 1_000_000_000)
        let rig = try await PayoutRig.make(engine, realRails: [.bep20: bsc.rail, .arbitrum: arb.rail])

        var expected: [(PayoutView, String, Rail)] = []
        for i in 0..<4 {
            let (p, address) = try await Self.withdrawal(rig, "bsc-\(i)", .bep20, 10_000_000 + Int64(i) * 1_500_000)
            expected.append((p, address, bsc))
        }
        for i in 0..<3 {
            let (p, address) = try await Self.withdrawal(rig, "arb-\(i)", .arbitrum, 20_000_000 + Int64(i) * 1_000_001)
            expected.append((p, address, arb))
        }
        let report = try await Self.settle(rig)
        // One transfer per transaction on a real EVM chain.
        #expect(report.batchesSigned == 7 && report.payoutsSigned == 7 && report.payoutsConfirmed == 7)
        #expect(report.batchesFailed == 0)

        var sent: [String: Int64] = [:]  // per hot wallet
        for (queued, address, rail) in expected {
            let p = try await rig.payout(queued.id)
            #expect(p.state == .confirmed && p.sentMicroUSDT == queued.amountMicroUSDT - queued.feeMicroUSDT)
            let hash = try #require(p.txHash)
            let (status, from) = try await Self.receipt(node, rail.chain, hash)
            #expect(status == "0x1", "payout \(p.id): receipt status \(status)")
            #expect(rail.keys.map { $0.address.lowercased }.contains(from))
            // Paid once: the worker's token balance is exactly what was sent (18 decimals on BEP-20, 6 on Arbitrum).
            #expect(try await node.tokenBalance(rail.chain, of: address) == rail.units(p.sentMicroUSDT), "payout \(p.id)")
            sent[from, default: 0] += p.sentMicroUSDT
        }
        #expect(try await rig.h.scalar("SELECT COUNT(*) FROM payout_batches WHERE state = 'confirmed' AND payouts = 1") == 7)
        #expect(try await rig.h.scalar("SELECT COUNT(*) FROM payout_batches") == 7)
        for rail in [bsc, arb] {
            for key in rail.keys {
                let out = sent[key.address.lowercased] ?? 0
                #expect(try await node.tokenBalance(rail.chain, of: key.address.checksummed) == rail.units(1_000_000_000 - out))
                let batches = try await rig.h.scalar("SELECT COUNT(*) FROM payout_batches WHERE hot_wallet = ?", key.address.checksummed)
                #expect(try await rail.settlement.nextNonce(of: key.address.checksummed) == UInt64(batches), "one nonce per transaction")
            }
        }

        // The same bytes broadcast again ("nonce too low" on the node) answer their hash and pay no one twice.
        let rows = try await rig.market.read { tx in try await tx.query("SELECT network, raw_tx, tx_hash FROM payout_batches") }
        for row in rows {
            let rail = row.text(0) == "bep20" ? bsc : arb
            #expect(try await rail.settlement.broadcast(Hex.decode(row.text(1))!).hex == row.text(2))
        }
        for rail in [bsc, arb] { try await node.call(rail.chain, "test_mine", [3]) }
        #expect(try await rig.pass() == PayoutDispatchReport(), "nothing is left to do")
        for (queued, address, rail) in expected {
            #expect(try await node.tokenBalance(rail.chain, of: address) == rail.units(queued.amountMicroUSDT - queued.feeMicroUSDT))
        }
    }

    /// A crash after signing (bytes stored, never sent), an answer lost to a timeout after the node took
    /// the bytes, and a mempool lost before inclusion: each payout is still paid once, with the bytes first stored.
    @Test func crashesLostAnswersAndALostMempoolPayOnce() async throws {
        let node = try await EVMTestNode.shared()
        let arb = try await Self.rail(node, "faults", .arbitrum, wallets: 1, tokens: 500_000_000, timeout: .seconds(4))
        let rig = try await PayoutRig.make(.sqlite, realRails: [.arbitrum: arb.rail])
        let wallet = arb.rail.wallets[0]

        // 1. Signed and stored, then the process died before broadcasting.
        let (crashed, crashedTo) = try await Self.withdrawal(rig, "crash", .arbitrum, 7_000_000)
        let nonce = try await arb.settlement.nextNonce(of: wallet.address)
        let stored = try #require(try await rig.h.checked { try await rig.market.signPayoutBatch(try await wallet.prepared(), nonce: nonce, now: rig.market.now()) })
        #expect(try await arb.settlement.status(of: stored.hash) == .unknown, "nothing was sent")
        try await Self.settle(rig)
        let afterCrash = try await rig.payout(crashed.id)
        #expect(afterCrash.state == .confirmed && afterCrash.txHash == stored.hash.hex, "the stored bytes, not new ones, paid")
        #expect(try await rig.h.scalar("SELECT broadcasts FROM payout_batches WHERE id = ?", stored.id) == 1, "sent once, as a resend of stored bytes")

        // 2. The node took the bytes but its answer came after the adapter's 4 s timeout.
        let (lost, lostTo) = try await Self.withdrawal(rig, "lost-answer", .arbitrum, 8_000_000)
        try await node.call(arb.chain, "test_stall", ["eth_sendRawTransaction", 12, true])
        let first = try await rig.pass()
        #expect(first.batchesSigned == 1 && first.broadcasts == 0, "the broadcast timed out")
        try await Self.settle(rig)
        #expect(try await rig.payout(lost.id).state == .confirmed)

        // 3. Sent, then the node lost its mempool before a block took it: the same bytes go again.
        let (dropped, droppedTo) = try await Self.withdrawal(rig, "dropped", .arbitrum, 9_000_000)
        let droppedHash = try await node.withMiningPaused(arb.chain) {
            #expect(try await rig.pass().broadcasts == 1)
            let hash = try #require(try await rig.payout(dropped.id).txHash)
            #expect(try await node.call(arb.chain, "test_dropPool") as? Int == 1)
            #expect(try await arb.settlement.status(of: TransactionHash(hex: hash)!) == .unknown)
            return hash
        }
        let resent = try await Self.settle(rig)
        #expect(resent.broadcasts >= 1 && resent.batchesSigned == 0, "re-sent, not re-signed")
        #expect(try await rig.payout(dropped.id).txHash == droppedHash)

        for (p, to) in [(crashed, crashedTo), (lost, lostTo), (dropped, droppedTo)] {
            let final = try await rig.payout(p.id)
            #expect(final.state == .confirmed)
            #expect(try await Self.receipt(node, arb.chain, final.txHash!).status == "0x1")
            #expect(try await node.tokenBalance(arb.chain, of: to) == arb.units(final.sentMicroUSDT), "\(to) paid exactly once")
        }
        #expect(try await rig.h.scalar("SELECT COUNT(*) FROM payout_batches") == 3)
        #expect(try await arb.settlement.nextNonce(of: wallet.address) == 3)
    }

    /// A transfer the token refuses (the wallet holds too little) reverts: status 0 on chain, the payout
    /// is tried again in a new transaction, and refunded to the worker's balance after its last attempt.
    @Test func aRevertingTransferIsRetriedThenRefunded() async throws {
        let node = try await EVMTestNode.shared()
        let arb = try await Self.rail(node, "faults", .arbitrum, wallets: 1, tokens: 1_000_000)  // 1 USDT
        let rig = try await PayoutRig.make(.sqlite, realRails: [.arbitrum: arb.rail]) { $0.maxAttempts = 2 }
        let w = try await rig.worker("too-much", earned: 5_000_000)
        let address = Self.freshAddress()
        try await rig.setAddress(w, .arbitrum, address)
        let payout = try await rig.withdraw(w, 5_000_000, network: .arbitrum)
        #expect(try await rig.h.available(w) == 0)

        let report = try await Self.settle(rig)
        #expect(report.batchesSigned == 2 && report.batchesFailed == 2 && report.payoutsRequeued == 1 && report.payoutsRefunded == 1)
        let final = try await rig.payout(payout.id)
        #expect(final.state == .failed && final.attempts == 2)
        #expect(final.failureReason?.contains("reverted") == true)
        #expect(try await rig.h.available(w) == 5_000_000, "refunded to the balance")
        let hashes = try await rig.market.read { tx in try await tx.query("SELECT tx_hash FROM payout_batches WHERE state = 'failed'").map { $0.text(0) } }
        #expect(hashes.count == 2)
        for hash in hashes { #expect(try await Self.receipt(node, arb.chain, hash).status == "0x0") }
        #expect(try await node.tokenBalance(arb.chain, of: address) == .zero)
        #expect(try await node.tokenBalance(arb.chain, of: arb.keys[0].address.checksummed) == arb.units(1_000_000))
    }
}
