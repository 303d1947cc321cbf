import Foundation
import Testing
@testable import WorkhiveChains
import WorkhiveTestSupport

/// The EVM adapter against a real EVM (py-evm through eth-tester, a vyper ERC-20) over JSON-RPC on
/// loopback: chain check, nonces, fees, gas, broadcast and its error answers, receipts and finality.
/// Serialized: these tests pause mining and stall answers on the chains they use.
@Suite(.serialized, .enabled(if: EVMTestNode.runnable, "needs python3 with eth-tester and vyper (required when CI is set)"))
struct EVMSettlementTests {
    static let usdt = UInt256(1_000_000)  // micro-USDT per USDT

    struct Setup {
        let node: EVMTestNode
        let chain: EVMTestNode.Chain
        let settlement: EVMRPCSettlement
        let key: Secp256k1Signer
        var wallet: EVMHotWallet { EVMHotWallet(key: key, settlement: settlement) }

        func units(_ microUSDT: Int64) -> UInt256 { settlement.chain.tokenUnits(microUSDT: microUSDT) }
        func call(_ method: String, _ params: [Any] = []) async throws -> Any? { try await node.call(chain, method, params) }
        func balance(_ address: String) async throws -> UInt256 { try await node.tokenBalance(chain, of: address) }
    }

    static func configuration(_ chain: EVMTestNode.Chain, confirmations: UInt64 = 3) throws -> EVMSettlementConfiguration {
        var c = EVMSettlementConfiguration(network: .bep20, rpcURL: chain.url)
        c.chain = EVMChain(network: .bep20, chainID: chain.chainID, usdtContract: try EVMAddress(chain.token), usdtDecimals: chain.decimals)
        c.requestTimeout = .seconds(20)  // the node shares two busy cores with the whole test run
        c.confirmations = confirmations
        return c
    }

    /// A fresh hot wallet with 1 ETH for gas and `tokens` micro-USDT on `chainName`.
    static func setup(_ chainName: String = "unit", tokens: Int64 = 1_000 * 1_000_000, confirmations: UInt64 = 3) async throws -> Setup {
        let node = try await EVMTestNode.shared()
        let chain = node.chain(chainName)
        let settlement = try await EVMRPCSettlement.connect(try configuration(chain, confirmations: confirmations))
        let key = try Secp256k1Signer(privateKey: SecureRandom.bytes(32))
        try await node.fund(chain, key.address.checksummed, wei: UInt256(1_000_000_000_000_000_000), tokenUnits: settlement.chain.tokenUnits(microUSDT: tokens))
        return Setup(node: node, chain: chain, settlement: settlement, key: key)
    }

    static func freshAddress() -> String { try! EVMAddress(bytes: SecureRandom.bytes(20)).checksummed }

    /// Polls until `check` holds (the node mines every 0.1 s), failing after `seconds`.
    static func eventually(_ what: String, seconds: Double = 20, _ check: () async throws -> Bool) async throws {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if try await check() { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        Issue.record("timed out waiting until \(what)")
    }

    @Test func connectRefusesAnotherChainAMissingTokenAndADeadNode() async throws {
        let node = try await EVMTestNode.shared()
        let chain = node.chain("unit")
        var mainnet = try Self.configuration(chain)
        mainnet.chain = .bsc  // chain 56, mainnet USDT
        await #expect(throws: EVMSetupError.wrongChain(expected: 56, actual: 131_277_322_940_537)) {
            try await EVMRPCSettlement.connect(mainnet)
        }
        var noToken = try Self.configuration(chain)
        noToken.chain = EVMChain(network: .bep20, chainID: chain.chainID, usdtContract: try EVMAddress(Self.freshAddress()), usdtDecimals: 18)
        await #expect(throws: EVMSetupError.noTokenContract(token: noToken.chain.usdtContract.checksummed)) {
            try await EVMRPCSettlement.connect(noToken)
        }
        var dead = try Self.configuration(chain)
        dead.rpcURL = "http://127.0.0.1:\(try PostgresCluster.freePort())"
        do {
            _ = try await EVMRPCSettlement.connect(dead)
            Issue.record("connected to a port nobody listens on")
        } catch {
            guard case .unreachable(.unavailable(_)) = error else { Issue.record("\(error)"); return }
        }
    }

    @Test func aTransferIsSignedSentIncludedAndFinal() async throws {
        let s = try await Self.setup()
        #expect(try await s.settlement.tokenBalance(of: s.key.address) == s.units(1_000_000_000))
        let nonce = try await s.settlement.nextNonce(of: s.key.address.checksummed)
        #expect(nonce == 0)
        let recipient = Self.freshAddress()
        let signer = try await s.wallet.prepared()
        let signed = try signer.sign(nonce: nonce, transfers: [.init(to: recipient, amountMicroUSDT: 12_345_678)])
        // What was signed: a type-2 transfer of 12.345678 USDT in 18 decimals, on the node's chain id, within the caps.
        let tx = try SignedEIP1559Transaction(raw: signed.raw)
        #expect(tx.transaction.chainID == 131_277_322_940_537 && tx.transaction.nonce == 0)
        #expect(tx.transaction.to.checksummed == s.chain.token && tx.transaction.valueWei == .zero)
        #expect(ERC20.decodeTransfer(tx.transaction.data)?.amount == UInt256(decimal: "12345678000000000000"))
        #expect(tx.transaction.maxPriorityFeePerGasWei == UInt256(1_000_000_000), "the node suggests 1 gwei, under the 3 gwei cap")
        #expect(tx.transaction.maxFeePerGasWei >= tx.transaction.maxPriorityFeePerGasWei)
        #expect(tx.transaction.maxFeePerGasWei <= EVMFeeCaps.defaults(for: .bep20).maxFeePerGasWei)
        #expect(tx.transaction.gasLimit > 50_000 && tx.transaction.gasLimit < 120_000, "estimate + 25%: \(tx.transaction.gasLimit)")
        #expect(try tx.recoverSender() == s.key.address)

        #expect(try await s.settlement.broadcast(signed.raw) == signed.hash)
        try await Self.eventually("the transfer is final") { try await s.settlement.status(of: signed.hash).isFinal }
        guard case .included(let block, let confirmations, true, true) = try await s.settlement.status(of: signed.hash) else {
            Issue.record("not final and successful"); return
        }
        #expect(confirmations >= 3, "finalized lags the head by 2 blocks on this node")
        #expect(try await s.balance(recipient) == UInt256(decimal: "12345678000000000000"))
        #expect(try await s.settlement.tokenBalance(of: s.key.address) == s.units(1_000_000_000 - 12_345_678))
        #expect(try await s.settlement.nextNonce(of: s.key.address.checksummed) == 1)
        let receipt = try #require(try await s.call("eth_getTransactionReceipt", [signed.hash.hex]) as? [String: Any])
        #expect(receipt["status"] as? String == "0x1" && receipt["blockNumber"] as? String == "0x" + String(block, radix: 16))
    }

    /// "already known", "replacement transaction underpriced" and "nonce too low" for bytes already sent
    /// mean "look the hash up"; the same errors for other bytes are what the dispatcher acts on.
    @Test func broadcastErrorsForBytesAlreadySentAreLookedUp() async throws {
        let s = try await Self.setup()
        try await s.node.withMiningPaused(s.chain) {
            let signer = try await s.wallet.prepared()
            let a = try signer.sign(nonce: 0, transfers: [.init(to: Self.freshAddress(), amountMicroUSDT: 1_000_000)])
            let b = try signer.sign(nonce: 0, transfers: [.init(to: Self.freshAddress(), amountMicroUSDT: 2_000_000)])
            #expect(try await s.settlement.broadcast(a.raw) == a.hash)
            // "already known": the same bytes again answer their hash.
            #expect(try await s.settlement.broadcast(a.raw) == a.hash)
            #expect(try await s.settlement.status(of: a.hash) == .pending)
            #expect(try await s.settlement.nextNonce(of: s.key.address.checksummed) == 1, "pending transactions count")
            // Other bytes with that nonce and no fee bump: "replacement transaction underpriced", retried later.
            await #expect(throws: SettlementError.unavailable("another transaction of the wallet holds this nonce in the node's mempool")) {
                try await s.settlement.broadcast(b.raw)
            }
            #expect(try await s.settlement.status(of: b.hash) == .unknown)

            _ = try await s.call("test_mine", [1])
            guard case .included(_, 1, false, true) = try await s.settlement.status(of: a.hash) else {
                Issue.record("a is not included one block deep: \(try await s.settlement.status(of: a.hash))"); return
            }
            // "nonce too low" for the bytes that are on chain: their hash.
            #expect(try await s.settlement.broadcast(a.raw) == a.hash)
            // ... and for other bytes with that nonce: the nonce is taken, these bytes can never be.
            await #expect(throws: SettlementError.nonceTooLow(expected: 1, got: 0)) { try await s.settlement.broadcast(b.raw) }

            // Refusals of the bytes themselves.
            let otherChain = EIP1559Transaction(
                chainID: 56, nonce: 1, maxPriorityFeePerGasWei: 1_000_000_000, maxFeePerGasWei: 5_000_000_000, gasLimit: 90_000,
                to: try EVMAddress(s.chain.token), data: ERC20.transferCalldata(to: try EVMAddress(Self.freshAddress()), amount: 1)
            ).signed(by: s.key)
            await #expect(throws: SettlementError.rejected("invalid chain id")) { try await s.settlement.broadcast(otherChain.raw) }
            let broke = try Secp256k1Signer(privateKey: SecureRandom.bytes(32))
            let noGasMoney = EIP1559Transaction.usdtTransfer(
                chain: s.settlement.chain, nonce: 0, to: try EVMAddress(Self.freshAddress()), amountMicroUSDT: 1,
                maxPriorityFeePerGasWei: 1, maxFeePerGasWei: 1_000_000_000, gasLimit: 90_000
            ).signed(by: broke)
            do {
                _ = try await s.settlement.broadcast(noGasMoney.raw)
                Issue.record("a wallet without gas money broadcast")
            } catch {
                guard case .rejected(let why)? = error as? SettlementError else { Issue.record("\(error)"); return }
                #expect(why.hasPrefix("insufficient funds for gas * price + value"))
            }
        }
    }

    @Test func aTimeoutIsRetryableAndTheBytesAreFoundAfterwards() async throws {
        let s = try await Self.setup()
        let signed = try await s.wallet.prepared().sign(nonce: 0, transfers: [.init(to: Self.freshAddress(), amountMicroUSDT: 3_000_000)])
        // The node takes the bytes, then answers after the adapter's timeout (3 s here).
        var impatient = s.settlement.configuration
        impatient.requestTimeout = .seconds(3)
        let quick = try await EVMRPCSettlement.connect(impatient)
        _ = try await s.call("test_stall", ["eth_sendRawTransaction", 10, true])
        await #expect(throws: SettlementError.timeout) { try await quick.broadcast(signed.raw) }
        #expect(try await s.settlement.status(of: signed.hash) != .unknown)
        #expect(try await s.settlement.broadcast(signed.raw) == signed.hash, "sending the same bytes again is harmless")
        _ = try await s.call("test_stall", ["eth_getTransactionReceipt", 10, false])
        await #expect(throws: SettlementError.timeout) { try await quick.status(of: signed.hash) }
        try await Self.eventually("the transfer is final") { try await s.settlement.status(of: signed.hash).isFinal }
    }

    @Test func aRevertIsFinalAndPaysNothing() async throws {
        let s = try await Self.setup(tokens: 1_000_000)  // 1 USDT
        let recipient = Self.freshAddress()
        let signed = try await s.wallet.prepared().sign(nonce: 0, transfers: [.init(to: recipient, amountMicroUSDT: 5_000_000)])
        #expect(try await s.settlement.broadcast(signed.raw) == signed.hash)
        try await Self.eventually("the revert is final") { try await s.settlement.status(of: signed.hash).isFinal }
        guard case .included(_, _, true, let succeeded) = try await s.settlement.status(of: signed.hash) else { return }
        #expect(!succeeded)
        #expect(try await s.balance(recipient) == .zero)
        #expect(try await s.settlement.tokenBalance(of: s.key.address) == s.units(1_000_000))
    }

    @Test func withoutAFinalizedTagFinalityCountsBlocks() async throws {
        let s = try await Self.setup("depth", confirmations: 3)
        try await s.node.withMiningPaused(s.chain) {
            let signed = try await s.wallet.prepared().sign(nonce: 0, transfers: [.init(to: Self.freshAddress(), amountMicroUSDT: 1_000_000)])
            #expect(try await s.settlement.broadcast(signed.raw) == signed.hash)
            _ = try await s.call("test_mine", [1])
            guard case .included(let block, 1, false, true) = try await s.settlement.status(of: signed.hash) else {
                Issue.record("\(try await s.settlement.status(of: signed.hash))"); return
            }
            _ = try await s.call("test_mine", [1])
            #expect(try await s.settlement.status(of: signed.hash) == .included(block: block, confirmations: 2, isFinal: false, succeeded: true))
            _ = try await s.call("test_mine", [1])
            #expect(try await s.settlement.status(of: signed.hash) == .included(block: block, confirmations: 3, isFinal: true, succeeded: true))
        }
    }

    @Test func feesAboveTheCapAreNotSignedAndQuotesUseTheLivePrice() async throws {
        let s = try await Self.setup()
        var tight = s.settlement.configuration
        tight.feeCaps = EVMFeeCaps(maxFeePerGasWei: 10, maxPriorityFeePerGasWei: 10)
        let capped = try await EVMRPCSettlement.connect(tight)
        await #expect(throws: SettlementError.self) { try await capped.transferTerms(from: s.key.address) }
        await #expect(throws: (any Error).self) { try await EVMHotWallet(key: s.key, settlement: capped).prepared() }
        #expect(throws: PayoutSignerError.notPrepared) { try s.wallet.sign(nonce: 0, transfers: [.init(to: Self.freshAddress(), amountMicroUSDT: 1)]) }

        let quote = try await s.settlement.feeQuote(recipient: .newHolder)
        let gasPrice = try #require(EVMQuantity.parse(try await s.call("eth_gasPrice")))
        #expect(quote.nativeUnit == .wei && quote.network == .bep20)
        // 51,000 gas (a new holder, FeeSchedule's figure) × base fee + 1 gwei tip: within a block's base-fee move of eth_gasPrice.
        let expected = gasPrice * 51_000
        let native = UInt256(UInt64(quote.nativeFee))
        #expect(native * 8 >= expected * 7 && native * 7 <= expected * 8, "\(quote.nativeFee) wei vs \(expected)")
        #expect(quote.feeMicroUSDT == FeeModel.microUSDT(native: quote.nativeFee, unit: .wei, priceMicroUSDT: 600_000_000))
    }
}
