import Synchronization

/// Group commit for one kind of operation: callers that arrive while a batch is being written
/// wait and go together in the next batch, so they share one transaction and its statements
/// instead of each paying for their own. A caller that finds nothing running starts its batch at
/// once, so a lone caller waits for nothing; under load, batches grow by themselves to what
/// arrives while one is written (up to `maxBatch`). One batch runs at a time: two at once made
/// smaller batches and were slower.
final class Combiner<Item: Sendable, Output: Sendable>: Sendable {
    private struct Waiting: Sendable {
        let item: Item
        let continuation: CheckedContinuation<Output, any Error>
    }

    private struct State: ~Copyable {
        var queue: [Waiting] = []
        var running = false
    }

    private let state = Mutex(State())
    let maxBatch: Int

    init(maxBatch: Int) {
        precondition(maxBatch > 0)
        self.maxBatch = maxBatch
    }

    /// Callers waiting for a batch to take them.
    var waiting: Int { state.withLock { $0.queue.count } }

    /// `item`'s output, from the batch it went in. `write` runs a batch and returns one result per
    /// item, in order; it is the one given by the caller that started the run of batches.
    func submit(_ item: Item, write: @escaping @Sendable ([Item]) async -> [Result<Output, any Error>]) async throws -> Output {
        try await withCheckedThrowingContinuation { continuation in
            let starts = state.withLock { s in
                s.queue.append(Waiting(item: item, continuation: continuation))
                guard !s.running else { return false }
                s.running = true
                return true
            }
            // In a task of its own, so that no caller's cancellation stops the others' batches.
            if starts { Task { await self.drain(write) } }
        }
    }

    private func drain(_ write: @Sendable ([Item]) async -> [Result<Output, any Error>]) async {
        while true {
            let batch = state.withLock { s -> [Waiting] in
                let n = min(s.queue.count, maxBatch)
                guard n > 0 else {
                    s.running = false
                    return []
                }
                defer { s.queue.removeFirst(n) }
                return Array(s.queue.prefix(n))
            }
            guard !batch.isEmpty else { return }
            let results = await write(batch.map(\.item))
            precondition(results.count == batch.count, "a batch writer returns one result per item")
            for (waiting, result) in zip(batch, results) { waiting.continuation.resume(with: result) }
        }
    }
}
