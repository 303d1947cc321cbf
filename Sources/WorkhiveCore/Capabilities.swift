/// A worker's or a task's capability set in one canonical form: lower-case, deduplicated, sorted.
/// The canonical string (joined by ",") is what the database stores and matches on.
public struct Capabilities: Hashable, Sendable {
    public let names: [String]

    public init(_ raw: some Sequence<String>) throws(WorkhiveError) {
        var seen = Set<String>()
        for name in raw {
            let n = name.lowercased()
            guard Self.isValidName(n) else {
                throw .invalid("capability '\(name)' must be 1-64 characters of a-z, 0-9, '.', '_', '-' or ':'")
            }
            seen.insert(n)
        }
        guard seen.count <= 64 else { throw .invalid("at most 64 capabilities") }
        names = seen.sorted()
    }

    /// Parses the stored canonical form; trusted input.
    public init(canonical: String) {
        names = canonical.isEmpty ? [] : canonical.split(separator: ",").map(String.init)
    }

    public static let none = Capabilities(canonical: "")
    public var canonical: String { names.joined(separator: ",") }
    public var isEmpty: Bool { names.isEmpty }

    public func isSubset(of other: Capabilities) -> Bool {
        Self.isSubset(canonical, of: other.canonical)
    }

    /// Subset test on two canonical strings, walking both sorted lists once without allocating.
    /// The SQLite engine registers this as the SQL function `caps_subset`.
    public static func isSubset(_ required: String, of have: String) -> Bool {
        if required.isEmpty { return true }
        if have.isEmpty { return false }
        var h = have.utf8.split(separator: UInt8(ascii: ","), omittingEmptySubsequences: true).makeIterator()
        outer: for need in required.utf8.split(separator: UInt8(ascii: ","), omittingEmptySubsequences: true) {
            while let cand = h.next() {
                if cand.elementsEqual(need) { continue outer }
                if !cand.lexicographicallyPrecedes(need) { return false }
            }
            return false
        }
        return true
    }

    static func isValidName(_ s: String) -> Bool {
        guard !s.isEmpty, s.utf8.count <= 64 else { return false }
        return s.utf8.allSatisfy { c in
            (c >= 0x61 && c <= 0x7A) || (c >= 0x30 && c <= 0x39) || c == 0x2E || c == 0x5F || c == 0x2D || c == 0x3A
        }
    }
}

/// Task types name kinds of work (`social.like`, `moderation.image`); `verify` is reserved for
/// verification slots the platform opens itself.
public enum TaskType {
    public static let verify = "verify"

    public static func validate(_ type: String, allowVerify: Bool = false) throws(WorkhiveError) {
        guard Capabilities.isValidName(type) else {
            throw .invalid("task_type '\(type)' must be 1-64 characters of a-z, 0-9, '.', '_', '-' or ':'")
        }
        if type == verify && !allowVerify {
            throw .invalid("task_type 'verify' is reserved for verification slots")
        }
    }
}
