/// A validated payout address on one network, with its normalized spelling.
public struct PayoutAddress: Hashable, Sendable, CustomStringConvertible {
    public let network: PayoutNetwork
    /// TRON base58check; EVM EIP-55 checksummed; TON user-friendly base64url (flags as given, raw → bounceable).
    public let normalized: String

    /// The error of a refused address, with the network it was meant for.
    public struct Invalid: Error, Equatable, Sendable, CustomStringConvertible {
        public let network: PayoutNetwork
        public let reason: AddressError
        /// snake_case, e.g. "bad_checksum".
        public var code: String { reason.code }
        public var message: String { "invalid \(network.displayName) address: \(reason.message)" }
        public var description: String { message }
    }

    /// Validates `string` as an address on `network` and returns its normalized form.
    /// Surrounding whitespace is trimmed (pasted addresses often carry it); anything else wrong is refused.
    public static func validate(network: PayoutNetwork, string: String, mainnet: Bool) throws(Invalid) -> PayoutAddress {
        let trimmed = String(string.drop { $0.isWhitespace }.reversed().drop { $0.isWhitespace }.reversed())
        do {
            switch network {
            case .trc20:
                return PayoutAddress(network: network, normalized: try TronAddress(base58: trimmed).base58)
            case .bep20, .arbitrum:
                return PayoutAddress(network: network, normalized: try EVMAddress(trimmed).checksummed)
            case .ton:
                return PayoutAddress(network: network, normalized: try TONAddress(trimmed, mainnet: mainnet).userFriendly())
            }
        } catch {
            throw Invalid(network: network, reason: error)
        }
    }

    public var description: String { "\(network.rawValue):\(normalized)" }
}
