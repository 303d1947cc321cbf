/// Formatting of integer micro-USDT for messages ("12.34 USDT", "0.00102 USDT").
public enum USDTAmount {
    public static func format(microUSDT: Int64) -> String {
        let sign = microUSDT < 0 ? "-" : ""
        let magnitude = microUSDT.magnitude
        let whole = magnitude / 1_000_000, fraction = magnitude % 1_000_000
        guard fraction != 0 else { return "\(sign)\(whole) USDT" }
        var digits = String(fraction)
        digits = String(repeating: "0", count: 6 - digits.count) + digits
        while digits.hasSuffix("0") { digits.removeLast() }
        return "\(sign)\(whole).\(digits) USDT"
    }
}
