/// Unpadded base64 for TON user-friendly addresses. TON wallets print either the standard (+/) or the
/// URL-safe (-_) alphabet; both decode to the same bytes, so both are accepted.
enum Base64 {
    private static let standard = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
    private static let urlSafe = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)
    private static let values: [Int8] = {
        var table = [Int8](repeating: -1, count: 128)
        for (i, c) in standard.enumerated() { table[Int(c)] = Int8(i) }
        table[Int(UInt8(ascii: "-"))] = 62
        table[Int(UInt8(ascii: "_"))] = 63
        return table
    }()

    /// Encodes a byte count divisible by 3 (TON addresses are 36 bytes), so no padding arises.
    static func encode(_ bytes: [UInt8], urlSafe url: Bool) -> String {
        precondition(bytes.count % 3 == 0, "only whole 3-byte groups are encoded here")
        let alphabet = url ? urlSafe : standard
        var out = [UInt8]()
        out.reserveCapacity(bytes.count / 3 * 4)
        var i = 0
        while i < bytes.count {
            let n = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2])
            out.append(alphabet[Int(n >> 18 & 63)])
            out.append(alphabet[Int(n >> 12 & 63)])
            out.append(alphabet[Int(n >> 6 & 63)])
            out.append(alphabet[Int(n & 63)])
            i += 3
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Decodes a string whose length is a multiple of 4, with no padding.
    static func decode(_ string: String) throws(AddressError) -> [UInt8] {
        let chars = Array(string.utf8)
        var sextets = [UInt32]()
        sextets.reserveCapacity(chars.count)
        for (offset, c) in chars.enumerated() {
            guard c < 128, values[Int(c)] >= 0 else { throw badCharacter(in: string, utf8Offset: offset) }
            sextets.append(UInt32(values[Int(c)]))
        }
        precondition(sextets.count % 4 == 0, "callers check the length first")
        var out = [UInt8]()
        out.reserveCapacity(sextets.count / 4 * 3)
        var i = 0
        while i < sextets.count {
            let n = sextets[i] << 18 | sextets[i + 1] << 12 | sextets[i + 2] << 6 | sextets[i + 3]
            out.append(UInt8(n >> 16 & 0xff))
            out.append(UInt8(n >> 8 & 0xff))
            out.append(UInt8(n & 0xff))
            i += 4
        }
        return out
    }
}
