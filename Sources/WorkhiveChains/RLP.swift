/// Recursive Length Prefix, Ethereum's serialization of byte strings and lists.
public indirect enum RLP: Equatable, Sendable {
    case bytes([UInt8])
    case list([RLP])

    /// Integers are big-endian without leading zeros; zero is the empty string.
    public static func uint(_ value: UInt64) -> RLP { .uint256(UInt256(value)) }
    public static func uint256(_ value: UInt256) -> RLP { .bytes(value.minimalBigEndianBytes) }

    public var encoded: [UInt8] {
        var out = [UInt8]()
        encode(into: &out)
        return out
    }

    public func encode(into out: inout [UInt8]) {
        switch self {
        case .bytes(let b):
            if b.count == 1 && b[0] < 0x80 {
                out.append(b[0])  // a single low byte is its own encoding
            } else {
                Self.appendLength(b.count, offset: 0x80, into: &out)
                out.append(contentsOf: b)
            }
        case .list(let items):
            var payload = [UInt8]()
            for item in items { item.encode(into: &payload) }
            Self.appendLength(payload.count, offset: 0xc0, into: &out)
            out.append(contentsOf: payload)
        }
    }

    private static func appendLength(_ length: Int, offset: UInt8, into out: inout [UInt8]) {
        if length < 56 {
            out.append(offset + UInt8(length))
        } else {
            let lengthBytes = UInt256(UInt64(length)).minimalBigEndianBytes
            out.append(offset + 55 + UInt8(lengthBytes.count))
            out.append(contentsOf: lengthBytes)
        }
    }

    public enum DecodingError: Error, Equatable, Sendable {
        case truncated
        case nonCanonical
        case trailingBytes
    }

    /// Decodes exactly one item occupying all of `bytes`, refusing non-canonical encodings so one value
    /// has one encoding (a signed transaction hash depends on it).
    public static func decode(_ bytes: [UInt8]) throws(DecodingError) -> RLP {
        var index = 0
        let item = try decodeItem(bytes, &index, end: bytes.count)
        guard index == bytes.count else { throw .trailingBytes }
        return item
    }

    private static func decodeItem(_ b: [UInt8], _ i: inout Int, end: Int) throws(DecodingError) -> RLP {
        guard i < end else { throw .truncated }
        let prefix = b[i]
        i += 1
        switch prefix {
        case 0x00..<0x80:
            return .bytes([prefix])
        case 0x80..<0xc0:
            let length = try readLength(b, &i, end: end, prefix: prefix, offset: 0x80)
            let content = Array(b[i..<(i + length)])
            if length == 1 && content[0] < 0x80 { throw .nonCanonical }
            i += length
            return .bytes(content)
        default:
            let length = try readLength(b, &i, end: end, prefix: prefix, offset: 0xc0)
            let listEnd = i + length
            var items = [RLP]()
            while i < listEnd { items.append(try decodeItem(b, &i, end: listEnd)) }
            return .list(items)
        }
    }

    private static func readLength(_ b: [UInt8], _ i: inout Int, end: Int, prefix: UInt8, offset: UInt8) throws(DecodingError) -> Int {
        let short = Int(prefix - offset)
        var length: Int
        if short <= 55 {
            length = short
        } else {
            let lengthOfLength = short - 55
            guard lengthOfLength <= 4, i + lengthOfLength <= end else { throw .truncated }
            guard b[i] != 0 else { throw .nonCanonical }
            length = 0
            for k in 0..<lengthOfLength { length = length << 8 | Int(b[i + k]) }
            i += lengthOfLength
            guard length >= 56 else { throw .nonCanonical }
        }
        guard i + length <= end else { throw .truncated }
        return length
    }

    /// The byte string, or nil for a list.
    public var bytesValue: [UInt8]? { if case .bytes(let b) = self { b } else { nil } }
    /// The items, or nil for a byte string.
    public var listValue: [RLP]? { if case .list(let l) = self { l } else { nil } }
}
