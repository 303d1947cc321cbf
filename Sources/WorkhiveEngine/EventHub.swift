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

    private struct WorkSignal {
        /// Bumped every time work of this type becomes available, so a waiter that looked at the
        /// queue at generation g knows whether it missed something.
        var generation: UInt64 = 0
        /// Long-polling claimers, oldest first.
        var waiters: [Waiter] = []
    }

    private struct Waiter {
        let id: Int
        let continuation: CheckedContinuation<Void, Never>
        let matches: @Sendable (Event.TaskAvailable) -> Bool
    }

    /// Waiters woken per task that becomes available: one would be enough if every woken waiter
    /// could take it, a second covers one that cannot (it raced, or already verifies that submission).
    /// Waking every waiter instead turns each new task into hundreds of empty claims.
    static let wakesPerTask = 2

    private struct State: ~Copyable {
        var nextID = 0
        var subscribers: [Int: Subscriber] = [:]
        var work: [String: WorkSignal] = [:]
    }

    private let state = Mutex(State())
    private let stops = Atomic<UInt64>(0)

    /// Bumped whenever a worker is suspended, paused or removed through this server, so that long
    /// polls ask again whether their worker may still claim (see `Marketplace.claim(waitSeconds:)`).
    public var workerStops: UInt64 { stops.load(ordering: .acquiring) }
    func noteWorkerStopped() { stops.add(1, ordering: .releasing) }

    public init() {}

    public func publish(_ events: [Event]) {
        guard !events.isEmpty else { return }
        var wake: [CheckedContinuation<Void, Never>] = []
        let subscribers = state.withLock { s -> [Subscriber] in
            for case .taskAvailable(let t) in events {
                s.work[t.taskType, default: WorkSignal()].generation &+= 1
                guard var waiters = s.work[t.taskType]?.waiters, !waiters.isEmpty else { continue }
                var woken = 0
                waiters.removeAll { waiter in
                    guard woken < Self.wakesPerTask, waiter.matches(t) else { return false }
                    woken += 1
                    wake.append(waiter.continuation)
                    return true
                }
                s.work[t.taskType]?.waiters = waiters
            }
            return Array(s.subscribers.values)
        }
        for c in wake { c.resume() }
        for subscriber in subscribers {
            for event in events where subscriber.filter(event) { subscriber.continuation.yield(event) }
        }
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

    /// The current generation of work of `taskType`; pass it to `waitForWork` after looking at the queue.
    public func workGeneration(_ taskType: String) -> UInt64 {
        state.withLock { $0.work[taskType]?.generation ?? 0 }
    }

    /// Returns when work of `taskType` that `matching` accepts became available after `generation`
    /// (any work that came while it was not yet waiting also ends the wait), or after `timeoutSeconds`.
    public func waitForWork(_ taskType: String, since generation: UInt64, timeoutSeconds: Double,
                            matching: @escaping @Sendable (Event.TaskAvailable) -> Bool = { _ in true }) async {
        let id = state.withLock { s in
            s.nextID += 1
            return s.nextID
        }
        var timer: Task<Void, Never>?
        await withTaskCancellationHandler {
            await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                let now = state.withLock { s -> Bool in
                    if (s.work[taskType]?.generation ?? 0) != generation || Task.isCancelled { return true }
                    s.work[taskType, default: WorkSignal()].waiters.append(Waiter(id: id, continuation: c, matches: matching))
                    return false
                }
                if now { return c.resume() }
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
    }

    /// Claimers long-polling for work of `taskType` right now.
    public func waitingClaimers(_ taskType: String) -> Int {
        state.withLock { $0.work[taskType]?.waiters.count ?? 0 }
    }

    private func wake(_ taskType: String, _ id: Int) {
        let c = state.withLock { s -> CheckedContinuation<Void, Never>? in
            guard let i = s.work[taskType]?.waiters.firstIndex(where: { $0.id == id }) else { return nil }
            return s.work[taskType]?.waiters.remove(at: i).continuation
        }
        c?.resume()
    }
}
