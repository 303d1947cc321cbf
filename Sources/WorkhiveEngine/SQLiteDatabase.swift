import CSQLite
import Foundation
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
    private let readers = Mutex(ReaderPool())
    private var loop: Task<Void, Never>?
    private let checkpointer: Checkpointer
    private let stats = Mutex(WriterStats())
    /// Most operations one commit carries; bounds latency under heavy load.
    private let maxBatch = 256

    private struct ReaderPool: ~Copyable {
        var idle: [SQLiteConnection] = []
        var closed = false
    }

    private struct WriteQueue: ~Copyable {
        var jobs: [any WriteJob] = []
        var waiter: CheckedContinuation<Void, Never>?
        var closed = false
    }

    public init(path: String) throws {
        self.path = path
        writer = try SQLiteConnection(path: path)
        // Foreign keys are declared but not enforced on the writer: every id the engine writes was
        // read or created in the same transaction, enforcement costs a third of an INSERT here, and
        // `LedgerAudit` runs PRAGMA foreign_key_check so `workhive ledger check` still proves it.
        try writer.exec("""
            PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=OFF;
            PRAGMA cache_size=-32000; PRAGMA temp_store=MEMORY; PRAGMA wal_autocheckpoint=0; PRAGMA mmap_size=268435456;
            """)
        checkpointer = try Checkpointer(path: path)
        writer.setWALHook(Checkpointer.walHook, context: Unmanaged.passUnretained(checkpointer).toOpaque())
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
        let pooled = try readers.withLock { pool -> SQLiteConnection? in
            guard !pool.closed else { throw SQLError(message: "database is closed", isConstraintViolation: false) }
            return pool.idle.popLast()
        }
        let connection = try pooled ?? openReader()
        defer {
            let keep = readers.withLock { pool in
                guard !pool.closed, pool.idle.count < 8 else { return false }
                pool.idle.append(connection)
                return true
            }
            if !keep { connection.close() }
        }
        try connection.executeSync("BEGIN", [])
        do {
            let value = try await body(connection)
            try connection.executeSync("COMMIT", [])
            return value
        } catch {
            try? connection.executeSync("ROLLBACK", [])
            throw error
        }
    }

    /// Finishes the writes in hand and closes every connection. A second call does nothing.
    public func close() async {
        let (waiter, wasClosed) = queue.withLock { q in
            defer { q.closed = true; q.waiter = nil }
            return (q.waiter, q.closed)
        }
        guard !wasClosed else { return }
        waiter?.resume()
        await loop?.value
        writer.setWALHook(nil, context: nil)
        checkpointer.stop()
        try? writer.exec("PRAGMA wal_checkpoint(TRUNCATE)")
        // Every connection is closed now, not when the last reference goes: a server's tasks may
        // hold the database a while longer, and each connection keeps files and memory open.
        let idle = readers.withLock { pool in
            pool.closed = true
            defer { pool.idle = [] }
            return pool.idle
        }
        idle.forEach { $0.close() }
        writer.close()
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
            let cpu = threadCPUNanoseconds()
            if batch.count == 1 {
                await runAlone(batch[0])
            } else {
                await runGrouped(batch)
            }
            let used = threadCPUNanoseconds() - cpu
            stats.withLock { s in
                s.batches += 1
                s.operations += batch.count
                s.cpuNanoseconds += max(0, used)
            }
        }
    }

    /// What the writer has done: commits, operations, and CPU time it spent (which, unlike wall time,
    /// does not grow when other processes compete for the cores).
    public struct WriterStats: Sendable {
        public var batches = 0
        public var operations = 0
        public var cpuNanoseconds: Int64 = 0
    }

    public var writerStats: WriterStats { stats.withLock { $0 } }

    /// The writer connection's statement counters since it opened (asked through the writer loop,
    /// which owns the connection), most CPU time (if timed) then steps first.
    public func writerStatementCounters() async throws -> [SQLStatementCounters] {
        try await write { ($0 as! SQLiteConnection).statementCounters() }.sorted { ($0.cpuNanoseconds ?? 0, $0.steps) > ($1.cpuNanoseconds ?? 0, $1.steps) }
    }

    /// Times every statement the writer runs from now on, for `writerStatementCounters`.
    public func profileWriter() async throws {
        try await write { ($0 as! SQLiteConnection).startTiming() }
    }

    private func runAlone(_ job: any WriteJob) async {
        do {
            try writer.executeSync("BEGIN IMMEDIATE", [])
        } catch {
            return job.finish(error)
        }
        do {
            try await job.run(writer)
            try writer.executeSync("COMMIT", [])
            job.finish(nil)
        } catch {
            try? writer.executeSync("ROLLBACK", [])
            job.finish(error)
        }
    }

    /// Runs a group optimistically in one transaction without savepoints. Refusals are rare, so if
    /// any operation throws, the whole group is rolled back and run again with a savepoint around
    /// each operation, so that only the refused one is undone. Operations are pure functions of the
    /// database and their captured inputs, so running one twice is safe.
    private func runGrouped(_ batch: [any WriteJob]) async {
        do {
            try writer.executeSync("BEGIN IMMEDIATE", [])
        } catch {
            return batch.forEach { $0.finish(error) }
        }
        var failed = false
        for job in batch {
            do {
                try await job.run(writer)
            } catch {
                failed = true
                break
            }
        }
        if failed {
            try? writer.executeSync("ROLLBACK", [])
            return await runWithSavepoints(batch)
        }
        do {
            try writer.executeSync("COMMIT", [])
            for job in batch { job.finish(nil) }
        } catch {
            try? writer.executeSync("ROLLBACK", [])
            for job in batch { job.finish(error) }
        }
    }

    private func runWithSavepoints(_ batch: [any WriteJob]) async {
        do {
            try writer.executeSync("BEGIN IMMEDIATE", [])
        } catch {
            return batch.forEach { $0.finish(error) }
        }
        var succeeded: [any WriteJob] = []
        succeeded.reserveCapacity(batch.count)
        for job in batch {
            do {
                try writer.executeSync("SAVEPOINT op", [])
                do {
                    try await job.run(writer)
                    try writer.executeSync("RELEASE op", [])
                    succeeded.append(job)
                } catch {
                    try writer.executeSync("ROLLBACK TO op", [])
                    try writer.executeSync("RELEASE op", [])
                    job.finish(error)
                }
            } catch {
                // The savepoint machinery itself failed: give up the whole group.
                try? writer.executeSync("ROLLBACK", [])
                for j in batch { j.finish(error) }  // finish is a no-op for jobs already answered
                return
            }
        }
        do {
            try writer.executeSync("COMMIT", [])
            for job in succeeded { job.finish(nil) }
        } catch {
            try? writer.executeSync("ROLLBACK", [])
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

/// Copies the WAL back into the database file from its own thread and connection, so the writer
/// never stalls on a checkpoint's copying and fsync (autocheckpoint is off on the writer). The
/// writer's WAL hook wakes it once the WAL has grown past `pages`; an idle database costs nothing.
private final class Checkpointer: @unchecked Sendable {
    private let connection: SQLiteConnection
    private let state = Mutex((stopped: false, requested: false))
    private let wake = DispatchSemaphore(value: 0)
    private let done = DispatchSemaphore(value: 0)
    /// SQLite's own autocheckpoint size: about 4 MiB of WAL at the default page size.
    private let pages: Int32 = 1000

    static let walHook: @convention(c) (UnsafeMutableRawPointer?, OpaquePointer?, UnsafePointer<CChar>?, Int32) -> Int32 = { context, _, _, pages in
        Unmanaged<Checkpointer>.fromOpaque(context!).takeUnretainedValue().walGrew(to: pages)
        return SQLITE_OK
    }

    init(path: String) throws {
        connection = try SQLiteConnection(path: path)
        let thread = Thread { [self] in
            while true {
                wake.wait()
                let stopped = state.withLock { s in
                    s.requested = false
                    return s.stopped
                }
                if stopped { break }
                _ = try? connection.exec("PRAGMA wal_checkpoint(PASSIVE)")
            }
            connection.close()
            done.signal()
        }
        thread.name = "workhive-sqlite-checkpoint"
        thread.start()
    }

    /// Called by the writer after each commit; signals at most once per checkpoint run.
    private func walGrew(to walPages: Int32) {
        guard walPages >= pages else { return }
        let signal = state.withLock { s in
            defer { s.requested = true }
            return !s.requested
        }
        if signal { wake.signal() }
    }

    func stop() {
        state.withLock { $0.stopped = true }
        wake.signal()
        done.wait()
    }
}

/// CPU time of the calling thread: the writer runs each batch without suspending, on one thread.
internal func threadCPUNanoseconds() -> Int64 {
    var ts = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
    return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
}
