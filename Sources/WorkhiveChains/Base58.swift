import Crypto

/// Bitcoin-alphabet base58 and base58check (4-byte double-SHA-256 checksum), as TRON uses.
public enum Base58 {
    static let alphabet = Array("123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz".utf8)
    private static let index: [Int8] = {
        var table = [Int8](repeating: -1, count: 128)
        for (i, c) in alphabet.enumerated() { table[Int(c)] = Int8(i) }
        return table
    }()

    public static func encode(_ bytes: [UInt8]) -> String {
        let zeros = bytes.prefix { $0 == 0 }.count
        // Base-58 digits, least significant first; schoolbook conversion is fine for 25-byte inputs.
        var digits = [UInt8]()
        digits.reserveCapacity(bytes.count * 138 / 100 + 1)
        for byte in bytes[zeros...] {
            var carry = Int(byte)
            for i in digits.indices {
                carry += Int(digits[i]) << 8
                digits[i] = UInt8(carry % 58)
                carry /= 58
            }
            while carry > 0 {
                digits.append(UInt8(carry % 58))
                carry /= 58
            }
        }
        var out = [UInt8](repeating: alphabet[0], count: zeros)
        out.append(contentsOf: digits.reversed().map { alphabet[Int($0)] })
        return String(decoding: out, as: UTF8.self)
    }

    /// Throws `.badCharacter` for the first character outside the alphabet.
    public static func validateCharacters(_ string: String) throws(AddressError) {
        for (offset, c) in string.utf8.enumerated() where c >= 128 || index[Int(c)] < 0 {
            throw badCharacter(in: string, utf8Offset: offset)
        }
    }

    public static func decode(_ string: String) throws(AddressError) -> [UInt8] {
        let chars = Array(string.utf8)
        var zeros = 0
        while zeros < chars.count, chars[zeros] == alphabet[0] { zeros += 1 }
        var bytes = [UInt8]()  // least significant first
        for (position, c) in chars.enumerated() {
            guard c < 128, index[Int(c)] >= 0 else {
                throw badCharacter(in: string, utf8Offset: position)
            }
            if position < zeros { continue }
            var carry = Int(index[Int(c)])
            for i in bytes.indices {
                carry += Int(bytes[i]) * 58
                bytes[i] = UInt8(carry & 0xff)
                carry >>= 8
            }
            while carry > 0 {
                bytes.append(UInt8(carry & 0xff))
                carry >>= 8
            }
        }
        return [UInt8](repeating: 0, count: zeros) + bytes.reversed()
    }

    /// First four bytes of SHA-256(SHA-256(payload)).
    public static func checksum(_ payload: [UInt8]) -> [UInt8] {
        let once = SHA256.hash(data: payload)
        let twice = SHA256.hash(data: Array(once))
        return Array(twice.prefix(4))
    }

    public static func encodeCheck(_ payload: [UInt8]) -> String {
        encode(payload + checksum(payload))
    }

    /// Decodes and strips a checksummed payload; `payloadLength` is checked before the checksum so a
    /// truncated address reports its length rather than a checksum mismatch.
    public static func decodeCheck(_ string: String, payloadLength: Int) throws(AddressError) -> [UInt8] {
        let raw = try decode(string)
        guard raw.count == payloadLength + 4 else {
            throw .badLength(expected: payloadLength + 4, actual: raw.count, unit: .bytes)
        }
        let payload = Array(raw[..<payloadLength])
        guard checksum(payload) == Array(raw[payloadLength...]) else { throw .badChecksum }
        return payload
    }
}
