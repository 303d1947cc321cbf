/// The networks USDT payouts settle on.
public enum PayoutNetwork: String, CaseIterable, Codable, Hashable, Sendable, Comparable, CustomStringConvertible {
    case trc20
    case bep20
    case arbitrum
    case ton

    public var displayName: String {
        switch self {
        case .trc20: "TRON (TRC-20)"
        case .bep20: "BNB Smart Chain (BEP-20)"
        case .arbitrum: "Arbitrum One"
        case .ton: "TON"
        }
    }

    /// USDT's own contract (TON: its jetton master) on each network.
    public var usdtContract: String {
        switch self {
        case .trc20: "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"
        case .bep20: "0x55d398326f99059fF775485246999027B3197955"
        case .arbitrum: "0xFd086bC7CD5C481DCC9C85ebE478A1C0b69FCbb9"
        case .ton: "EQCxE6mUtQJKFnGfaROTKOt1lZbDiiX1kCixRv7Nw2Id_sDs"
        }
    }

    /// Decimals of USDT on the network: 18 on BNB Smart Chain, 6 elsewhere.
    public var usdtDecimals: Int { self == .bep20 ? 18 : 6 }

    public var description: String { rawValue }

    // A fixed order for ties and listings.
    private var order: Int {
        switch self {
        case .trc20: 0
        case .bep20: 1
        case .arbitrum: 2
        case .ton: 3
        }
    }

    public static func < (lhs: PayoutNetwork, rhs: PayoutNetwork) -> Bool { lhs.order < rhs.order }
}
