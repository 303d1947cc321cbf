@testable import WorkhiveChains

func hex(_ bytes: [UInt8]) -> String { Hex.encode(bytes) }
func bytes(_ hex: String) -> [UInt8] { Hex.decode(hex)! }

/// The `AddressError` a throwing parse produced, or nil if it succeeded.
func addressError<T>(_ body: () throws -> T) -> AddressError? {
    do {
        _ = try body()
        return nil
    } catch {
        return error as? AddressError
    }
}

/// `string` with the character at `offset` replaced by `replacement`.
func replacing(_ string: String, at offset: Int, with replacement: Character) -> String {
    var chars = Array(string)
    chars[offset] = replacement
    return String(chars)
}
