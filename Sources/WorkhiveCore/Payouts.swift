/// Identifiers of the payout pipeline.
public enum PayoutTag {}
public enum PayoutBatchTag {}
public typealias PayoutID = ID<PayoutTag>
public typealias PayoutBatchID = ID<PayoutBatchTag>

/// Where a payout stands: queued (money moved to in-flight), signed (its transaction's bytes and hash
/// are stored), broadcast (sent to the network), then confirmed (final on chain) or failed (refunded
/// to the worker's balance after its last attempt). A batch that provably cannot settle puts its
/// payouts back in `queued` for another attempt.
public enum PayoutState: String, Sendable, Codable, CaseIterable {
    case queued, signed, broadcast, confirmed, failed

    public var isFinal: Bool { self == .confirmed || self == .failed }
}

/// Why a payout was made: the worker asked, or the platform paid out earnings on approval.
public enum PayoutOrigin: String, Sendable, Codable, CaseIterable {
    case withdrawal, automatic
}

/// When the platform pays earnings out without being asked.
public enum AutomaticPayouts: Sendable, Equatable, CustomStringConvertible {
    /// Only withdrawals.
    case off
    /// On every approval, the worker's whole available balance, once it meets a network's minimum.
    case immediate
    /// Once the available balance reaches this many micro-USDT, so micro-earnings accumulate first.
    case threshold(Int64)

    /// Parses "off", "immediate" or "threshold:<micro-USDT>".
    public init?(_ text: String) {
        switch text {
        case "off": self = .off
        case "immediate": self = .immediate
        default:
            guard text.hasPrefix("threshold:"), let amount = Int64(text.dropFirst("threshold:".count)), amount > 0 else { return nil }
            self = .threshold(amount)
        }
    }

    public var description: String {
        switch self {
        case .off: "off"
        case .immediate: "immediate"
        case .threshold(let amount): "threshold:\(amount)"
        }
    }

    /// Whether `available` micro-USDT should be paid out now.
    public func paysOut(available: Int64) -> Bool {
        switch self {
        case .off: false
        case .immediate: available > 0
        case .threshold(let amount): available >= amount
        }
    }
}
