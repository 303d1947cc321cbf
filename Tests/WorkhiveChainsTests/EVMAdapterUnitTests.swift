import Testing
@testable import WorkhiveChains

/// The EVM adapter's pure parts: fee fields from a node's figures, the reading of broadcast errors,
/// JSON-RPC quantities.
@Suite struct EVMAdapterUnitTests {
    let caps = EVMFeeCaps(maxFeePerGasWei: 10_000_000_000, maxPriorityFeePerGasWei: 2_000_000_000)

    @Test func feesFollowTheBaseFeeAndTheTipWithinTheCaps() throws {
        // maxFee = 2 × base + tip.
        let normal = try EVMFeeMarket.fees(nextBaseFee: 1_000_000_000, priority: 500_000_000, gasPrice: nil, caps: caps)
        #expect(normal.maxPriorityFeePerGasWei == 500_000_000 && normal.maxFeePerGasWei == 2_500_000_000)
        // The tip is cut to its cap; maxFee to its cap when 2 × base would pass it.
        let capped = try EVMFeeMarket.fees(nextBaseFee: 4_500_000_000, priority: 9_000_000_000, gasPrice: nil, caps: caps)
        #expect(capped.maxPriorityFeePerGasWei == 2_000_000_000 && capped.maxFeePerGasWei == 10_000_000_000)
        // No tip suggestion: gas price above the base fee is the tip.
        let fromGasPrice = try EVMFeeMarket.fees(nextBaseFee: 100, priority: nil, gasPrice: 150, caps: caps)
        #expect(fromGasPrice.maxPriorityFeePerGasWei == 50 && fromGasPrice.maxFeePerGasWei == 250)
        // BSC: base fee 0, so maxFee is the tip.
        let bsc = try EVMFeeMarket.fees(nextBaseFee: 0, priority: 50_000_000, gasPrice: nil, caps: caps)
        #expect(bsc.maxPriorityFeePerGasWei == 50_000_000 && bsc.maxFeePerGasWei == 50_000_000)
        // A node without EIP-1559 data: the legacy price in both fields.
        let legacy = try EVMFeeMarket.fees(nextBaseFee: nil, priority: nil, gasPrice: 3_000_000_000, caps: caps)
        #expect(legacy.maxPriorityFeePerGasWei == 3_000_000_000 && legacy.maxFeePerGasWei == 3_000_000_000)
    }

    @Test func aMarketAboveTheCapIsNotSigned() {
        #expect(throws: SettlementError.self) { try EVMFeeMarket.fees(nextBaseFee: 9_000_000_000, priority: 1_500_000_000, gasPrice: nil, caps: caps) }
        #expect(throws: SettlementError.self) { try EVMFeeMarket.fees(nextBaseFee: nil, priority: nil, gasPrice: 10_000_000_001, caps: caps) }
        #expect(throws: SettlementError.unavailable("the node reports neither a base fee nor a gas price")) {
            try EVMFeeMarket.fees(nextBaseFee: nil, priority: 1, gasPrice: nil, caps: caps)
        }
        // Exactly at the cap is allowed.
        #expect((try? EVMFeeMarket.fees(nextBaseFee: 8_000_000_000, priority: 2_000_000_000, gasPrice: nil, caps: caps)) != nil)
    }

    @Test func theGasLimitAddsTheMarginRoundedUp() {
        #expect(EVMFeeMarket.gasLimit(estimate: 51_000, marginPercent: 25) == 63_750)
        #expect(EVMFeeMarket.gasLimit(estimate: 65_485, marginPercent: 25) == 81_857)
        #expect(EVMFeeMarket.gasLimit(estimate: 21_000, marginPercent: 0) == 21_000)
    }

    /// Messages as geth (and its forks BSC and Arbitrum Nitro) word them, and as other nodes do.
    @Test(arguments: [
        ("already known", EVMBroadcastRefusal.alreadyKnown),
        ("known transaction: 0x5e2a...", .alreadyKnown),
        ("nonce too low: address 0x9d8A62f656a8d1615C1294fd71e9CFb3E4855A4F, tx: 3 state: 5", .nonceTooLow),
        ("Nonce too low", .nonceTooLow),
        ("replacement transaction underpriced", .replacementUnderpriced),
        ("transaction underpriced: tip needed 1000000000, tip permitted 0", .invalid),
        ("invalid chain id", .invalid),
        ("insufficient funds for gas * price + value: address 0x1 have 0 want 10", .invalid),
        ("intrinsic gas too low", .invalid),
        ("max fee per gas less than block base fee: address 0x1, maxFeePerGas: 1 baseFee: 7", .invalid),
        ("rlp: expected input list for types.DynamicFeeTx", .invalid),
        ("tx fee (1.20 ether) exceeds the configured cap (1.00 ether)", .invalid),
        ("request rate limit exceeded", .unknown),
        ("internal error", .unknown),
        ("header not found", .unknown),
    ])
    func broadcastErrorsAreReadByMessage(message: String, expected: EVMBroadcastRefusal) {
        #expect(EVMBroadcastRefusal.classify(message) == expected)
    }

    @Test func quantitiesParseAsJSONRPCWritesThem() {
        #expect(EVMQuantity.parse("0x0") == .zero)
        #expect(EVMQuantity.parse("0x1a") == UInt256(26))
        #expect(EVMQuantity.parse("0x3b9aca00") == UInt256(1_000_000_000))
        #expect(EVMQuantity.parse("0x" + String(repeating: "f", count: 64)) == .max)
        for bad: Any? in ["0x", "1a", "0xzz", "0x" + String(repeating: "1", count: 65), 26, nil] {
            #expect(EVMQuantity.parse(bad) == nil, "\(String(describing: bad))")
        }
    }
}
