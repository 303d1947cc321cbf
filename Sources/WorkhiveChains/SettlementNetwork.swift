/// A transaction hash: keccak256 of the signed bytes on EVM chains and on the devnet.
public struct TransactionHash: Hashable, Sendable, Codable, CustomStringConvertible {
    public let bytes: [UInt8]
    public init(bytes: [UInt8]) { self.bytes = bytes }
    public init?(hex: String) {
        guard let b = Hex.decode(hex), b.count == 32 else { return nil }
        bytes = b
    }
    public var hex: String { "0x" + Hex.encode(bytes) }
    public var description: String { hex }
}

/// Where a broadcast transaction stands, as a node reports it.
public enum TransactionStatus: Hashable, Sendable {
    /// The node does not know it: never received, dropped from the mempool, or reorganized away and lost.
    case unknown
    /// In the mempool, not in a block.
    case pending
    /// In block `block` with `confirmations` blocks on top counting its own; `isFinal` once the network's
    /// finality rule says it cannot be reorganized away. A reverted transaction is final too: it paid its fee
    /// and moved no tokens.
    case included(block: UInt64, confirmations: UInt64, isFinal: Bool, succeeded: Bool)

    public var isFinal: Bool { if case .included(_, _, true, _) = self { true } else { false } }
}

/// Failures of a call to a settlement network. Only `.rejected` says the bytes are bad; the rest say
/// "the outcome is not known from this answer: look the hash up", which is how payouts stay exactly-once.
public enum SettlementError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The node did not answer in time. A broadcast may or may not have been received.
    case timeout
    /// An earlier transaction of the sender already used this nonce (perhaps this very one).
    case nonceTooLow(expected: UInt64, got: UInt64)
    /// The transaction is invalid (format, chain id, signature, unknown token); retrying the same bytes cannot help.
    case rejected(String)
    /// The node could not be reached or could not act now (connection refused, HTTP error, another transaction
    /// holds the nonce in its mempool, fees above the cap); like a timeout, the next pass tries again.
    case unavailable(String)

    public var description: String {
        switch self {
        case .timeout: "the node did not answer in time"
        case .nonceTooLow(let expected, let got): "nonce too low: next is \(expected), got \(got)"
        case .rejected(let why): "rejected: \(why)"
        case .unavailable(let why): "unavailable: \(why)"
        }
    }
}

/// One network's settlement layer as the payout pipeline uses it: the embedded devnet, or a real
/// adapter (EVM JSON-RPC, ...). Broadcasting the same signed bytes twice is harmless: the second call
/// answers the same hash ("already known"), so a retry can always re-send what was stored.
public protocol SettlementNetwork: Sendable {
    var network: PayoutNetwork { get }
    /// Blocks (counting the including block) after which a transaction is final.
    var finalityConfirmations: UInt64 { get }
    /// Sends signed bytes; returns their hash.
    func broadcast(_ signedTransaction: [UInt8]) async throws(SettlementError) -> TransactionHash
    func status(of hash: TransactionHash) async throws(SettlementError) -> TransactionStatus
    /// The current fee of one USDT transfer to a recipient of the given kind.
    func feeQuote(recipient: RecipientKind) async throws(SettlementError) -> FeeEstimate
    /// The next nonce the network expects from `sender`. The dispatcher asks only while the wallet has
    /// nothing of its own in flight; EVM nodes count pending transactions too, so a transaction sent from
    /// the wallet by hand is queued behind, not replaced.
    func nextNonce(of sender: String) async throws(SettlementError) -> UInt64
}
