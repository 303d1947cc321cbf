import Foundation
import WorkhiveChains

/// A seeded byte-level mutator for property-based fuzz tests of the decoders that do not build
/// standalone under libFuzzer (they need the whole server or SDK module): takes a valid input and
/// applies 1-4 random edits — flip, delete or duplicate a range, insert random bytes or a token
/// decoders tend to mishandle (huge and negative numbers, wrong types, deep nesting, NULs).
public struct FuzzMutator: Sendable {
    private var random: SplitMix64

    public init(seed: UInt64) { random = SplitMix64(seed: seed) }

    /// How many inputs each fuzz test tries: WORKHIVE_FUZZ_ITERATIONS, else `fallback`.
    public static func iterations(_ fallback: Int) -> Int {
        ProcessInfo.processInfo.environment["WORKHIVE_FUZZ_ITERATIONS"].flatMap(Int.init) ?? fallback
    }

    public mutating func next() -> UInt64 { random.next() }

    public mutating func below(_ n: Int) -> Int { n <= 0 ? 0 : Int(next() % UInt64(n)) }

    static let tokens: [String] = [
        "null", "true", "[]", "{}", "\"\"", "0", "-1", "1.5", "1e999", "-1e999", "9223372036854775807", "9223372036854775808",
        "-9223372036854775809", "18446744073709551616", "\"\\u0000\"", "\"\\ud800\"", String(repeating: "[", count: 600),
        String(repeating: "{\"a\":", count: 300), "\"" + String(repeating: "x", count: 5000) + "\"", ",", ":", "\"", "\\",
    ]

    public mutating func mutate(_ input: [UInt8]) -> [UInt8] {
        var bytes = input
        for _ in 0...below(4) {
            let at = below(bytes.count + 1)
            let length = min(bytes.count - at, 1 + below(16))
            switch below(6) {
            case 0 where at < bytes.count: bytes[at] ^= UInt8(truncatingIfNeeded: 1 << below(8))
            case 1 where length > 0: bytes.removeSubrange(at..<(at + length))
            case 2 where length > 0: bytes.insert(contentsOf: bytes[at..<(at + length)], at: at)
            case 3: bytes.insert(contentsOf: (0..<(1 + below(8))).map { _ in UInt8(truncatingIfNeeded: next()) }, at: at)
            default:
                let token = Array(Self.tokens[below(Self.tokens.count)].utf8)
                if length > 0, below(2) == 0 { bytes.replaceSubrange(at..<(at + length), with: token) }
                else { bytes.insert(contentsOf: token, at: at) }
            }
        }
        return bytes
    }
}
