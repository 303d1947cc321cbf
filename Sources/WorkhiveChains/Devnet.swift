/// The embedded settlement layer: one simulated chain per payout network, each with its fee model,
/// block time, confirmations and finality, moving USDT balances, and producing the failures it is told
/// to (dropped transaction, revert, RPC timeout, reorg before finality). Time only moves through
/// `advance(byMillis:)` and randomness only comes from the seeded generator, so runs replay exactly.
public actor Devnet {
    public private(set) var nowMillis: Int64
    private var chains: [PayoutNetwork: DevnetChainState]
    private var randomFaults: DevnetRandomFaults
    private var rng: SplitMix64

    public init(
        parameters: [PayoutNetwork: DevnetChainParameters] = [:], fees: FeeModel = FeeModel(),
        randomFaults: DevnetRandomFaults = .none, startMillis: Int64 = 0
    ) {
        nowMillis = startMillis
        var chains: [PayoutNetwork: DevnetChainState] = [:]
        for network in PayoutNetwork.allCases {
            let p = parameters[network] ?? .defaults(for: network)
            chains[network] = DevnetChainState(network: network, parameters: p, fees: fees, firstBlockAtMillis: startMillis + p.blockTimeMillis)
        }
        self.chains = chains
        self.randomFaults = randomFaults
        rng = SplitMix64(seed: randomFaults.seed)
    }

    /// The `SettlementNetwork` face of one chain.
    public func settlement(_ network: PayoutNetwork) -> DevnetSettlement {
        DevnetSettlement(devnet: self, network: network, finalityConfirmations: chains[network]!.parameters.finalityConfirmations)
    }

    // MARK: Driving the simulation

    /// Moves time forward, producing every block that falls due on every chain.
    public func advance(byMillis millis: Int64) {
        precondition(millis >= 0, "time does not go back")
        nowMillis += millis
        for network in PayoutNetwork.allCases {
            while chains[network]!.nextBlockAtMillis <= nowMillis {
                chains[network]!.produceBlock(rng: &rng, revertPerMillion: randomFaults.revertPerMillion)
            }
        }
    }

    public func inject(_ fault: DevnetFault, on network: PayoutNetwork) { chains[network]!.faults.append(fault) }
    public func setFees(_ fees: FeeModel, on network: PayoutNetwork) { chains[network]!.fees = fees }

    /// Credits USDT to an account outside any block (funding a hot wallet).
    public func mint(_ amountMicroUSDT: Int64, to account: String, on network: PayoutNetwork) {
        precondition(amountMicroUSDT > 0, "mint a positive amount")
        chains[network]!.balances[account, default: 0] += amountMicroUSDT
    }

    public func balance(of account: String, on network: PayoutNetwork) -> Int64 { chains[network]!.balances[account] ?? 0 }
    /// Fees the sender has paid on `network`, in micro-USDT at the fee model's prices.
    public func feesPaid(by sender: String, on network: PayoutNetwork) -> Int64 { chains[network]!.feesPaid[sender] ?? 0 }
    public func headBlock(on network: PayoutNetwork) -> UInt64 { UInt64(chains[network]!.blocks.count) }
    public func parameters(of network: PayoutNetwork) -> DevnetChainParameters { chains[network]!.parameters }
    /// Transactions that succeeded and are final, with the recipients they paid: for exactly-once checks.
    public func finalTransfers(on network: PayoutNetwork) -> [(hash: TransactionHash, transfers: [DevnetTransaction.Transfer])] {
        chains[network]!.finalSuccessfulTransfers()
    }

    // MARK: Calls from DevnetSettlement

    private func consumeTimeout(on network: PayoutNetwork) -> DevnetFault? {
        if let i = chains[network]!.faults.firstIndex(where: { if case .timeoutNextCall = $0 { true } else { false } }) {
            return chains[network]!.faults.remove(at: i)
        }
        if randomFaults.timeoutPerMillion > 0, rng.next() % 1_000_000 < randomFaults.timeoutPerMillion {
            return .timeoutNextCall(broadcastAccepted: rng.next() % 2 == 0)
        }
        return nil
    }

    func broadcast(_ raw: [UInt8], on network: PayoutNetwork) throws(SettlementError) -> TransactionHash {
        if case .timeoutNextCall(let accepted)? = consumeTimeout(on: network) {
            if accepted { _ = try? chains[network]!.accept(raw, drop: false) }
            throw .timeout
        }
        var drop = false
        if let i = chains[network]!.faults.firstIndex(of: .dropNextBroadcast) {
            chains[network]!.faults.remove(at: i)
            drop = true
        } else if randomFaults.dropPerMillion > 0, rng.next() % 1_000_000 < randomFaults.dropPerMillion {
            drop = true
        }
        return try chains[network]!.accept(raw, drop: drop)
    }

    func status(of hash: TransactionHash, on network: PayoutNetwork) throws(SettlementError) -> TransactionStatus {
        if consumeTimeout(on: network) != nil { throw .timeout }
        return chains[network]!.status(of: hash)
    }

    func feeQuote(recipient: RecipientKind, on network: PayoutNetwork) throws(SettlementError) -> FeeEstimate {
        if consumeTimeout(on: network) != nil { throw .timeout }
        return chains[network]!.fees.transfer(on: network, to: recipient)
    }

    func nextNonce(of sender: String, on network: PayoutNetwork) throws(SettlementError) -> UInt64 {
        if consumeTimeout(on: network) != nil { throw .timeout }
        return chains[network]!.nonces[sender] ?? 0
    }
}

/// One devnet chain behind the `SettlementNetwork` protocol.
public struct DevnetSettlement: SettlementNetwork {
    public let devnet: Devnet
    public let network: PayoutNetwork
    public let finalityConfirmations: UInt64

    public func broadcast(_ signedTransaction: [UInt8]) async throws(SettlementError) -> TransactionHash {
        try await devnet.broadcast(signedTransaction, on: network)
    }
    public func status(of hash: TransactionHash) async throws(SettlementError) -> TransactionStatus {
        try await devnet.status(of: hash, on: network)
    }
    public func feeQuote(recipient: RecipientKind) async throws(SettlementError) -> FeeEstimate {
        try await devnet.feeQuote(recipient: recipient, on: network)
    }
    public func nextNonce(of sender: String) async throws(SettlementError) -> UInt64 {
        try await devnet.nextNonce(of: sender, on: network)
    }
}
