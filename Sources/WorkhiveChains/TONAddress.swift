/// A TON smart-contract address: a workchain (0 basechain, -1 masterchain) and a 32-byte account hash.
///
/// Written either raw, "0:<64 hex>", or user-friendly: 36 bytes (tag, workchain, hash, CRC16-XMODEM
/// big-endian) as 48 characters of base64 or base64url. The tag says bounceable (0x11) or not (0x51),
/// plus 0x80 for a testnet-only address. For USDT payouts the flag does not change where the jettons go
/// (the owner address sits in the jetton transfer body), so it is kept only to print the form given.
public struct TONAddress: Hashable, Sendable, CustomStringConvertible {
    public let workchain: Int8
    public let hash: [UInt8]
    public let isBounceable: Bool
    public let isTestnetOnly: Bool

    public static let bounceableTag: UInt8 = 0x11
    public static let nonBounceableTag: UInt8 = 0x51
    public static let testnetFlag: UInt8 = 0x80

    public init(workchain: Int8, hash: [UInt8], isBounceable: Bool = true, isTestnetOnly: Bool = false) throws(AddressError) {
        guard workchain == 0 || workchain == -1 else { throw .badWorkchain(String(workchain)) }
        guard hash.count == 32 else { throw .badLength(expected: 32, actual: hash.count, unit: .bytes) }
        self.workchain = workchain
        self.hash = hash
        self.isBounceable = isBounceable
        self.isTestnetOnly = isTestnetOnly
    }

    /// Parses either form. `mainnet` refuses testnet-flagged user-friendly addresses.
    public init(_ string: String, mainnet: Bool) throws(AddressError) {
        guard !string.isEmpty else { throw .empty }
        if string.contains(":") {
            try self.init(raw: string)
        } else {
            try self.init(userFriendly: string)
            if mainnet && isTestnetOnly { throw .testnetOnMainnet }
        }
    }

    /// "wc:hex64". Raw addresses carry no flags; they read as bounceable, the form TON libraries print by default.
    public init(raw string: String) throws(AddressError) {
        let parts = string.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2 else { throw .badPrefix(expected: "<workchain>:") }
        guard let wc = Int8(parts[0]) else {
            if let offset = parts[0].utf8.firstIndex(where: { !($0 == UInt8(ascii: "-") || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0)) }) {
                throw badCharacter(in: string, utf8Offset: parts[0].utf8.distance(from: parts[0].utf8.startIndex, to: offset))
            }
            throw .badWorkchain(String(parts[0]))
        }
        let hexPart = parts[1]
        let hexStart = parts[0].utf8.count + 1
        for (i, c) in hexPart.utf8.enumerated() where Hex.nibble(c) == nil {
            throw badCharacter(in: string, utf8Offset: hexStart + i)
        }
        guard hexPart.utf8.count == 64 else { throw .badLength(expected: 64, actual: hexPart.utf8.count, unit: .hexDigits) }
        try self.init(workchain: wc, hash: Hex.decode(hexPart)!, isBounceable: true, isTestnetOnly: false)
    }

    /// The 48-character base64 / base64url form.
    public init(userFriendly string: String) throws(AddressError) {
        let count = string.utf8.count
        let bytes = try Base64.decodeChecked(string, expectedLength: 48)
        precondition(count == 48 && bytes.count == 36)
        let crc = CRC16.xmodem(bytes[0..<34])
        guard UInt16(bytes[34]) << 8 | UInt16(bytes[35]) == crc else { throw .badChecksum }
        let tag = bytes[0]
        let base = tag & ~Self.testnetFlag
        guard base == Self.bounceableTag || base == Self.nonBounceableTag else { throw .badTag(tag) }
        try self.init(
            workchain: Int8(bitPattern: bytes[1]), hash: Array(bytes[2..<34]),
            isBounceable: base == Self.bounceableTag, isTestnetOnly: tag & Self.testnetFlag != 0)
    }

    public var raw: String { "\(workchain):\(Hex.encode(hash))" }

    /// The user-friendly form with the given flags (defaults: this address's own).
    public func userFriendly(bounceable: Bool? = nil, testnetOnly: Bool? = nil, urlSafe: Bool = true) -> String {
        var tag = (bounceable ?? isBounceable) ? Self.bounceableTag : Self.nonBounceableTag
        if testnetOnly ?? isTestnetOnly { tag |= Self.testnetFlag }
        var bytes = [tag, UInt8(bitPattern: workchain)] + hash
        let crc = CRC16.xmodem(bytes)
        bytes.append(UInt8(crc >> 8))
        bytes.append(UInt8(crc & 0xff))
        return Base64.encode(bytes, urlSafe: urlSafe)
    }

    public var description: String { userFriendly() }

    /// Same account, whatever flags or form it was written in.
    public func sameAccount(as other: TONAddress) -> Bool { workchain == other.workchain && hash == other.hash }
}

extension Base64 {
    /// Checks the characters first (so one bad character is named), then the length.
    static func decodeChecked(_ string: String, expectedLength: Int) throws(AddressError) -> [UInt8] {
        let count = string.utf8.count
        if count == expectedLength { return try decode(string) }
        // Wrong length: still name a bad character if there is one, it is the likelier mistake.
        var padded = string
        if count % 4 != 0 { padded += String(repeating: "A", count: 4 - count % 4) }
        _ = try decode(padded)
        throw .badLength(expected: expectedLength, actual: string.count, unit: .characters)
    }
}
