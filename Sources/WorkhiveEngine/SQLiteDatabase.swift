import Synchronization
import WorkhiveCore

/// The embedded database: one SQLite file in WAL mode. All writes go through one writer loop that
/// group-commits: it takes every operation waiting, runs each inside its own SAVEPOINT (so a refused
/// operation rolls back alone), and commits them together. Callers get their result only after that
/// commit. Reads use a small pool of separate connections, which WAL lets run beside the writer.
public final class SQLiteDatabase: SQLDatabase, @unchecked Sendable {
    public let dialect = SQLDialect.sqlite
    public let path: String
    private let writer: SQLiteConnection
    private let queue = Mutex(WriteQueue())
    private let readers = Mutex([SQLiteConnection]())
    private var loop: Task<Void, Never>?
    /// Most operations one commit carries; bounds latency under heavy load.
    private let maxBatch = 256

    private struct WriteQueue: ~Copyable {
        var jobs: [any WriteJob] = []
        var waiter: CheckedContinuation<Void, Never>?
        var closed = false
    }

    public init(path: String) throws {
        self.path = path
        writer = try SQLiteConnection(path: path)
        try writer.exec("""
            PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;
            PRAGMA cache_size=-32000; PRAGMA temp_store=MEMORY;
            """)
        loop = Task.detached { [unowned self] in await self.runWriter() }
    }

    public func write<T: Sendable>(_ body: @escaping @Sendable (any SQLExecutor) async throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let job = Job(body: body, continuation: continuation)
            let (waiter, closed) = queue.withLock { q -> (CheckedContinuation<Void, Never>?, Bool) in
                if q.closed { return (nil, true) }
                q.jobs.append(job)
                defer { q.waiter = nil }
                return (q.waiter, false)
            }
            if closed { continuation.resume(throwing: SQLError(message: "database is closed", isConstraintViolation: false)) }
            waiter?.resume()
        }
    }

    public func read<T: Sendable>(_ body: @escaping @Sendable (any SQLExecutor) async throws -> T) async throws -> T {
        let connection = try readers.withLock { $0.popLast() } ?? openReader()
        defer { readers.withLock { if $0.count < 8 { $0.append(connection) } } }
        try connection.exec("BEGIN")
        do {
            let value = try await body(connection)
            try connection.exec("COMMIT")
            return value
        } catch {
            try? connection.exec("ROLLBACK")
            throw error
        }
    }

    public func close() async {
        let waiter = queue.withLock { q in
            q.closed = true
            defer { q.waiter = nil }
            return q.waiter
        }
        waiter?.resume()
        await loop?.value
        try? writer.exec("PRAGMA wal_checkpoint(TRUNCATE)")
    }

    private func openReader() throws -> SQLiteConnection {
        let connection = try SQLiteConnection(path: path)
        try connection.exec("PRAGMA query_only=ON; PRAGMA cache_size=-16000;")
        return connection
    }

    private func nextBatch() async -> [any WriteJob]? {
        while true {
            let batch: [any WriteJob]? = queue.withLock { q in
                if !q.jobs.isEmpty {
                    let take = min(q.jobs.count, maxBatch)
                    let batch = Array(q.jobs.prefix(take))
                    q.jobs.removeFirst(take)
                    return batch
                }
                return q.closed ? nil : []
            }
            guard let batch else { return nil }
            if !batch.isEmpty { return batch }
            await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                let resumeNow = queue.withLock { q in
                    if q.jobs.isEmpty && !q.closed {
                        q.waiter = c
                        return false
                    }
                    return true
                }
                if resumeNow { c.resume() }
            }
        }
    }

    private func runWriter() async {
        while let batch = await nextBatch() {
            if batch.count == 1 {
                await runAlone(batch[0])
            } else {
                await runGrouped(batch)
            }
        }
    }

    private func runAlone(_ job: any WriteJob) async {
        do {
            try writer.exec("BEGIN IMMEDIATE")
        } catch {
            return job.finish(error)
        }
        do {
            try await job.run(writer)
            try writer.exec("COMMIT")
            job.finish(nil)
        } catch {
            try? writer.exec("ROLLBACK")
            job.finish(error)
        }
    }

    private func runGrouped(_ batch: [any WriteJob]) async {
        do {
            try writer.exec("BEGIN IMMEDIATE")
        } catch {
            return batch.forEach { $0.finish(error) }
        }
        var succeeded: [any WriteJob] = []
        succeeded.reserveCapacity(batch.count)
        for job in batch {
            do {
                try writer.exec("SAVEPOINT op")
                do {
                    try await job.run(writer)
                    try writer.exec("RELEASE op")
                    succeeded.append(job)
                } catch {
                    try writer.exec("ROLLBACK TO op; RELEASE op")
                    job.finish(error)
                }
            } catch {
                // The savepoint machinery itself failed: give up the whole group.
                try? writer.exec("ROLLBACK")
                for j in batch { j.finish(error) }  // finish is a no-op for jobs already answered
                return
            }
        }
        do {
            try writer.exec("COMMIT")
            for job in succeeded { job.finish(nil) }
        } catch {
            try? writer.exec("ROLLBACK")
            for job in succeeded { job.finish(error) }
        }
    }
}

private protocol WriteJob: AnyObject, Sendable {
    func run(_ executor: any SQLExecutor) async throws
    /// Delivers the result (stored by `run`) or the error; later calls do nothing.
    func finish(_ error: (any Error)?)
}

private final class Job<T: Sendable>: WriteJob, @unchecked Sendable {
    let body: @Sendable (any SQLExecutor) async throws -> T
    var continuation: CheckedContinuation<T, any Error>?
    var value: T?

    init(body: @escaping @Sendable (any SQLExecutor) async throws -> T, continuation: CheckedContinuation<T, any Error>) {
        self.body = body
        self.continuation = continuation
    }

    func run(_ executor: any SQLExecutor) async throws { value = try await body(executor) }

    func finish(_ error: (any Error)?) {
        guard let continuation else { return }
        self.continuation = nil
        if let error { continuation.resume(throwing: error) } else { continuation.resume(returning: value!) }
    }
}
