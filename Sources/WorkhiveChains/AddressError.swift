/// Why an address string was refused. Each case names one thing that is wrong, so the API can answer
/// a clear 4xx (`code` is snake_case for the error body, `message` is for people).
public enum AddressError: Error, Equatable, Hashable, Sendable, CustomStringConvertible {
    public enum Unit: String, Sendable, Hashable { case characters, bytes, hexDigits = "hex digits" }

    case empty
    /// A character outside the format's alphabet; `position` counts from 0 in the input.
    case badCharacter(Character, position: Int)
    case badLength(expected: Int, actual: Int, unit: Unit)
    case badPrefix(expected: String)
    case badChecksum
    case badVersionByte(expected: UInt8, actual: UInt8)
    /// TON user-friendly tag byte other than 0x11 / 0x51 (optionally | 0x80).
    case badTag(UInt8)
    /// A TON workchain that payouts cannot use (only basechain 0 and masterchain -1 exist).
    case badWorkchain(String)
    case testnetOnMainnet

    public var code: String {
        switch self {
        case .empty: "empty"
        case .badCharacter: "bad_character"
        case .badLength: "bad_length"
        case .badPrefix: "bad_prefix"
        case .badChecksum: "bad_checksum"
        case .badVersionByte: "bad_version_byte"
        case .badTag: "bad_tag"
        case .badWorkchain: "bad_workchain"
        case .testnetOnMainnet: "testnet_on_mainnet"
        }
    }

    public var message: String {
        switch self {
        case .empty:
            "the address is empty"
        case .badCharacter(let c, let position):
            "character '\(c)' at position \(position) is not allowed in this address format"
        case .badLength(let expected, let actual, let unit):
            "the address has \(actual) \(unit.rawValue), expected \(expected)"
        case .badPrefix(let expected):
            "the address must start with \"\(expected)\""
        case .badChecksum:
            "the checksum does not match: a character is probably mistyped"
        case .badVersionByte(let expected, let actual):
            "version byte 0x\(Hex.encode([actual])) is not 0x\(Hex.encode([expected]))"
        case .badTag(let tag):
            "tag byte 0x\(Hex.encode([tag])) is neither bounceable (0x11) nor non-bounceable (0x51)"
        case .badWorkchain(let wc):
            "workchain \(wc) is not 0 (basechain) or -1 (masterchain)"
        case .testnetOnMainnet:
            "this is a testnet address and payouts run on mainnet"
        }
    }

    public var description: String { "\(code): \(message)" }
}

/// `.badCharacter` for the character holding a UTF-8 offset, positioned in characters (what a person counts).
func badCharacter(in string: String, utf8Offset: Int) -> AddressError {
    let utf8 = string.utf8
    var i = utf8.index(utf8.startIndex, offsetBy: utf8Offset)
    // Step back to a character boundary if the offset lands inside a multi-byte character.
    while i > utf8.startIndex, String.Index(i, within: string) == nil { i = utf8.index(before: i) }
    let index = String.Index(i, within: string)!
    return .badCharacter(string[index], position: string.distance(from: string.startIndex, to: index))
}
