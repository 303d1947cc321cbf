import WorkhiveCore

/// A worker's payout address on one network, normalized (EIP-55 for EVM, base64url for TON).
public struct PayoutAddressView: Sendable, Codable, Equatable {
    public var network: String
    public var address: String
    public var updatedAtMillis: Int64
}

/// A worker's payout addresses and network preference.
public struct PayoutAddressesView: Sendable, Codable, Equatable {
    public var workerId: WorkerID
    public var addresses: [PayoutAddressView]
    /// "none", "low_fee" or a network.
    public var preference: String
}

/// One payout: what the worker asked for, where it goes, what the network costs, why that network, and
/// where it stands. `sentMicroUSDT` reaches the address; the fee is the chosen network's quote.
public struct PayoutView: Sendable, Codable, Equatable {
    public var id: PayoutID
    public var workerId: WorkerID
    public var network: String
    public var address: String
    public var amountMicroUSDT: Int64
    public var feeMicroUSDT: Int64
    public var sentMicroUSDT: Int64
    /// seed_rule, worker_preference, lowest_fee or cheapest_fallback.
    public var rule: String
    public var reason: String
    public var origin: PayoutOrigin
    public var state: PayoutState
    public var batchId: PayoutBatchID?
    public var txHash: String?
    public var attempts: Int
    public var failureReason: String?
    public var createdAtMillis: Int64
    public var updatedAtMillis: Int64
    public var confirmedAtMillis: Int64?
}

/// What one dispatcher pass did.
public struct PayoutDispatchReport: Sendable, Equatable {
    public var batchesSigned = 0
    public var payoutsSigned = 0
    public var broadcasts = 0
    public var batchesConfirmed = 0
    public var payoutsConfirmed = 0
    public var batchesFailed = 0
    public var payoutsRequeued = 0
    public var payoutsRefunded = 0
    public init() {}

    public static func += (a: inout Self, b: Self) {
        a.batchesSigned += b.batchesSigned; a.payoutsSigned += b.payoutsSigned; a.broadcasts += b.broadcasts
        a.batchesConfirmed += b.batchesConfirmed; a.payoutsConfirmed += b.payoutsConfirmed
        a.batchesFailed += b.batchesFailed; a.payoutsRequeued += b.payoutsRequeued; a.payoutsRefunded += b.payoutsRefunded
    }
}
