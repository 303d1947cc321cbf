/// How one simulated chain behaves.
public struct DevnetChainParameters: Sendable, Hashable {
    public var blockTimeMillis: Int64
    /// Blocks, counting the including one, after which a block cannot be reorganized away.
    public var finalityConfirmations: UInt64
    public var maxTransactionsPerBlock: Int

    public init(blockTimeMillis: Int64, finalityConfirmations: UInt64, maxTransactionsPerBlock: Int = 1_000) {
        precondition(blockTimeMillis > 0 && finalityConfirmations >= 1 && maxTransactionsPerBlock >= 1, "a chain makes progress")
        self.blockTimeMillis = blockTimeMillis
        self.finalityConfirmations = finalityConfirmations
        self.maxTransactionsPerBlock = maxTransactionsPerBlock
    }

    /// Shapes of the real networks: TRON 3 s blocks, solid after 19; BSC 0.75 s blocks, fast finality
    /// after 2; Arbitrum 0.25 s blocks, final once posted to L1 (taken as 40 blocks here, far shorter
    /// than the real ~15 minutes so tests stay quick); TON ~2.5 s blocks, final when included.
    public static func defaults(for network: PayoutNetwork) -> DevnetChainParameters {
        switch network {
        case .trc20: DevnetChainParameters(blockTimeMillis: 3_000, finalityConfirmations: 19)
        case .bep20: DevnetChainParameters(blockTimeMillis: 750, finalityConfirmations: 2)
        case .arbitrum: DevnetChainParameters(blockTimeMillis: 250, finalityConfirmations: 40)
        case .ton: DevnetChainParameters(blockTimeMillis: 2_500, finalityConfirmations: 1)
        }
    }
}

/// A failure the devnet is told to produce once, on one network.
public enum DevnetFault: Hashable, Sendable {
    /// The next broadcast is answered with its hash but never reaches a block: the mempool loses it.
    case dropNextBroadcast
    /// The next transaction put in a block reverts: its nonce and fee are used, no tokens move.
    case revertNextTransaction
    /// The next call times out. For a broadcast, `broadcastAccepted` says whether the node got it anyway.
    case timeoutNextCall(broadcastAccepted: Bool)
    /// Before the next block, the last `depth` blocks that are not final are replaced. Their transactions
    /// go back to the mempool (to be included again), or are lost when `dropTransactions`.
    case reorgBeforeNextBlock(depth: Int, dropTransactions: Bool)
}

/// Faults at random rates (per million calls or transactions), replayable from `seed`.
public struct DevnetRandomFaults: Sendable, Hashable {
    public var dropPerMillion: UInt64
    public var revertPerMillion: UInt64
    public var timeoutPerMillion: UInt64
    public var seed: UInt64

    public init(dropPerMillion: UInt64 = 0, revertPerMillion: UInt64 = 0, timeoutPerMillion: UInt64 = 0, seed: UInt64 = 1) {
        self.dropPerMillion = dropPerMillion
        self.revertPerMillion = revertPerMillion
        self.timeoutPerMillion = timeoutPerMillion
        self.seed = seed
    }

    public static let none = DevnetRandomFaults()
}
