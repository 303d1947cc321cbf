import WorkhiveChains
import WorkhiveCore

/// How the platform pays workers out: which address formats it accepts, how it picks a network, when it
/// pays without being asked, and how the dispatcher batches.
public struct PayoutConfiguration: Sendable {
    /// Validate addresses as mainnet ones (testnet-flagged TON addresses are refused). The devnet
    /// default is mainnet-format validation too, so addresses that work here work on the real networks.
    public var mainnet = true
    /// Fee prices per network (configuration, not constants: they move with the markets).
    public var fees = FeeSchedule.defaults
    /// Enabled networks, fee cap and the minimum payout per network.
    public var policy = NetworkChoicePolicy(minimumPayoutMicroUSDT: PayoutConfiguration.defaultMinimums)
    /// Payouts on approval: off, immediate, or once the balance reaches a threshold.
    public var automatic: AutomaticPayouts = .off
    /// At most this many payouts in one transaction (also capped by the network's own batch limit).
    public var maxBatchSize = 100
    /// A network's queued payouts are sent once this many are waiting, or once the oldest has waited this long.
    public var batchAtSize = 50
    public var maxBatchAgeMillis: Int64 = 10_000
    /// Batches a payout may be in before it is refunded: a revert or a rejected transaction puts its
    /// payouts back in the queue until then.
    public var maxAttempts = 3

    public init() {}

    /// TRC-20 transfers cost dollars at 2025-26 energy prices, so TRON has a higher floor.
    public static let defaultMinimums: [PayoutNetwork: Int64] = [
        .trc20: 20_000_000, .bep20: 1_000_000, .arbitrum: 1_000_000, .ton: 1_000_000,
    ]

    public var chooser: NetworkChooser { NetworkChooser(fees: FeeModel(schedule: fees), policy: policy) }

    /// The largest batch the dispatcher sends on `network`.
    public func batchLimit(_ network: PayoutNetwork) -> Int { max(1, min(maxBatchSize, fees.maxBatchSize(network))) }
}
