import AsyncHTTPClient

/// Why an EVM chain could not be set up for payouts. (No URL in the text: RPC URLs often hold an API key.)
public enum EVMSetupError: Error, Equatable, Sendable, CustomStringConvertible {
    case unreachable(SettlementError)
    case wrongChain(expected: UInt64, actual: UInt64)
    case noTokenContract(token: String)

    public var description: String {
        switch self {
        case .unreachable(let e): "the node did not answer: \(e)"
        case .wrongChain(let expected, let actual): "the node is on chain \(actual), not \(expected): refusing to pay there"
        case .noTokenContract(let token): "no contract at \(token) on the node's chain: check the token address"
        }
    }
}

/// A real EVM chain (BSC, Arbitrum One, or any chain with an ERC-20 USDT) behind `SettlementNetwork`,
/// over standard JSON-RPC. Build it with `connect`, which refuses a node on another chain.
///
/// Broadcast errors that concern bytes already sent ("already known", "nonce too low", "replacement
/// transaction underpriced") are answered by looking the hash up, never by giving the bytes up; timeouts
/// and unknown node errors are retried; only errors that say the bytes can never be accepted are `.rejected`.
public struct EVMRPCSettlement: SettlementNetwork {
    public let configuration: EVMSettlementConfiguration
    let rpc: EVMJSONRPC

    public var network: PayoutNetwork { configuration.network }
    public var chain: EVMChain { configuration.chain }
    public var finalityConfirmations: UInt64 { configuration.confirmations }

    private init(_ configuration: EVMSettlementConfiguration, client: HTTPClient) {
        self.configuration = configuration
        rpc = EVMJSONRPC(url: configuration.rpcURL, timeout: configuration.requestTimeout, client: client)
    }

    /// Checks that the node is on the configured chain and that the token contract exists there.
    public static func connect(_ configuration: EVMSettlementConfiguration, client: HTTPClient = .shared) async throws(EVMSetupError) -> EVMRPCSettlement {
        let settlement = EVMRPCSettlement(configuration, client: client)
        let chainID: UInt256
        do { chainID = try await settlement.rpc.quantity("eth_chainId", []) } catch { throw .unreachable(error) }
        guard chainID == UInt256(configuration.chain.chainID) else {
            throw .wrongChain(expected: configuration.chain.chainID, actual: chainID.uint64 ?? .max)
        }
        let code: Any?
        do { code = try await settlement.rpc.plainCall("eth_getCode", [configuration.chain.usdtContract.lowercased, "latest"]) } catch {
            throw .unreachable(error)
        }
        guard let code = code as? String, code.count > 2 else { throw .noTokenContract(token: configuration.chain.usdtContract.checksummed) }
        return settlement
    }

    // MARK: SettlementNetwork

    public func broadcast(_ signedTransaction: [UInt8]) async throws(SettlementError) -> TransactionHash {
        let hash = TransactionHash(bytes: Keccak.hash256(signedTransaction))
        let answer: Any?
        do {
            answer = try await rpc.call("eth_sendRawTransaction", ["0x" + Hex.encode(signedTransaction)])
        } catch {
            switch error {
            case .transport(let e): throw e
            case .node(let e): return try await refused(signedTransaction, hash: hash, because: e)
            }
        }
        guard let returned = (answer as? String).flatMap(TransactionHash.init(hex:)), returned == hash else {
            throw .unavailable("the node answered \(String(describing: answer)) for a transaction whose hash is \(hash)")
        }
        return hash
    }

    /// A refused broadcast: for bytes the node may already have, their hash decides.
    private func refused(_ raw: [UInt8], hash: TransactionHash, because error: JSONRPCError) async throws(SettlementError) -> TransactionHash {
        let refusal = EVMBroadcastRefusal.classify(error.message)
        switch refusal {
        case .invalid: throw .rejected(error.message)
        case .unknown: throw .unavailable("eth_sendRawTransaction: \(error)")
        case .alreadyKnown, .nonceTooLow, .replacementUnderpriced: break
        }
        if try await status(of: hash) != .unknown { return hash }
        switch refusal {
        case .nonceTooLow:
            // Another transaction of the wallet is on chain with this nonce: these bytes can never be.
            let signed = try? SignedEIP1559Transaction(raw: raw)
            var expected: UInt64 = 0
            if let sender = try? signed?.recoverSender() {
                expected = (try? await rpc.quantity("eth_getTransactionCount", [sender.lowercased, "latest"]))?.uint64 ?? 0
            }
            throw .nonceTooLow(expected: expected, got: signed?.transaction.nonce ?? 0)
        case .replacementUnderpriced:
            throw .unavailable("another transaction of the wallet holds this nonce in the node's mempool")
        default:
            throw .unavailable("the node says it knows \(hash) but cannot find it")
        }
    }

    public func status(of hash: TransactionHash) async throws(SettlementError) -> TransactionStatus {
        guard let receipt = try await rpc.plainCall("eth_getTransactionReceipt", [hash.hex]) else {
            return try await rpc.plainCall("eth_getTransactionByHash", [hash.hex]) == nil ? .unknown : .pending
        }
        guard let fields = receipt as? [String: Any], let block = EVMQuantity.parse64(fields["blockNumber"]),
              let status = EVMQuantity.parse64(fields["status"])
        else { throw .unavailable("eth_getTransactionReceipt: no block number or status in \(receipt)") }
        let head = max(try await rpc.quantity("eth_blockNumber", []).uint64 ?? 0, block)
        let finalized = try await finalizedBlock(head: head)
        return .included(block: block, confirmations: head - block + 1, isFinal: finalized.map { block <= $0 } ?? false, succeeded: status == 1)
    }

    /// The newest final block: the node's "finalized" block, or `confirmations` deep below the head
    /// when the node has no such tag (or it is turned off). Nil while no block is final.
    func finalizedBlock(head: UInt64) async throws(SettlementError) -> UInt64? {
        if configuration.useFinalizedTag {
            do {
                if let block = try await rpc.call("eth_getBlockByNumber", ["finalized", false]) as? [String: Any],
                   let number = EVMQuantity.parse64(block["number"]) {
                    return number
                }
            } catch {
                if case .transport(let e) = error { throw e }
                // A node error (no such tag before the merge, or on this chain): count blocks instead.
            }
        }
        return head + 1 >= configuration.confirmations ? head + 1 - configuration.confirmations : nil
    }

    public func nextNonce(of sender: String) async throws(SettlementError) -> UInt64 {
        guard let address = try? EVMAddress(sender) else { throw .rejected("\(sender) is not an EVM address") }
        guard let nonce = try await rpc.quantity("eth_getTransactionCount", [address.lowercased, "pending"]).uint64 else {
            throw .unavailable("eth_getTransactionCount: nonce above 64 bits")
        }
        return nonce
    }

    /// One transfer at the node's current gas price, with the configured per-transfer gas (and, on
    /// Arbitrum, its L1 data part), at the configured coin price.
    public func feeQuote(recipient: RecipientKind) async throws(SettlementError) -> FeeEstimate {
        let market = try await currentFees()
        let price = (market.nextBaseFee ?? .zero) + (market.priority ?? .zero)
        let effective = market.nextBaseFee == nil ? (market.gasPrice ?? .zero) : price
        let s = configuration.fees
        let (gas, extraWei, coinPrice): (Int64, Int64, Int64) = switch network {
        case .arbitrum:
            (recipient == .holder ? s.arbitrum.gasToHolder : s.arbitrum.gasToNewHolder,
             s.arbitrum.l1CompressedBytesPerTransfer * 16 * s.arbitrum.l1PricePerUnitWei, s.ethPriceMicroUSDT)
        default:
            (recipient == .holder ? s.bsc.gasToHolder : s.bsc.gasToNewHolder, 0, s.bnbPriceMicroUSDT)
        }
        let wei = effective * UInt64(gas) + UInt256(UInt64(extraWei))
        guard let native = wei.uint64, native <= UInt64(Int64.max) else { throw .unavailable("fee of \(wei) wei does not fit 64 bits") }
        return FeeEstimate(
            network: network, feeMicroUSDT: FeeModel.microUSDT(native: Int64(native), unit: .wei, priceMicroUSDT: coinPrice),
            nativeFee: Int64(native), nativeUnit: .wei, nativeAttached: 0,
            detail: "\(gas) gas × \(effective) wei from the node" + (extraWei > 0 ? " + L1 \(extraWei) wei" : ""))
    }

    // MARK: Signing terms and reads

    /// Fee fields within the caps and a gas limit for one transfer from `sender`. The gas is estimated
    /// for a transfer of one unit to a fresh address, the dearest kind (a new balance slot), plus the margin.
    public func transferTerms(from sender: EVMAddress) async throws(SettlementError) -> EVMTransferTerms {
        let market = try await currentFees()
        let fees = try EVMFeeMarket.fees(nextBaseFee: market.nextBaseFee, priority: market.priority, gasPrice: market.gasPrice,
                                         caps: configuration.feeCaps)
        let probe = SecureRandom.bytes(20)
        let call: [String: Any] = [
            "from": sender.lowercased, "to": chain.usdtContract.lowercased,
            "data": "0x" + Hex.encode(ERC20.transferCalldata(to: try! EVMAddress(bytes: probe), amount: 1)),
        ]
        guard let estimate = try await rpc.quantity("eth_estimateGas", [call]).uint64 else { throw .unavailable("eth_estimateGas: above 64 bits") }
        return EVMTransferTerms(maxPriorityFeePerGasWei: fees.maxPriorityFeePerGasWei, maxFeePerGasWei: fees.maxFeePerGasWei,
                                gasLimit: EVMFeeMarket.gasLimit(estimate: estimate, marginPercent: configuration.gasMarginPercent))
    }

    /// The token balance of `owner` in base units, by eth_call of balanceOf at the latest block.
    public func tokenBalance(of owner: EVMAddress) async throws(SettlementError) -> UInt256 {
        let call: [String: Any] = ["to": chain.usdtContract.lowercased, "data": "0x" + Hex.encode(ERC20.balanceOfCalldata(owner))]
        let result = try await rpc.plainCall("eth_call", [call, "latest"])
        guard let hex = result as? String, let bytes = Hex.decode(hex), bytes.count == 32, let value = UInt256(bigEndian: bytes) else {
            throw .unavailable("balanceOf answered \(String(describing: result))")
        }
        return value
    }

    /// The next block's base fee and a tip from eth_feeHistory and eth_maxPriorityFeePerGas; on a node
    /// with neither, the legacy eth_gasPrice.
    private func currentFees() async throws(SettlementError) -> (nextBaseFee: UInt256?, priority: UInt256?, gasPrice: UInt256?) {
        var nextBaseFee: UInt256?
        var historyTip: UInt256?
        do {
            if let history = try await rpc.call("eth_feeHistory", ["0x1", "latest", [50]]) as? [String: Any] {
                nextBaseFee = (history["baseFeePerGas"] as? [Any])?.last.flatMap(EVMQuantity.parse)
                historyTip = ((history["reward"] as? [Any])?.first as? [Any])?.first.flatMap(EVMQuantity.parse)
            }
        } catch {
            if case .transport(let e) = error { throw e }
        }
        var priority: UInt256?
        do { priority = EVMQuantity.parse(try await rpc.call("eth_maxPriorityFeePerGas", [])) } catch {
            if case .transport(let e) = error { throw e }
        }
        var gasPrice: UInt256?
        if nextBaseFee == nil || (priority ?? historyTip) == nil { gasPrice = try await rpc.quantity("eth_gasPrice", []) }
        return (nextBaseFee, priority ?? historyTip, gasPrice)
    }
}
