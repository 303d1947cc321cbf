/// A TRON account address: version byte 0x41 followed by a 20-byte account id (the same id an EVM
/// address would carry), written in base58check ("T…", 34 characters).
public struct TronAddress: Hashable, Sendable, CustomStringConvertible {
    public static let versionByte: UInt8 = 0x41

    /// The 20-byte account id, without the version byte.
    public let accountID: [UInt8]

    public init(accountID: [UInt8]) throws(AddressError) {
        guard accountID.count == 20 else { throw .badLength(expected: 20, actual: accountID.count, unit: .bytes) }
        self.accountID = accountID
    }

    /// Parses the base58check form; the checksum is checked before the version byte, so a mistyped
    /// address reports `.badChecksum` and only a well-formed non-TRON payload reports `.badVersionByte`.
    public init(base58 string: String) throws(AddressError) {
        guard !string.isEmpty else { throw .empty }
        // Characters first (naming the bad one), then the count: every 0x41-prefixed 25-byte value is 34
        // base58 characters, and checking it before decoding keeps the quadratic decode off long inputs.
        try Base58.validateCharacters(string)
        guard string.count == 34 else { throw .badLength(expected: 34, actual: string.count, unit: .characters) }
        let payload = try Base58.decodeCheck(string, payloadLength: 21)
        guard payload[0] == Self.versionByte else {
            throw .badVersionByte(expected: Self.versionByte, actual: payload[0])
        }
        self.accountID = Array(payload[1...])
    }

    /// Parses the 21-byte hex form "41…" that TRON's APIs also use.
    public init(hex string: String) throws(AddressError) {
        guard !string.isEmpty else { throw .empty }
        guard let bytes = Hex.decode(string) else {
            let offset = string.utf8.firstIndex { Hex.nibble($0) == nil }.map { string.utf8.distance(from: string.utf8.startIndex, to: $0) }
            if let offset { throw badCharacter(in: string, utf8Offset: offset) }
            throw .badLength(expected: 42, actual: string.count, unit: .hexDigits)
        }
        guard bytes.count == 21 else { throw .badLength(expected: 42, actual: bytes.count * 2, unit: .hexDigits) }
        guard bytes[0] == Self.versionByte else { throw .badVersionByte(expected: Self.versionByte, actual: bytes[0]) }
        self.accountID = Array(bytes[1...])
    }

    public var base58: String { Base58.encodeCheck([Self.versionByte] + accountID) }
    /// "41" followed by 40 lowercase hex digits.
    public var hex: String { Hex.encode([Self.versionByte] + accountID) }
    public var description: String { base58 }
}
