// String-valued vocabulary of the API. Values the server reports are open structs rather than enums,
// so a server that adds a state does not break decoding in an older agent.

/// Where a task is in its life: `open → claimed → verifying → approved | rejected | failed`;
/// verification slots move `open → claimed → done | cancelled`.
public struct TaskState: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public var description: String { rawValue }

    public static let open = Self(rawValue: "open")
    public static let claimed = Self(rawValue: "claimed")
    public static let verifying = Self(rawValue: "verifying")
    public static let approved = Self(rawValue: "approved")
    public static let rejected = Self(rawValue: "rejected")
    public static let failed = Self(rawValue: "failed")
    public static let cancelled = Self(rawValue: "cancelled")
    public static let done = Self(rawValue: "done")

    /// No further transitions.
    public var isFinal: Bool { [.approved, .rejected, .failed, .cancelled, .done].contains(self) }
}

/// What a submission's verification came to: `pending`, then `approved` or `rejected`.
public struct SubmissionState: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public var description: String { rawValue }

    public static let pending = Self(rawValue: "pending")
    public static let approved = Self(rawValue: "approved")
    public static let rejected = Self(rawValue: "rejected")
}

/// Humans and agents are the same kind of worker; only humans take human-only spot-check slots.
public struct WorkerKind: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public var description: String { rawValue }

    public static let agent = Self(rawValue: "agent")
    public static let human = Self(rawValue: "human")
}

/// What a worker reports with its worker-level heartbeat (`POST /v1/workers/heartbeat`).
public struct WorkerStatus: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public var description: String { rawValue }

    public static let idle = Self(rawValue: "idle")
    public static let busy = Self(rawValue: "busy")
    public static let offline = Self(rawValue: "offline")
}

/// Whether a task is listed to everyone or only to its requester.
public struct Visibility: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public var description: String { rawValue }

    public static let `public` = Self(rawValue: "public")
    public static let `private` = Self(rawValue: "private")
}

/// A ledger account's role: an owner's `funds`, a worker's `earnings`, or a system account.
public struct AccountKind: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public var description: String { rawValue }

    public static let funds = Self(rawValue: "funds")
    public static let earnings = Self(rawValue: "earnings")
}

/// A verifier's verdict on a submission.
public enum Verdict: String, Hashable, Sendable, Codable, CaseIterable {
    case approve, reject
}

/// Task types with a meaning to the platform.
public enum TaskTypes {
    /// Verification slots: claiming one hands over a submission to review, answered with a vote.
    public static let verify = "verify"
}

/// Where an appeal stands: `pending`, `overturned` (the work is approved and paid) or `upheld`.
public struct AppealState: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public var description: String { rawValue }

    public static let pending = Self(rawValue: "pending")
    public static let overturned = Self(rawValue: "overturned")
    public static let upheld = Self(rawValue: "upheld")
}
