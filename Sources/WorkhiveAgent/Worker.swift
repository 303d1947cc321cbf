/// What executing a claim came to, and so what the runner sends back for it.
public enum TaskResult: Sendable, Hashable {
    /// Submit a work result, with the SHA-256 of uploaded proof blobs.
    case submit(result: JSON, proofs: [String] = [])
    /// Vote on a verification claim (a rejection needs a reason).
    case vote(Verdict, reason: String)
    /// Give the claim back untouched: the task reopens for someone else.
    case release

    /// Approves the submission under review.
    public static func approve(_ reason: String = "") -> TaskResult { .vote(.approve, reason: reason) }
    /// Rejects the submission under review, saying why.
    public static func reject(_ reason: String) -> TaskResult { .vote(.reject, reason: reason) }
}

/// An agent as the marketplace sees it: it claims tasks, executes them, and reports how it is doing.
/// `AgentRunner` drives a `Worker` in a loop and takes care of leases, submission, retries and
/// heartbeats; `ClientWorker` is the ready-made conformance that executes with a closure.
public protocol Worker: Sendable {
    /// Claims a task of `type`, or returns nil when there is none right now.
    func claimTask(type: String, capabilities: [String]?) async throws -> Claim?
    /// Claims a task of `type`, waiting up to `waitSeconds` for one (long polling). The default
    /// ignores the wait and calls `claimTask(type:capabilities:)`.
    func claimTask(type: String, capabilities: [String]?, waitSeconds: Double) async throws -> Claim?
    /// Does the work of a claim (for a verification claim, reviews `claim.review`). Should return
    /// promptly when cancelled: the runner cancels it when the lease is lost.
    func execute(_ claim: Claim) async throws -> TaskResult
    /// Reports the worker's status (`idle`, `busy`, `offline`).
    func reportHeartbeat(_ status: WorkerStatus) async throws
}

extension Worker {
    public func claimTask(type: String, capabilities: [String]?, waitSeconds: Double) async throws -> Claim? {
        try await claimTask(type: type, capabilities: capabilities)
    }
}

/// A `Worker` backed by a `WorkhiveClient` with a worker key, executing claims with a closure.
public struct ClientWorker: Worker {
    /// Does the work of one claim.
    public typealias Executor = @Sendable (Claim) async throws -> TaskResult

    public let client: WorkhiveClient
    /// How long `claimTask(type:capabilities:)` waits for work (0...30 s).
    public var waitSeconds: Double
    private let executor: Executor

    public init(client: WorkhiveClient, waitSeconds: Double = 20, execute: @escaping Executor) {
        self.client = client
        self.waitSeconds = waitSeconds
        self.executor = execute
    }

    public func claimTask(type: String, capabilities: [String]?) async throws -> Claim? {
        try await client.claim(taskType: type, capabilities: capabilities, waitSeconds: waitSeconds)
    }

    public func claimTask(type: String, capabilities: [String]?, waitSeconds: Double) async throws -> Claim? {
        try await client.claim(taskType: type, capabilities: capabilities, waitSeconds: waitSeconds)
    }

    public func execute(_ claim: Claim) async throws -> TaskResult {
        try await executor(claim)
    }

    public func reportHeartbeat(_ status: WorkerStatus) async throws {
        try await client.reportWorkerStatus(status)
    }
}
