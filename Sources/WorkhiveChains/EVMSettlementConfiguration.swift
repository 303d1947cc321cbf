/// How the EVM adapter pays on one chain: the node, the chain and token it must find there, and the
/// limits it signs within.
public struct EVMSettlementConfiguration: Sendable {
    /// Chain id, USDT contract and decimals. Mainnet values by default; tests and testnets set their own.
    public var chain: EVMChain
    /// The node's JSON-RPC endpoint (http or https).
    public var rpcURL: String
    /// A call that takes longer is a timeout: retried, and a broadcast is looked up before anything else.
    public var requestTimeout: Duration = .seconds(10)
    public var feeCaps: EVMFeeCaps
    /// Use the node's "finalized" block when it has one. Without it, or when this is off, a transaction
    /// is final `confirmations` blocks deep (counting its own block).
    public var useFinalizedTag = true
    public var confirmations: UInt64
    /// Added to eth_estimateGas, in percent.
    public var gasMarginPercent: UInt64 = 25
    /// Coin prices and per-transfer gas, for `feeQuote` (the live gas price comes from the node).
    public var fees: FeeSchedule = .defaults

    public init(network: PayoutNetwork, rpcURL: String) {
        guard let chain = EVMChain.forNetwork(network) else { preconditionFailure("\(network) is not an EVM network") }
        self.chain = chain
        self.rpcURL = rpcURL
        feeCaps = .defaults(for: network)
        // BSC: fast finality makes "finalized" a few blocks behind; 15 blocks (~11 s) where the tag is missing.
        // Arbitrum: "finalized" waits for Ethereum's finality (~15 min); 20 L2 blocks is the sequencer's word only.
        confirmations = network == .arbitrum ? 20 : 15
    }

    public var network: PayoutNetwork { chain.network }
}
