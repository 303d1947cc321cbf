/// The fee fields and gas limit one EIP-1559 transfer is signed with.
public struct EVMTransferTerms: Hashable, Sendable {
    public let maxPriorityFeePerGasWei: UInt256
    public let maxFeePerGasWei: UInt256
    public let gasLimit: UInt64

    public init(maxPriorityFeePerGasWei: UInt256, maxFeePerGasWei: UInt256, gasLimit: UInt64) {
        self.maxPriorityFeePerGasWei = maxPriorityFeePerGasWei
        self.maxFeePerGasWei = maxFeePerGasWei
        self.gasLimit = gasLimit
    }
}

/// The most a payout may bid per gas, whatever the node suggests.
public struct EVMFeeCaps: Hashable, Sendable {
    public var maxFeePerGasWei: UInt256
    public var maxPriorityFeePerGasWei: UInt256

    public init(maxFeePerGasWei: UInt256, maxPriorityFeePerGasWei: UInt256) {
        self.maxFeePerGasWei = maxFeePerGasWei
        self.maxPriorityFeePerGasWei = maxPriorityFeePerGasWei
    }

    /// BSC runs at 0.05–1 gwei and Arbitrum One at 0.01–0.1 gwei; the caps leave room for spikes
    /// without letting one sign a transfer at a hundred times the usual price.
    public static func defaults(for network: PayoutNetwork) -> EVMFeeCaps {
        switch network {
        case .arbitrum: EVMFeeCaps(maxFeePerGasWei: 2_000_000_000, maxPriorityFeePerGasWei: 100_000_000)
        default: EVMFeeCaps(maxFeePerGasWei: 10_000_000_000, maxPriorityFeePerGasWei: 3_000_000_000)
        }
    }
}

/// The fee fields from what a node reports, pure arithmetic.
enum EVMFeeMarket {
    /// `nextBaseFee` is the base fee of the next block (nil on a node without EIP-1559 fee data);
    /// `priority` the node's suggested tip; `gasPrice` the legacy price (the fallback for both).
    /// maxFee = 2 × base fee + tip (two full blocks of base-fee growth before the transaction is priced
    /// out), cut to the cap; a market already above the cap is refused rather than signed.
    static func fees(nextBaseFee: UInt256?, priority: UInt256?, gasPrice: UInt256?, caps: EVMFeeCaps)
        throws(SettlementError) -> (maxPriorityFeePerGasWei: UInt256, maxFeePerGasWei: UInt256)
    {
        guard let base = nextBaseFee else {
            guard let gasPrice else { throw .unavailable("the node reports neither a base fee nor a gas price") }
            guard gasPrice <= caps.maxFeePerGasWei else {
                throw .unavailable("gas price \(gasPrice) wei is above the cap of \(caps.maxFeePerGasWei) wei")
            }
            return (gasPrice, gasPrice)
        }
        let suggested = priority ?? gasPrice.map { $0 > base ? $0 - base : .zero } ?? .zero
        let tip = min(suggested, caps.maxPriorityFeePerGasWei)
        guard base + tip <= caps.maxFeePerGasWei else {
            throw .unavailable("base fee \(base) wei + tip \(tip) wei is above the cap of \(caps.maxFeePerGasWei) wei")
        }
        return (tip, min(base * 2 + tip, caps.maxFeePerGasWei))
    }

    /// The estimate plus a margin: unused gas is not charged, and a transfer to a new holder costs more
    /// than the one estimated if the estimate was for a holder.
    static func gasLimit(estimate: UInt64, marginPercent: UInt64) -> UInt64 {
        estimate + (estimate * marginPercent + 99) / 100
    }
}
