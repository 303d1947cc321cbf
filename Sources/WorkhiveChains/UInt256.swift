/// A 256-bit unsigned integer, just wide enough for EVM token amounts and fee fields (BEP-20 USDT has
/// 18 decimals, so micro-USDT × 10^12 outgrows 64 bits). Only the operations payouts need.
public struct UInt256: Hashable, Comparable, Sendable, CustomStringConvertible, ExpressibleByIntegerLiteral {
    /// Little-endian 64-bit limbs: limbs.0 is the least significant.
    var limbs: (UInt64, UInt64, UInt64, UInt64)

    public static let zero = UInt256(0)
    public static let max = UInt256(limbs: (.max, .max, .max, .max))

    init(limbs: (UInt64, UInt64, UInt64, UInt64)) { self.limbs = limbs }
    public init(_ value: UInt64) { limbs = (value, 0, 0, 0) }
    public init(integerLiteral value: UInt64) { self.init(value) }

    /// From at most 32 big-endian bytes (leading zeros allowed); nil when wider.
    public init?(bigEndian bytes: some Collection<UInt8>) {
        let trimmed = Array(bytes.drop { $0 == 0 })
        guard trimmed.count <= 32 else { return nil }
        var l: [UInt64] = [0, 0, 0, 0]
        for (i, b) in trimmed.reversed().enumerated() { l[i / 8] |= UInt64(b) << (8 * UInt64(i % 8)) }
        limbs = (l[0], l[1], l[2], l[3])
    }

    /// Parses a non-negative decimal integer; nil on anything else or on overflow.
    public init?(decimal string: String) {
        guard !string.isEmpty else { return nil }
        var value = UInt256.zero
        for c in string.utf8 {
            guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(c) else { return nil }
            let (times10, o1) = value.multipliedReportingOverflow(by: 10)
            let (next, o2) = times10.addingReportingOverflow(UInt256(UInt64(c - UInt8(ascii: "0"))))
            guard !o1, !o2 else { return nil }
            value = next
        }
        self = value
    }

    var array: [UInt64] { [limbs.0, limbs.1, limbs.2, limbs.3] }
    init(array a: [UInt64]) { limbs = (a[0], a[1], a[2], a[3]) }

    public var isZero: Bool { self == .zero }

    /// The value when it fits in 64 bits.
    public var uint64: UInt64? { limbs.1 == 0 && limbs.2 == 0 && limbs.3 == 0 ? limbs.0 : nil }

    public func addingReportingOverflow(_ other: UInt256) -> (partialValue: UInt256, overflow: Bool) {
        let a = array, b = other.array
        var out = [UInt64](repeating: 0, count: 4)
        var carry: UInt64 = 0
        for i in 0..<4 {
            let (s1, c1) = a[i].addingReportingOverflow(b[i])
            let (s2, c2) = s1.addingReportingOverflow(carry)
            out[i] = s2
            carry = (c1 ? 1 : 0) + (c2 ? 1 : 0)
        }
        return (UInt256(array: out), carry != 0)
    }

    public func subtractingReportingOverflow(_ other: UInt256) -> (partialValue: UInt256, overflow: Bool) {
        let a = array, b = other.array
        var out = [UInt64](repeating: 0, count: 4)
        var borrow: UInt64 = 0
        for i in 0..<4 {
            let (d1, b1) = a[i].subtractingReportingOverflow(b[i])
            let (d2, b2) = d1.subtractingReportingOverflow(borrow)
            out[i] = d2
            borrow = (b1 ? 1 : 0) + (b2 ? 1 : 0)
        }
        return (UInt256(array: out), borrow != 0)
    }

    public func multipliedReportingOverflow(by factor: UInt64) -> (partialValue: UInt256, overflow: Bool) {
        let a = array
        var out = [UInt64](repeating: 0, count: 4)
        var carry: UInt64 = 0
        for i in 0..<4 {
            let (hi, lo) = a[i].multipliedFullWidth(by: factor)
            let (sum, c) = lo.addingReportingOverflow(carry)
            out[i] = sum
            carry = hi &+ (c ? 1 : 0)  // hi ≤ 2^64 - 2, so this cannot wrap
        }
        return (UInt256(array: out), carry != 0)
    }

    /// Quotient and remainder by a 64-bit divisor.
    public func quotientAndRemainder(dividingBy divisor: UInt64) -> (quotient: UInt256, remainder: UInt64) {
        precondition(divisor != 0, "division by zero")
        var out = [UInt64](repeating: 0, count: 4)
        var rem: UInt64 = 0
        let a = array
        for i in (0..<4).reversed() {
            let (q, r) = divisor.dividingFullWidth((rem, a[i]))
            out[i] = q
            rem = r
        }
        return (UInt256(array: out), rem)
    }

    public static func + (a: UInt256, b: UInt256) -> UInt256 {
        let (v, o) = a.addingReportingOverflow(b)
        precondition(!o, "UInt256 addition overflow")
        return v
    }

    public static func - (a: UInt256, b: UInt256) -> UInt256 {
        let (v, o) = a.subtractingReportingOverflow(b)
        precondition(!o, "UInt256 subtraction underflow")
        return v
    }

    public static func * (a: UInt256, b: UInt64) -> UInt256 {
        let (v, o) = a.multipliedReportingOverflow(by: b)
        precondition(!o, "UInt256 multiplication overflow")
        return v
    }

    public static func < (a: UInt256, b: UInt256) -> Bool {
        let x = a.array, y = b.array
        for i in (0..<4).reversed() where x[i] != y[i] { return x[i] < y[i] }
        return false
    }

    public static func == (a: UInt256, b: UInt256) -> Bool { a.array == b.array }
    public func hash(into hasher: inout Hasher) { hasher.combine(array) }

    /// 32 big-endian bytes, as ABI words and EVM storage use.
    public var bigEndianBytes: [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(32)
        for limb in array.reversed() {
            for k in (0..<8).reversed() { out.append(UInt8(truncatingIfNeeded: limb >> (8 * UInt64(k)))) }
        }
        return out
    }

    /// Big-endian bytes without leading zeros (empty for zero), as RLP encodes integers.
    public var minimalBigEndianBytes: [UInt8] { Array(bigEndianBytes.drop { $0 == 0 }) }

    public var description: String {
        if isZero { return "0" }
        // Peel off 19 decimal digits at a time (10^19 is the largest power of ten below 2^64).
        var chunks = [UInt64]()
        var v = self
        while !v.isZero {
            let (q, r) = v.quotientAndRemainder(dividingBy: 10_000_000_000_000_000_000)
            chunks.append(r)
            v = q
        }
        var s = String(chunks.removeLast())
        for chunk in chunks.reversed() {
            let digits = String(chunk)
            s += String(repeating: "0", count: 19 - digits.count) + digits
        }
        return s
    }
}
