/// A hot wallet on a real EVM chain: one ERC-20 `transfer` per transaction, EIP-1559, signed with
/// libsecp256k1 under fees and a gas limit read from the node just before signing (`prepared()`).
public struct EVMHotWallet: PayoutSigner {
    public let settlement: EVMRPCSettlement
    private let key: Secp256k1Signer
    private let terms: EVMTransferTerms?

    public init(key: Secp256k1Signer, settlement: EVMRPCSettlement) {
        self.init(key: key, settlement: settlement, terms: nil)
    }

    private init(key: Secp256k1Signer, settlement: EVMRPCSettlement, terms: EVMTransferTerms?) {
        self.key = key
        self.settlement = settlement
        self.terms = terms
    }

    public var network: PayoutNetwork { settlement.network }
    public var address: String { key.address.checksummed }
    /// A multisend contract would allow more; plain transfers are one recipient each.
    public var maxTransfersPerTransaction: Int { 1 }

    public func prepared() async throws -> any PayoutSigner {
        EVMHotWallet(key: key, settlement: settlement, terms: try await settlement.transferTerms(from: key.address))
    }

    public func sign(nonce: UInt64, transfers: [DevnetTransaction.Transfer]) throws -> SignedPayoutTransaction {
        guard let terms else { throw PayoutSignerError.notPrepared }
        guard let transfer = transfers.first else { throw PayoutSignerError.emptyBatch }
        guard transfers.count == 1 else { throw PayoutSignerError.tooManyTransfers(transfers.count, limit: 1) }
        guard let to = try? EVMAddress(transfer.to) else { throw PayoutSignerError.badRecipient(transfer.to) }
        let tx = EIP1559Transaction.usdtTransfer(
            chain: settlement.chain, nonce: nonce, to: to, amountMicroUSDT: transfer.amountMicroUSDT,
            maxPriorityFeePerGasWei: terms.maxPriorityFeePerGasWei, maxFeePerGasWei: terms.maxFeePerGasWei, gasLimit: terms.gasLimit)
        return SignedPayoutTransaction(raw: tx.signed(by: key).raw)
    }
}
