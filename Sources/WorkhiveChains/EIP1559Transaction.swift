/// An EIP-1559 (type 0x02) transaction. The signing hash is keccak256(0x02 || rlp([chainId, nonce,
/// maxPriorityFeePerGas, maxFeePerGas, gasLimit, to, value, data, accessList])); the signed form appends
/// yParity, r, s to that list, and its keccak256 is the transaction hash.
public struct EIP1559Transaction: Hashable, Sendable {
    public var chainID: UInt64
    public var nonce: UInt64
    public var maxPriorityFeePerGasWei: UInt256
    public var maxFeePerGasWei: UInt256
    public var gasLimit: UInt64
    public var to: EVMAddress
    public var valueWei: UInt256
    public var data: [UInt8]

    public static let typeByte: UInt8 = 0x02

    public init(
        chainID: UInt64, nonce: UInt64, maxPriorityFeePerGasWei: UInt256, maxFeePerGasWei: UInt256,
        gasLimit: UInt64, to: EVMAddress, valueWei: UInt256 = .zero, data: [UInt8] = []
    ) {
        self.chainID = chainID
        self.nonce = nonce
        self.maxPriorityFeePerGasWei = maxPriorityFeePerGasWei
        self.maxFeePerGasWei = maxFeePerGasWei
        self.gasLimit = gasLimit
        self.to = to
        self.valueWei = valueWei
        self.data = data
    }

    /// An ERC-20 `transfer` of USDT on `chain`, for `amountMicroUSDT` scaled to the token's decimals.
    public static func usdtTransfer(
        chain: EVMChain, nonce: UInt64, to recipient: EVMAddress, amountMicroUSDT: Int64,
        maxPriorityFeePerGasWei: UInt256, maxFeePerGasWei: UInt256, gasLimit: UInt64
    ) -> EIP1559Transaction {
        EIP1559Transaction(
            chainID: chain.chainID, nonce: nonce, maxPriorityFeePerGasWei: maxPriorityFeePerGasWei,
            maxFeePerGasWei: maxFeePerGasWei, gasLimit: gasLimit, to: chain.usdtContract,
            data: ERC20.transferCalldata(to: recipient, amount: chain.tokenUnits(microUSDT: amountMicroUSDT)))
    }

    var unsignedFields: [RLP] {
        [
            .uint(chainID), .uint(nonce), .uint256(maxPriorityFeePerGasWei), .uint256(maxFeePerGasWei), .uint(gasLimit),
            .bytes(to.bytes), .uint256(valueWei), .bytes(data), .list([]),
        ]
    }

    /// The bytes that are hashed for signing: 0x02 || rlp(unsigned fields).
    public var signingPayload: [UInt8] { [Self.typeByte] + RLP.list(unsignedFields).encoded }
    public var signingHash: [UInt8] { Keccak.hash256(signingPayload) }

    public func signed(by signer: Secp256k1Signer) -> SignedEIP1559Transaction {
        SignedEIP1559Transaction(transaction: self, signature: signer.sign(digest: signingHash))
    }
}

/// A signed type-2 transaction: what is stored before broadcast and re-broadcast byte for byte on retry.
public struct SignedEIP1559Transaction: Hashable, Sendable {
    public let transaction: EIP1559Transaction
    public let signature: RecoverableSignature
    /// 0x02 || rlp([... , yParity, r, s]): the argument of eth_sendRawTransaction.
    public let raw: [UInt8]
    /// keccak256(raw), the transaction hash.
    public let hash: [UInt8]

    public init(transaction: EIP1559Transaction, signature: RecoverableSignature) {
        self.transaction = transaction
        self.signature = signature
        // r and s are integers in RLP: leading zero bytes are dropped.
        let fields = transaction.unsignedFields + [
            .uint(UInt64(signature.yParity)),
            .bytes(Array(signature.r.drop { $0 == 0 })),
            .bytes(Array(signature.s.drop { $0 == 0 })),
        ]
        raw = [EIP1559Transaction.typeByte] + RLP.list(fields).encoded
        hash = Keccak.hash256(raw)
    }

    public var rawHex: String { "0x" + Hex.encode(raw) }
    public var hashHex: String { "0x" + Hex.encode(hash) }

    /// The sender, recovered from the signature (what a node does).
    public func recoverSender() throws(Secp256k1Error) -> EVMAddress {
        try Secp256k1Signer.recoverAddress(digest: transaction.signingHash, signature: signature)
    }

    public enum DecodingError: Error, Equatable, Sendable {
        case notType2
        case malformed(String)
    }

    /// Parses raw type-2 bytes (the devnet and tests read back what was signed).
    public init(raw bytes: [UInt8]) throws(DecodingError) {
        guard bytes.first == EIP1559Transaction.typeByte else { throw .notType2 }
        let item: RLP
        do { item = try RLP.decode(Array(bytes.dropFirst())) } catch { throw .malformed("rlp: \(error)") }
        guard let f = item.listValue, f.count == 12 else { throw .malformed("expected 12 fields") }
        func uint(_ i: Int) throws(DecodingError) -> UInt256 {
            guard let b = f[i].bytesValue, b.first != 0, let v = UInt256(bigEndian: b) else { throw .malformed("field \(i)") }
            return v
        }
        func u64(_ i: Int) throws(DecodingError) -> UInt64 {
            guard let v = try uint(i).uint64 else { throw .malformed("field \(i) exceeds 64 bits") }
            return v
        }
        guard let toBytes = f[5].bytesValue, let to = try? EVMAddress(bytes: toBytes) else { throw .malformed("to") }
        guard let data = f[7].bytesValue, f[8] == .list([]) else { throw .malformed("data or access list") }
        let parity = try u64(9)
        guard parity <= 1, let r = f[10].bytesValue, let s = f[11].bytesValue, r.count <= 32, s.count <= 32 else {
            throw .malformed("signature")
        }
        let tx = EIP1559Transaction(
            chainID: try u64(0), nonce: try u64(1), maxPriorityFeePerGasWei: try uint(2), maxFeePerGasWei: try uint(3),
            gasLimit: try u64(4), to: to, valueWei: try uint(6), data: data)
        let pad = { (b: [UInt8]) in [UInt8](repeating: 0, count: 32 - b.count) + b }
        self.init(transaction: tx, signature: RecoverableSignature(r: pad(r), s: pad(s), yParity: UInt8(parity)))
        guard self.raw == bytes else { throw .malformed("not canonical") }
    }
}
