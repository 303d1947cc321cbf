/// An EVM chain USDT payouts use, with the token's contract and decimals.
public struct EVMChain: Hashable, Sendable {
    public let network: PayoutNetwork
    public let chainID: UInt64
    public let usdtContract: EVMAddress
    public let usdtDecimals: Int

    public init(network: PayoutNetwork, chainID: UInt64, usdtContract: EVMAddress, usdtDecimals: Int) {
        precondition(usdtDecimals >= 6 && usdtDecimals <= 30, "token units are derived from micro-USDT")
        self.network = network
        self.chainID = chainID
        self.usdtContract = usdtContract
        self.usdtDecimals = usdtDecimals
    }

    /// BNB Smart Chain: USDT (Binance-Peg) has 18 decimals.
    public static let bsc = EVMChain(
        network: .bep20, chainID: 56, usdtContract: try! EVMAddress("0x55d398326f99059fF775485246999027B3197955"), usdtDecimals: 18)
    /// Arbitrum One: USDT has 6 decimals.
    public static let arbitrumOne = EVMChain(
        network: .arbitrum, chainID: 42161, usdtContract: try! EVMAddress("0xFd086bC7CD5C481DCC9C85ebE478A1C0b69FCbb9"), usdtDecimals: 6)

    /// The chain for an EVM payout network; nil for TRON and TON.
    public static func forNetwork(_ network: PayoutNetwork) -> EVMChain? {
        switch network {
        case .bep20: .bsc
        case .arbitrum: .arbitrumOne
        case .trc20, .ton: nil
        }
    }

    /// Token base units for an amount in micro-USDT: × 10^(decimals − 6), in 256 bits.
    public func tokenUnits(microUSDT: Int64) -> UInt256 {
        precondition(microUSDT >= 0, "amounts paid out are not negative")
        var units = UInt256(UInt64(microUSDT))
        for _ in 0..<(usdtDecimals - 6) { units = units * 10 }
        return units
    }
}
