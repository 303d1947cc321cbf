/// The devnet's own transaction format for networks whose real transactions this module does not build
/// yet (TRON, TON), and for batches on any network: a sender's numbered list of USDT transfers.
/// Encoded as 0xd7 || rlp([network, sender, nonce, [[to, amountMicroUSDT], ...]]). It carries no
/// signature: the devnet simulates settlement, it does not authenticate; EVM devnets also take real
/// signed type-2 transactions, which are checked.
public struct DevnetTransaction: Hashable, Sendable {
    public struct Transfer: Hashable, Sendable {
        public var to: String
        public var amountMicroUSDT: Int64
        public init(to: String, amountMicroUSDT: Int64) {
            self.to = to
            self.amountMicroUSDT = amountMicroUSDT
        }
    }

    public static let typeByte: UInt8 = 0xd7

    public var network: PayoutNetwork
    public var sender: String
    public var nonce: UInt64
    public var transfers: [Transfer]

    public init(network: PayoutNetwork, sender: String, nonce: UInt64, transfers: [Transfer]) {
        self.network = network
        self.sender = sender
        self.nonce = nonce
        self.transfers = transfers
    }

    public var encoded: [UInt8] {
        let list = RLP.list([
            .bytes(Array(network.rawValue.utf8)), .bytes(Array(sender.utf8)), .uint(nonce),
            .list(transfers.map { .list([.bytes(Array($0.to.utf8)), .uint(UInt64($0.amountMicroUSDT))]) }),
        ])
        return [Self.typeByte] + list.encoded
    }

    public var hash: TransactionHash { TransactionHash(bytes: Keccak.hash256(encoded)) }

    public init(encoded bytes: [UInt8]) throws(SettlementError) {
        guard bytes.first == Self.typeByte, let item = try? RLP.decode(Array(bytes.dropFirst())), let f = item.listValue, f.count == 4,
              let networkBytes = f[0].bytesValue, let network = PayoutNetwork(rawValue: String(decoding: networkBytes, as: UTF8.self)),
              let senderBytes = f[1].bytesValue, let nonceBytes = f[2].bytesValue, let nonce = UInt256(bigEndian: nonceBytes)?.uint64,
              let items = f[3].listValue
        else { throw .rejected("not a devnet transaction") }
        var transfers: [Transfer] = []
        for item in items {
            guard let pair = item.listValue, pair.count == 2, let to = pair[0].bytesValue, let amountBytes = pair[1].bytesValue,
                  let amount = UInt256(bigEndian: amountBytes)?.uint64, amount > 0, amount <= UInt64(Int64.max)
            else { throw .rejected("malformed transfer") }
            transfers.append(Transfer(to: String(decoding: to, as: UTF8.self), amountMicroUSDT: Int64(amount)))
        }
        guard !transfers.isEmpty else { throw .rejected("a transaction pays someone") }
        self.init(network: network, sender: String(decoding: senderBytes, as: UTF8.self), nonce: nonce, transfers: transfers)
        guard encoded == bytes else { throw .rejected("not canonical") }
    }
}
