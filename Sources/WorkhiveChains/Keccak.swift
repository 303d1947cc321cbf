/// Keccak-256 as Ethereum uses it: the original Keccak padding (0x01 … 0x80), not SHA3-256's 0x06.
/// swift-crypto has no Keccak, so this is a compact sponge over Keccak-f[1600].
public enum Keccak {
    static let rate = 136  // bytes absorbed per permutation for a 256-bit output (1600 - 2 * 256 bits)

    static let roundConstants: [UInt64] = [
        0x0000_0000_0000_0001, 0x0000_0000_0000_8082, 0x8000_0000_0000_808a, 0x8000_0000_8000_8000,
        0x0000_0000_0000_808b, 0x0000_0000_8000_0001, 0x8000_0000_8000_8081, 0x8000_0000_0000_8009,
        0x0000_0000_0000_008a, 0x0000_0000_0000_0088, 0x0000_0000_8000_8009, 0x0000_0000_8000_000a,
        0x0000_0000_8000_808b, 0x8000_0000_0000_008b, 0x8000_0000_0000_8089, 0x8000_0000_0000_8003,
        0x8000_0000_0000_8002, 0x8000_0000_0000_0080, 0x0000_0000_0000_800a, 0x8000_0000_8000_000a,
        0x8000_0000_8000_8081, 0x8000_0000_0000_8080, 0x0000_0000_8000_0001, 0x8000_0000_8000_8008,
    ]
    // ρ rotation offsets and π lane order, walked along the π cycle starting from lane 1.
    static let rotations: [UInt64] = [1, 3, 6, 10, 15, 21, 28, 36, 45, 55, 2, 14, 27, 41, 56, 8, 25, 43, 62, 18, 39, 61, 20, 44]
    static let piLanes: [Int] = [10, 7, 11, 17, 18, 3, 5, 16, 8, 21, 24, 4, 15, 23, 19, 13, 12, 2, 20, 14, 22, 9, 6, 1]

    @inline(__always)
    static func rotl(_ x: UInt64, _ n: UInt64) -> UInt64 { (x << n) | (x >> (64 - n)) }

    /// Keccak-f[1600]: 24 rounds of θ, ρ+π, χ, ι over 25 little-endian 64-bit lanes.
    static func permute(_ st: inout [UInt64]) {
        st.withUnsafeMutableBufferPointer { a in
            var bc = (UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0))
            for round in 0..<24 {
                // θ
                bc.0 = a[0] ^ a[5] ^ a[10] ^ a[15] ^ a[20]
                bc.1 = a[1] ^ a[6] ^ a[11] ^ a[16] ^ a[21]
                bc.2 = a[2] ^ a[7] ^ a[12] ^ a[17] ^ a[22]
                bc.3 = a[3] ^ a[8] ^ a[13] ^ a[18] ^ a[23]
                bc.4 = a[4] ^ a[9] ^ a[14] ^ a[19] ^ a[24]
                let d = (bc.4 ^ rotl(bc.1, 1), bc.0 ^ rotl(bc.2, 1), bc.1 ^ rotl(bc.3, 1), bc.2 ^ rotl(bc.4, 1), bc.3 ^ rotl(bc.0, 1))
                for j in stride(from: 0, to: 25, by: 5) {
                    a[j] ^= d.0; a[j + 1] ^= d.1; a[j + 2] ^= d.2; a[j + 3] ^= d.3; a[j + 4] ^= d.4
                }
                // ρ and π
                var t = a[1]
                for i in 0..<24 {
                    let j = piLanes[i]
                    let next = a[j]
                    a[j] = rotl(t, rotations[i])
                    t = next
                }
                // χ
                for j in stride(from: 0, to: 25, by: 5) {
                    let r = (a[j], a[j + 1], a[j + 2], a[j + 3], a[j + 4])
                    a[j] = r.0 ^ (~r.1 & r.2)
                    a[j + 1] = r.1 ^ (~r.2 & r.3)
                    a[j + 2] = r.2 ^ (~r.3 & r.4)
                    a[j + 3] = r.3 ^ (~r.4 & r.0)
                    a[j + 4] = r.4 ^ (~r.0 & r.1)
                }
                // ι
                a[0] ^= roundConstants[round]
            }
        }
    }

    /// XORs one rate-sized block (136 bytes, little-endian lanes) into the state.
    @inline(__always)
    static func absorb(_ st: inout [UInt64], _ block: UnsafeBufferPointer<UInt8>) {
        for lane in 0..<(rate / 8) {
            var v: UInt64 = 0
            for k in 0..<8 { v |= UInt64(block[lane * 8 + k]) << (8 * UInt64(k)) }
            st[lane] ^= v
        }
    }

    public static func hash256<C: Collection>(_ data: C) -> [UInt8] where C.Element == UInt8 {
        var st = [UInt64](repeating: 0, count: 25)
        let bytes = Array(data)
        let full = bytes.count / rate
        bytes.withUnsafeBufferPointer { p in
            for b in 0..<full {
                absorb(&st, UnsafeBufferPointer(rebasing: p[(b * rate)..<((b + 1) * rate)]))
                permute(&st)
            }
        }
        // Last block: the remaining bytes, then 0x01, zeros, and 0x80 in the final byte (they may coincide).
        var last = [UInt8](repeating: 0, count: rate)
        let rest = bytes.count - full * rate
        for i in 0..<rest { last[i] = bytes[full * rate + i] }
        last[rest] ^= 0x01
        last[rate - 1] ^= 0x80
        last.withUnsafeBufferPointer { absorb(&st, $0) }
        permute(&st)
        var out = [UInt8]()
        out.reserveCapacity(32)
        for lane in 0..<4 {
            for k in 0..<8 { out.append(UInt8(truncatingIfNeeded: st[lane] >> (8 * UInt64(k)))) }
        }
        return out
    }

    public static func hash256(_ string: String) -> [UInt8] { hash256(Array(string.utf8)) }
}
