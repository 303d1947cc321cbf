/// A typed 64-bit identifier, so a task id cannot be passed where a worker id is expected.
public struct ID<Tag>: RawRepresentable, Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    public let rawValue: Int64
    public init(rawValue: Int64) { self.rawValue = rawValue }
    public init(_ rawValue: Int64) { self.rawValue = rawValue }
    public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }
    public var description: String { String(rawValue) }
    public init(from decoder: any Decoder) throws { rawValue = try decoder.singleValueContainer().decode(Int64.self) }
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(rawValue)
    }
}

public enum OwnerTag {}
public enum WorkerTag {}
public enum TaskTag {}
public enum ClaimTag {}
public enum SubmissionTag {}
public enum AccountTag {}
public enum TransferTag {}
public enum AppealTag {}

public typealias OwnerID = ID<OwnerTag>
public typealias WorkerID = ID<WorkerTag>
public typealias TaskID = ID<TaskTag>
public typealias ClaimID = ID<ClaimTag>
public typealias SubmissionID = ID<SubmissionTag>
public typealias AccountID = ID<AccountTag>
public typealias TransferID = ID<TransferTag>
public typealias AppealID = ID<AppealTag>
