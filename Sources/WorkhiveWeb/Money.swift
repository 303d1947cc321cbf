import Foundation

/// Micro-USDT (integers, 1 USDT = 1,000,000) as people read and type them.
enum USDT {
    static let microPerUnit: Int64 = 1_000_000

    /// "1,234.50 USDT": thousands grouped, trailing zeros trimmed but at least two decimals kept, so
    /// 1 micro-USDT still shows as 0.000001 and whole amounts read like money.
    static func format(_ micro: Int64, unit: Bool = true) -> String {
        let negative = micro < 0
        let magnitude = micro.magnitude
        let whole = magnitude / UInt64(microPerUnit), fraction = magnitude % UInt64(microPerUnit)
        var decimals = String(fraction)
        decimals = String(repeating: "0", count: 6 - decimals.count) + decimals
        while decimals.count > 2 && decimals.hasSuffix("0") { decimals.removeLast() }
        var digits = Array(String(whole))
        var grouped = ""
        while digits.count > 3 {
            grouped = "," + String(digits.suffix(3)) + grouped
            digits.removeLast(3)
        }
        grouped = String(digits) + grouped
        return (negative ? "−" : "") + grouped + "." + decimals + (unit ? " USDT" : "")
    }

    /// Parses what someone typed ("12", "0.5", "1,000.25") into micro-USDT, or explains what is wrong.
    static func parse(_ text: String) -> Result<Int64, InputProblem> {
        let cleaned = text.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: ",", with: "")
            .replacingOccurrences(of: " USDT", with: "").replacingOccurrences(of: "USDT", with: "")
        guard !cleaned.isEmpty else { return .failure(InputProblem("enter an amount in USDT, like 1.5")) }
        let parts = cleaned.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count <= 2, parts.allSatisfy({ $0.allSatisfy(\.isASCIIDigit) }), parts.contains(where: { !$0.isEmpty }) else {
            return .failure(InputProblem("enter an amount in USDT using digits and one decimal point, like 1.5"))
        }
        let fraction = parts.count == 2 ? String(parts[1]) : ""
        guard fraction.count <= 6 else { return .failure(InputProblem("USDT has at most 6 decimal places")) }
        let wholeText = parts[0].isEmpty ? "0" : String(parts[0])
        guard wholeText.count <= 13, let whole = Int64(wholeText) else { return .failure(InputProblem("that amount is too large")) }
        let micro = whole * microPerUnit + (Int64(fraction + String(repeating: "0", count: 6 - fraction.count)) ?? 0)
        return .success(micro)
    }
}

/// Why a form value was refused, said to the person who typed it.
struct InputProblem: Error, Equatable {
    let message: String
    init(_ message: String) { self.message = message }
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}
