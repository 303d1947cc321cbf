/// A 20-byte EVM account address. Parsing follows EIP-55: all-lowercase and all-uppercase hex carry no
/// checksum and are accepted; mixed case is a checksum and must match exactly.
public struct EVMAddress: Hashable, Sendable, CustomStringConvertible {
    public let bytes: [UInt8]

    public init(bytes: [UInt8]) throws(AddressError) {
        guard bytes.count == 20 else { throw .badLength(expected: 20, actual: bytes.count, unit: .bytes) }
        self.bytes = bytes
    }

    public init(_ string: String) throws(AddressError) {
        guard !string.isEmpty else { throw .empty }
        let utf8 = Array(string.utf8)
        guard utf8.count >= 2, utf8[0] == UInt8(ascii: "0"), utf8[1] == UInt8(ascii: "x") else {
            throw .badPrefix(expected: "0x")
        }
        let digits = utf8[2...]
        for (i, c) in digits.enumerated() where Hex.nibble(c) == nil {
            throw badCharacter(in: string, utf8Offset: i + 2)
        }
        guard digits.count == 40 else { throw .badLength(expected: 40, actual: digits.count, unit: .hexDigits) }
        let bytes = Hex.decode(String(decoding: digits, as: UTF8.self))!
        self.bytes = bytes
        let hasLower = digits.contains { (UInt8(ascii: "a")...UInt8(ascii: "f")).contains($0) }
        let hasUpper = digits.contains { (UInt8(ascii: "A")...UInt8(ascii: "F")).contains($0) }
        if hasLower && hasUpper, String(decoding: digits, as: UTF8.self) != Self.checksummedDigits(bytes) {
            throw .badChecksum
        }
    }

    /// EIP-55: hex digit i is uppercased when nibble i of keccak256(lowercase hex) is 8 or more.
    static func checksummedDigits(_ bytes: [UInt8]) -> String {
        let lower = Array(Hex.encode(bytes).utf8)
        let hash = Keccak.hash256(lower)
        var out = lower
        for i in out.indices where out[i] >= UInt8(ascii: "a") {
            let nibble = i % 2 == 0 ? hash[i / 2] >> 4 : hash[i / 2] & 0x0f
            if nibble >= 8 { out[i] -= 32 }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The EIP-55 checksummed form, "0x" + 40 mixed-case hex digits.
    public var checksummed: String { "0x" + Self.checksummedDigits(bytes) }
    public var lowercased: String { "0x" + Hex.encode(bytes) }
    public var description: String { checksummed }

    /// The address of an uncompressed secp256k1 public key (65 bytes, 0x04 || X || Y): the last 20 bytes
    /// of keccak256(X || Y).
    public init(uncompressedPublicKey key: [UInt8]) throws(AddressError) {
        guard key.count == 65 else { throw .badLength(expected: 65, actual: key.count, unit: .bytes) }
        guard key[0] == 0x04 else { throw .badVersionByte(expected: 0x04, actual: key[0]) }
        self.bytes = Array(Keccak.hash256(key[1...]).suffix(20))
    }
}
