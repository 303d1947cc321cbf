import Synchronization
import WorkhiveCore

/// In-process publish/subscribe for events that committed transactions produce. WebSocket
/// connections subscribe with a filter; long-polling claims wait for work of one task type.
public final class EventHub: Sendable {
    public typealias Filter = @Sendable (Event) -> Bool

    private struct Subscriber {
        let filter: Filter
        let continuation: AsyncStream<Event>.Continuation
    }

    /// What ends a long poll for work: the task that came, and the claimers that were woken for it
    /// already and could not take it (it is not given to them again).
    public struct Wake: Sendable {
        public let task: Event.TaskAvailable
        let declined: [WorkerID]
    }

    private struct WorkSignal {
        /// Bumped every time work of this type becomes available, so a waiter that looked at the
        /// queue at generation g knows whether it missed something.
        var generation: UInt64 = 0
        /// Long-polling claimers, oldest first.
        var waiters: [Waiter] = []
        /// Wakes nobody was waiting for, oldest first: a claimer that looked before one came, and
        /// would take it, is sent back to look instead of waiting.
        var owed: [(generation: UInt64, at: ContinuousClock.Instant, wake: Wake)] = []
    }

    private struct Waiter {
        let id: Int
        let worker: WorkerID?
        let continuation: CheckedContinuation<Wake?, Never>
        let matches: @Sendable (Event.TaskAvailable) -> Bool

        func wants(_ wake: Wake) -> Bool { !(worker.map(wake.declined.contains) ?? false) && matches(wake.task) }
    }

    // Each task that becomes available wakes one waiter that could take it. That waiter may still
    // be unable to (panel rules, gold draws and locked rows are decided in SQL, not here); then it
    // passes the wake on (see `pass`). Waking more waiters per task instead turns each new task
    // into several empty claims.

    /// How many claimers one task's wake is passed on to, at most: each costs a claim that came
    /// back empty.
    static let maxPasses = 8
    /// Owed wakes kept per task type, and for how long. They are for claimers that looked at the
    /// queue just before the task came, a matter of milliseconds; past these, such a claimer waits
    /// for the next task or its timeout.
    static let maxOwed = 16
    static let owedFor = Duration.seconds(10)

    private struct State: ~Copyable {
        var nextID = 0
        var subscribers: [Int: Subscriber] = [:]
        var work: [String: WorkSignal] = [:]
    }

    private let state = Mutex(State())
    /// Tasks claimed through this server lately (see `wasClaimedHere`).
    private let claimed = Mutex(RecentSet<TaskID>(capacity: 4096))
    private let stops = Atomic<UInt64>(0)

    /// Bumped whenever a worker is suspended, paused or removed through this server, so that long
    /// polls ask again whether their worker may still claim (see `Marketplace.claim(waitSeconds:)`).
    public var workerStops: UInt64 { stops.load(ordering: .acquiring) }
    func noteWorkerStopped() { stops.add(1, ordering: .releasing) }

    public init() {}

    public func publish(_ events: [Event]) {
        guard !events.isEmpty else { return }
        // A task that is open again (released, its lease expired) is no longer claimed here.
        claimed.withLock { recent in
            for case .taskAvailable(let t) in events { recent.remove(t.task) }
        }
        var wake: [(CheckedContinuation<Wake?, Never>, Wake)] = []
        let subscribers = state.withLock { s -> [Subscriber] in
            for case .taskAvailable(let t) in events {
                Self.deliver(Wake(task: t, declined: []), to: &s.work[t.taskType, default: WorkSignal()], waking: &wake)
            }
            return Array(s.subscribers.values)
        }
        for (c, w) in wake { c.resume(returning: w) }
        for subscriber in subscribers {
            for event in events where subscriber.filter(event) { subscriber.continuation.yield(event) }
        }
    }

    /// The claimer `worker`, woken for `wake`'s task, did not take it, and the task may still be
    /// open: the next waiting claimer that could take it is woken, or, with none waiting, the next
    /// one that looked before; never `worker` again, nor a claimer that declined it before.
    public func pass(_ wake: Wake, declinedBy worker: WorkerID?) {
        guard wake.declined.count < Self.maxPasses else { return }
        let passed = Wake(task: wake.task, declined: wake.declined + (worker.map { [$0] } ?? []))
        var woken: [(CheckedContinuation<Wake?, Never>, Wake)] = []
        state.withLock { s in Self.deliver(passed, to: &s.work[wake.task.taskType, default: WorkSignal()], waking: &woken) }
        for (c, w) in woken { c.resume(returning: w) }
    }

    private static func deliver(_ wake: Wake, to signal: inout WorkSignal, waking: inout [(CheckedContinuation<Wake?, Never>, Wake)]) {
        signal.generation &+= 1
        if let i = signal.waiters.firstIndex(where: { $0.wants(wake) }) {
            waking.append((signal.waiters.remove(at: i).continuation, wake))
            return
        }
        let now = ContinuousClock.now
        signal.owed.removeAll { now - $0.at > owedFor }
        signal.owed.append((signal.generation, now, wake))
        if signal.owed.count > maxOwed { signal.owed.removeFirst(signal.owed.count - maxOwed) }
    }

    /// A stream of the events `filter` accepts; it ends when the consumer stops iterating.
    public func subscribe(bufferingNewest limit: Int = 1024, filter: @escaping Filter) -> AsyncStream<Event> {
        let (stream, continuation) = AsyncStream<Event>.makeStream(bufferingPolicy: .bufferingNewest(limit))
        let id = state.withLock { s in
            s.nextID += 1
            s.subscribers[s.nextID] = Subscriber(filter: filter, continuation: continuation)
            return s.nextID
        }
        continuation.onTermination = { [weak self] _ in
            _ = self?.state.withLock { $0.subscribers.removeValue(forKey: id) }
        }
        return stream
    }

    public var subscriberCount: Int { state.withLock { $0.subscribers.count } }
    /// Claimers long-polling for work right now, over every task type.
    public var waiterCount: Int { state.withLock { $0.work.values.reduce(0) { $0 + $1.waiters.count } } }

    /// The current generation of work of `taskType`: read it before looking at the queue, and pass it
    /// to `waitForWork` after.
    public func workGeneration(_ taskType: String) -> UInt64 {
        state.withLock { $0.work[taskType]?.generation ?? 0 }
    }

    /// Returns the wake of a task of `taskType` that `matching` accepts and that became available
    /// after `generation`: at once if one came while the caller was not yet waiting and woke nobody,
    /// else when one comes. Returns nil after `timeoutSeconds`, or when cancelled. A caller that
    /// gets a wake and then cannot claim that task must `pass` it on if the task is still open.
    /// `worker` is who waits, so that a wake it passed on does not come back to it.
    @discardableResult
    public func waitForWork(_ taskType: String, since generation: UInt64, timeoutSeconds: Double, worker: WorkerID? = nil,
                            matching: @escaping @Sendable (Event.TaskAvailable) -> Bool = { _ in true }) async -> Wake? {
        let id = state.withLock { s in
            s.nextID += 1
            return s.nextID
        }
        var timer: Task<Void, Never>?
        let wake = await withTaskCancellationHandler {
            await withCheckedContinuation { (c: CheckedContinuation<Wake?, Never>) in
                let now = state.withLock { s -> (Bool, Wake?) in
                    if Task.isCancelled { return (true, nil) }
                    let waiter = Waiter(id: id, worker: worker, continuation: c, matches: matching)
                    if let i = s.work[taskType]?.owed.firstIndex(where: { $0.generation > generation && waiter.wants($0.wake) }) {
                        return (true, s.work[taskType]!.owed.remove(at: i).wake)
                    }
                    s.work[taskType, default: WorkSignal()].waiters.append(waiter)
                    return (false, nil)
                }
                if now.0 { return c.resume(returning: now.1) }
                // The timer starts only once the waiter is registered: a short timeout firing before
                // that would find nobody to wake, and the wait would never end.
                timer = Task {
                    try? await Task.sleep(for: .seconds(timeoutSeconds))
                    self.wake(taskType, id)
                }
            }
        } onCancel: {
            self.wake(taskType, id)
        }
        timer?.cancel()
        return wake
    }

    /// Claimers long-polling for work of `taskType` right now.
    public func waitingClaimers(_ taskType: String) -> Int {
        state.withLock { $0.work[taskType]?.waiters.count ?? 0 }
    }

    /// Notes a task claimed through this server.
    func noteClaimed(_ task: TaskID) { claimed.withLock { $0.insert(task) } }

    /// Whether `task` was claimed through this server lately: then a claimer whose wake it was need
    /// not ask the database whether somebody else could still take it.
    func wasClaimedHere(_ task: TaskID) -> Bool { claimed.withLock { $0.contains(task) } }

    /// Ends one wait without work (its timeout, or its task's cancellation).
    private func wake(_ taskType: String, _ id: Int) {
        let c = state.withLock { s -> CheckedContinuation<Wake?, Never>? in
            guard let i = s.work[taskType]?.waiters.firstIndex(where: { $0.id == id }) else { return nil }
            return s.work[taskType]?.waiters.remove(at: i).continuation
        }
        c?.resume(returning: nil)
    }
}
