import Logging

/// Runs an agent: claim (long poll) → execute → submit or vote, over and over.
///
/// ```swift
/// let runner = AgentRunner(client: WorkhiveClient(baseURL: url, apiKey: workerKey), taskTypes: ["summarize"]) { claim in
///     let text = claim.task.payload["text"]?.stringValue ?? ""
///     return .submit(result: ["summary": .string(String(text.prefix(100)))])
/// }
/// try await runner.run()   // until stop() or cancellation
/// ```
///
/// Along the way it renews the claim's lease every third of the lease while the work runs, reports
/// `busy` / `idle` / `offline` worker heartbeats, retries transport errors and 5xx with full-jitter
/// exponential backoff and 429s after their `Retry-After`, retries a submit or vote whose answer was
/// lost (the server keeps one submission per claim, so this is safe), and drops claims the server
/// says are gone (409 `claim_expired` / `verification_closed`) to carry on with the next one.
public final class AgentRunner: Sendable {
    /// Does the work of one claim.
    public typealias Executor = ClientWorker.Executor

    /// How a runner behaves.
    public struct Configuration: Sendable {
        /// Capabilities sent with each claim (nil: all the worker registered).
        public var capabilities: [String]?
        /// Long-poll wait per claim request (0...30 s), split between task types when there are several.
        public var waitSeconds: Double
        /// How often the worker-level heartbeat repeats the current status.
        public var workerHeartbeatInterval: Duration
        /// Backoff for failed requests.
        public var retry: RetryPolicy
        /// Whether to renew leases while work runs (turn off only to test lease expiry).
        public var renewLeases: Bool
        /// The shortest wait between two lease renewals.
        public var minimumLeaseRenewalInterval: Duration
        /// Stop after this many claims (nil: run until stopped).
        public var maxClaims: Int?

        public init(capabilities: [String]? = nil, waitSeconds: Double = 20, workerHeartbeatInterval: Duration = .seconds(30),
                    retry: RetryPolicy = .default, renewLeases: Bool = true, minimumLeaseRenewalInterval: Duration = .milliseconds(500),
                    maxClaims: Int? = nil) {
            self.capabilities = capabilities
            self.waitSeconds = waitSeconds
            self.workerHeartbeatInterval = workerHeartbeatInterval
            self.retry = retry
            self.renewLeases = renewLeases
            self.minimumLeaseRenewalInterval = minimumLeaseRenewalInterval
            self.maxClaims = maxClaims
        }
    }

    /// What a runner has done so far.
    public struct Counters: Sendable, Hashable, CustomStringConvertible {
        /// Claims obtained.
        public var claimed = 0
        /// Work results accepted by the server.
        public var submitted = 0
        /// Votes accepted by the server.
        public var voted = 0
        /// Claims given back (by the executor's choice, or after it failed).
        public var released = 0
        /// Claims lost before their result was accepted (lease expired, verification closed).
        public var dropped = 0
        /// Executions that threw.
        public var failed = 0
        /// Every error seen, retried ones included.
        public var errors = 0
        /// 429 answers waited out.
        public var rateLimited = 0
        /// Successful lease renewals.
        public var leaseRenewals = 0

        public init() {}

        public var description: String {
            "claimed=\(claimed) submitted=\(submitted) voted=\(voted) released=\(released) dropped=\(dropped) failed=\(failed) errors=\(errors) rateLimited=\(rateLimited) leaseRenewals=\(leaseRenewals)"
        }
    }

    /// Misuse of a runner.
    public enum RunnerError: Error, Sendable {
        case alreadyRunning
        case noTaskTypes
    }

    struct State {
        var counters = Counters()
        var running = false
        var stopRequested = false
        var status = WorkerStatus.offline
        var inFlightClaim: Task<Claim?, any Error>?
        var claimPhase = ClaimPhase.requesting
    }

    enum ClaimPhase {
        case requesting, backingOff
    }

    /// The client used for leases, submissions and votes (its key must be the worker's).
    public let client: WorkhiveClient
    /// Claims and executes.
    public let worker: any Worker
    /// Task types claimed, in turn.
    public let taskTypes: [String]
    public let configuration: Configuration
    let logger: Logger
    let state = Locked(State())

    /// A runner driving any `Worker`; `client` carries the lease heartbeats, submissions and votes.
    public init(client: WorkhiveClient, worker: any Worker, taskTypes: [String], configuration: Configuration = .init(),
                logger: Logger = Logger(label: "workhive.agent")) {
        self.client = client
        self.worker = worker
        self.taskTypes = taskTypes
        self.configuration = configuration
        self.logger = logger
    }

    /// A runner whose work is a closure: the usual way to write an agent.
    public convenience init(client: WorkhiveClient, taskTypes: [String], configuration: Configuration = .init(),
                            logger: Logger = Logger(label: "workhive.agent"), execute: @escaping Executor) {
        self.init(client: client, worker: ClientWorker(client: client, waitSeconds: configuration.waitSeconds, execute: execute),
                  taskTypes: taskTypes, configuration: configuration, logger: logger)
    }

    /// A snapshot of the counters.
    public var counters: Counters { state.withLock { $0.counters } }
    /// Whether `run()` is in progress.
    public var isRunning: Bool { state.withLock { $0.running } }

    /// Runs until `stop()` is called, the task is cancelled, or `configuration.maxClaims` is reached,
    /// then reports `offline` and returns.
    ///
    /// `stop()` is graceful: a claim in hand is finished and delivered first. Cancellation is not: the
    /// work in progress is cancelled and its claim released (a long poll cut off by cancellation may
    /// still lease a task on the server, which then waits out its lease). Throws when claiming fails
    /// for a reason retrying cannot fix (a bad key, a suspended worker, unregistered capabilities).
    public func run() async throws {
        guard !taskTypes.isEmpty else { throw RunnerError.noTaskTypes }
        try state.withLock { s in
            guard !s.running else { throw RunnerError.alreadyRunning }
            s.running = true
        }
        // A stop() that came before run() still counts; once run() returns, the runner can run again.
        defer {
            state.withLock { s in
                s.running = false
                s.stopRequested = false
            }
        }
        logger.info("agent starting", metadata: ["task_types": .string(taskTypes.joined(separator: ","))])
        do {
            await setStatus(.idle)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await self.workerHeartbeatLoop() }
                try await self.claimLoop()
                group.cancelAll()
            }
        } catch {
            await reportOffline()
            logger.error("agent stopped by an error", metadata: ["error": "\(error)"])
            throw error
        }
        await reportOffline()
        logger.info("agent stopped", metadata: ["counters": "\(counters)"])
    }

    /// Asks `run()` to finish: no new claims are taken, a claim in hand is completed and delivered,
    /// then the worker reports `offline` and `run()` returns. A long poll in flight is let finish (at
    /// most `waitSeconds`) and whatever it claims is released, since the server would lease a task
    /// to an abandoned poll anyway.
    public func stop() {
        let backingOff = state.withLock { s in
            s.stopRequested = true
            return s.claimPhase == .backingOff ? s.inFlightClaim : nil
        }
        backingOff?.cancel()
    }

    var shouldStop: Bool { Task.isCancelled || state.withLock { $0.stopRequested } }

    // MARK: - The loop

    private func claimLoop() async throws {
        var turn = 0
        while !shouldStop {
            let type = taskTypes[turn % taskTypes.count]
            turn += 1
            let wait = taskTypes.count == 1 ? configuration.waitSeconds : min(configuration.waitSeconds, max(1, configuration.waitSeconds / Double(taskTypes.count)))
            let claim: Claim?
            do {
                claim = try await claimNext(type: type, waitSeconds: wait)
            } catch {
                if shouldStop { break }
                record(error)
                throw error
            }
            guard let claim else {
                await setStatus(.idle)
                continue
            }
            let claimed = state.withLock { s in
                s.counters.claimed += 1
                return s.counters.claimed
            }
            logger.debug("claimed", metadata: ["claim": "\(claim.claimId)", "task": "\(claim.task.id)", "type": .string(claim.task.taskType)])
            await setStatus(.busy)
            await handle(claim)
            if let max = configuration.maxClaims, claimed >= max { break }
        }
    }

    /// One claim request, retried while retryable.
    ///
    /// `stop()` lets a request in flight finish rather than cut it off: the server would still
    /// lease a task to a long poll whose client has gone, and that task would sit leased to nobody
    /// until the lease ran out. A claim that arrives after `stop()` is released at once. A backoff
    /// wait between retries is cut short by `stop()`.
    private func claimNext(type: String, waitSeconds: Double) async throws -> Claim? {
        state.withLock { $0.claimPhase = .requesting }
        let request = Task { [worker, configuration] () async throws -> Claim? in
            try await self.retrying("claim", onRetry: {
                self.state.withLock { s in
                    s.claimPhase = .backingOff
                    if s.stopRequested { withUnsafeCurrentTask { $0?.cancel() } }
                }
            }) {
                guard self.state.withLock({ s in
                    s.claimPhase = .requesting
                    return !s.stopRequested
                }) else { throw CancellationError() }
                return try await worker.claimTask(type: type, capabilities: configuration.capabilities, waitSeconds: waitSeconds)
            }
        }
        let cancelNow = state.withLock { s in
            s.inFlightClaim = request
            return s.stopRequested && s.claimPhase == .backingOff
        }
        if cancelNow { request.cancel() }
        defer { state.withLock { $0.inFlightClaim = nil } }
        let claim = try await withTaskCancellationHandler { try await request.value } onCancel: { request.cancel() }
        if let claim, shouldStop {
            // Stopped or cancelled while the claim was on its way back: give it straight back.
            if Task.isCancelled { await releaseDetached(claim) } else { await release(claim) }
            return nil
        }
        return claim
    }

    /// Executes a claim with its lease kept alive, then delivers the result.
    private func handle(_ claim: Claim) async {
        let outcome: ExecutionOutcome
        do {
            outcome = try await executeKeepingLease(claim)
        } catch {
            if Task.isCancelled {
                await releaseDetached(claim)
                return
            }
            record(error, failed: true)
            logger.warning("execution failed; releasing the claim", metadata: ["claim": "\(claim.claimId)", "error": "\(error)"])
            await release(claim)
            return
        }
        switch outcome {
        case .leaseLost(let error):
            state.withLock { $0.counters.dropped += 1 }
            logger.warning("lease lost during execution; dropping the claim", metadata: ["claim": "\(claim.claimId)", "error": "\(error)"])
        case .finished(let result):
            await deliver(result, for: claim)
        }
    }

    /// Sends the result of a claim: submit, vote or release. Retries re-send the same request, which
    /// the server answers with the first submission or vote.
    private func deliver(_ result: TaskResult, for claim: Claim) async {
        do {
            switch result {
            case .submit(let value, let proofs):
                let submission = try await retrying("submit") {
                    try await self.client.submit(claimID: claim.claimId, result: value, proofs: proofs)
                }
                state.withLock { $0.counters.submitted += 1 }
                logger.debug("submitted", metadata: ["claim": "\(claim.claimId)", "submission": "\(submission.id)"])
            case .vote(let verdict, let reason):
                _ = try await retrying("vote") {
                    try await self.client.vote(claimID: claim.claimId, verdict: verdict, reason: reason)
                }
                state.withLock { $0.counters.voted += 1 }
                logger.debug("voted", metadata: ["claim": "\(claim.claimId)", "verdict": .string(verdict.rawValue)])
            case .release:
                await release(claim)
            }
        } catch let error as WorkhiveAPIError where error.isClaimGone {
            record(error)
            state.withLock { $0.counters.dropped += 1 }
            logger.info("claim gone before its result was delivered; dropping it", metadata: ["claim": "\(claim.claimId)", "error": "\(error)"])
        } catch {
            if Task.isCancelled { return }
            record(error)
            logger.warning("result refused; releasing the claim", metadata: ["claim": "\(claim.claimId)", "error": "\(error)"])
            await release(claim)
        }
    }

    /// Gives a claim back, retrying transient errors; a claim already gone counts as released.
    private func release(_ claim: Claim) async {
        do {
            _ = try await retrying("release") { try await self.client.release(claimID: claim.claimId) }
            state.withLock { $0.counters.released += 1 }
        } catch let error as WorkhiveAPIError where error.isClaimGone {
            state.withLock { $0.counters.dropped += 1 }
        } catch {
            record(error)
            logger.warning("could not release claim", metadata: ["claim": "\(claim.claimId)", "error": "\(error)"])
        }
    }

    /// A single release attempt that survives the caller's cancellation.
    private func releaseDetached(_ claim: Claim) async {
        let client = self.client
        let released = await Task { (try? await client.release(claimID: claim.claimId)) != nil }.value
        if released { state.withLock { $0.counters.released += 1 } }
    }

    // MARK: - Retries and bookkeeping

    /// Runs `operation` under the retry policy, counting the errors it retries. `onRetry` runs just
    /// before each backoff wait.
    func retrying<T>(_ what: String, onRetry: (@Sendable () -> Void)? = nil, _ operation: () async throws -> T) async throws -> T {
        try await configuration.retry.run(onRetry: { [logger] error, attempt, delay in
            self.record(error)
            logger.debug("retrying \(what)", metadata: ["attempt": "\(attempt)", "delay": "\(delay)", "error": "\(error)"])
            onRetry?()
        }, operation)
    }

    func record(_ error: any Error, failed: Bool = false) {
        state.withLock { s in
            s.counters.errors += 1
            if failed { s.counters.failed += 1 }
            if let api = error as? WorkhiveAPIError, api.isRateLimited { s.counters.rateLimited += 1 }
        }
    }
}
