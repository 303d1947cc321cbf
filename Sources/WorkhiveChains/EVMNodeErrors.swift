/// What an error answer to eth_sendRawTransaction says about the bytes. Geth and its forks (BSC,
/// Arbitrum Nitro) answer every txpool refusal with code -32000, so the message is what tells them apart.
enum EVMBroadcastRefusal: Equatable {
    /// The node already has these bytes in its mempool.
    case alreadyKnown
    /// A transaction with this nonce is already on chain: perhaps these very bytes.
    case nonceTooLow
    /// Another transaction (or these bytes, on some nodes) holds this nonce in the mempool.
    case replacementUnderpriced
    /// The bytes can never be accepted as they are (bad signature or chain, fee rules, no funds for gas).
    case invalid
    /// Anything else (rate limits, internal errors): nothing is known about the bytes, so try again later.
    case unknown

    private static let invalidMarkers = [
        "invalid sender", "invalid chain id", "chain id", "insufficient funds", "intrinsic gas too low", "gas limit",
        "fee cap less than block base fee", "max fee per gas less than block base fee", "tip higher than fee cap",
        "max priority fee per gas higher than max fee per gas", "transaction underpriced", "exceeds the configured cap",
        "transaction type not supported", "tx type not supported", "rlp", "invalid transaction", "oversized data",
        "negative value", "invalid signature", "nonce too high", "nonce has max value",
    ]

    static func classify(_ message: String) -> EVMBroadcastRefusal {
        let m = message.lowercased()
        if m.contains("already known") || m.contains("known transaction") || m.contains("already imported") { return .alreadyKnown }
        if m.contains("nonce too low") { return .nonceTooLow }
        if m.contains("replacement transaction underpriced") || m.contains("replacement underpriced") { return .replacementUnderpriced }
        if invalidMarkers.contains(where: m.contains) { return .invalid }
        return .unknown
    }
}
