import Logging

/// A master agent and its sub-agents in one process.
///
/// ```swift
/// let fleet = Fleet(master: masterClient)
/// try await fleet.spawn(100, capabilities: ["vision"])
/// fleet.start(taskTypes: ["moderation.batch"]) { claim in .submit(result: classify(claim.task.payload)) }
/// let claim = try await masterClient.claim(taskType: "moderation.image")!
/// let done = try await fleet.fanOut(claim, subTasks: parts, aggregation: .mergeJSON)
/// try await masterClient.submit(claimID: claim.claimId, result: done.aggregate!)
/// ```
///
/// `fanOut` posts the delegation, keeps the parent's lease alive, retries failed or timed-out
/// sub-tasks and returns once the aggregate is ready.
public final class Fleet: Sendable {
    /// A sub-agent: its profile and a client carrying its own key.
    public struct SubAgent: Sendable {
        public let profile: WorkerProfile
        public let client: WorkhiveClient
    }

    public enum FleetError: Error, Sendable, CustomStringConvertible {
        /// A sub-task failed more often than `maxRetries` allows.
        case subTaskFailed(delegation: Int64, slot: Int, reason: String?)
        /// The aggregate could not be formed (for example no majority, or a merge conflict).
        case aggregationFailed(delegation: Int64, message: String)
        case timedOut(delegation: Int64)

        public var description: String {
            switch self {
            case .subTaskFailed(let d, let slot, let reason): "sub-task \(slot) of delegation \(d) failed: \(reason ?? "unknown")"
            case .aggregationFailed(let d, let message): "delegation \(d) could not be aggregated: \(message)"
            case .timedOut(let d): "delegation \(d) did not complete in time"
            }
        }
    }

    /// The master's client (its worker key).
    public let master: WorkhiveClient
    private let state = Locked(State())

    struct State {
        var subAgents: [SubAgent] = []
        var runners: [AgentRunner] = []
        var tasks: [Task<Void, Never>] = []
    }

    public init(master: WorkhiveClient) { self.master = master }

    public var subAgents: [SubAgent] { state.withLock { $0.subAgents } }

    /// Creates `count` sub-agents (`namePrefix-0`, `namePrefix-1`, ...), 16 at a time.
    @discardableResult
    public func spawn(_ count: Int, namePrefix: String = "sub-agent", capabilities: [String] = []) async throws -> [SubAgent] {
        let start = subAgents.count
        let created = try await withThrowingTaskGroup(of: (Int, SubAgent).self) { group in
            var out: [(Int, SubAgent)] = []
            for i in 0..<count {
                if i >= 16, let next = try await group.next() { out.append(next) }
                group.addTask {
                    let credentials = try await self.master.createSubAgent(name: "\(namePrefix)-\(start + i)", capabilities: capabilities)
                    return (i, SubAgent(profile: credentials.subject, client: self.master.withAPIKey(credentials.apiKey)))
                }
            }
            for try await next in group { out.append(next) }
            return out.sorted { $0.0 < $1.0 }.map(\.1)
        }
        state.withLock { $0.subAgents += created }
        return created
    }

    /// Runs every sub-agent concurrently, each an `AgentRunner` claiming `taskTypes` (the fleet's
    /// delegated sub-tasks are offered to them only).
    public func start(taskTypes: [String], configuration: AgentRunner.Configuration = .init(waitSeconds: 5),
                      logger: Logger = Logger(label: "workhive.fleet"), execute: @escaping AgentRunner.Executor) {
        let runners = subAgents.map { AgentRunner(client: $0.client, taskTypes: taskTypes, configuration: configuration, logger: logger, execute: execute) }
        let tasks = runners.map { runner in
            Task {
                do { try await runner.run() } catch { logger.warning("sub-agent stopped", metadata: ["error": "\(error)"]) }
            }
        }
        state.withLock { s in
            s.runners += runners
            s.tasks += tasks
        }
    }

    /// Stops every runner gracefully and waits for them.
    public func stop() async {
        let (runners, tasks) = state.withLock { s in
            defer { s.runners = []; s.tasks = [] }
            return (s.runners, s.tasks)
        }
        for runner in runners { runner.stop() }
        for task in tasks { await task.value }
    }

    /// Counters summed over every sub-agent's runner.
    public var counters: AgentRunner.Counters {
        state.withLock { $0.runners }.reduce(into: AgentRunner.Counters()) { sum, runner in
            let c = runner.counters
            sum.claimed += c.claimed
            sum.submitted += c.submitted
            sum.failed += c.failed
            sum.errors += c.errors
        }
    }

    /// Fans a claim the master holds out to the fleet and waits for the aggregate: renews the parent's
    /// lease while waiting, retries a failed or timed-out sub-task up to `maxRetries` times, and
    /// returns the complete delegation (`aggregate` set). `onProgress` sees every poll.
    public func fanOut(_ claim: Claim, subTasks: [NewSubTask], aggregation: AggregationMethod = .mergeJSON,
                       funding: DelegationFunding = .parentEscrow, maxRetries: Int = 2, pollInterval: Duration = .milliseconds(100),
                       timeout: Duration = .seconds(3600), onProgress: @Sendable (Delegation) -> Void = { _ in }) async throws -> Delegation {
        var delegation = try await master.delegate(claimID: claim.claimId, subTasks: subTasks, aggregation: aggregation, funding: funding)
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        let renewEvery = Duration.seconds(max(1, claim.task.leaseSeconds / 3))
        var lastRenewal = clock.now
        while true {
            onProgress(delegation)
            if delegation.isComplete {
                if let message = delegation.aggregationError { throw FleetError.aggregationFailed(delegation: delegation.id, message: message) }
                return delegation
            }
            for sub in delegation.subTasks where !sub.done && (sub.state == .failed || sub.state == .cancelled) {
                guard sub.retries < maxRetries else {
                    throw FleetError.subTaskFailed(delegation: delegation.id, slot: sub.slot, reason: sub.failureReason)
                }
                delegation = try await master.retrySubTask(delegationID: delegation.id, slot: sub.slot)
            }
            guard clock.now < deadline else { throw FleetError.timedOut(delegation: delegation.id) }
            if clock.now - lastRenewal >= renewEvery {
                try await master.renewLease(claimID: claim.claimId)
                lastRenewal = clock.now
            }
            try await Task.sleep(for: pollInterval)
            delegation = try await master.delegation(id: delegation.id)
        }
    }
}
