import Foundation
import Logging
import WorkhiveEngine

/// The engines the conformance tests run on. PostgreSQL is included when its binaries are on this
/// machine, and always when `CI` is set, so that a CI machine without it fails instead of skipping.
public enum TestEngine: String, Sendable, CaseIterable, CustomStringConvertible {
    case sqlite, postgres

    public static var available: [TestEngine] {
        PostgresCluster.binDirectory != nil || PostgresCluster.required ? [.sqlite, .postgres] : [.sqlite]
    }
    public var description: String { rawValue }
}

/// A throwaway PostgreSQL cluster for the tests: `initdb` in a temporary directory, started with
/// `pg_ctl` on a free loopback port the first time a test asks for a database, and stopped when the
/// test process exits. Every test gets a database of its own.
public actor PostgresCluster {
    public static let shared = PostgresCluster()

    /// Set when the run must have PostgreSQL (CI).
    public static var required: Bool { ProcessInfo.processInfo.environment["CI"].map { !$0.isEmpty } ?? false }

    /// Debian keeps the server binaries out of PATH, under /usr/lib/postgresql/<version>/bin.
    public static let binDirectory: String? = {
        let root = "/usr/lib/postgresql"
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        return versions.compactMap(Int.init).sorted().reversed().lazy
            .map { "\(root)/\($0)/bin" }
            .first { FileManager.default.isExecutableFile(atPath: $0 + "/initdb") }
    }()

    /// For the tests' connection pools. The cluster stops when the test process exits, while pools
    /// that tests left open still reconnect: at the default level their retries would bury a failing
    /// test's report under thousands of "connection refused" lines.
    public static let poolLogger: Logger = {
        var logger = Logger(label: "workhive.postgres.test")
        logger.logLevel = .error
        return logger
    }()

    public struct Unavailable: Error, CustomStringConvertible {
        public let description: String
        public init(description: String) { self.description = description }
    }

    private var starting: Task<Int, any Error>?

    /// The URL of a new, empty database on the cluster.
    public func freshDatabaseURL() async throws -> String {
        let port = try await start()
        databases += 1
        let name = "t\(ProcessInfo.processInfo.processIdentifier)_\(databases)"
        // Over the wire, not by running psql: a blocking child process would hold one of the few
        // threads every concurrent test shares.
        try await PostgresDatabase.admin("postgres://postgres@127.0.0.1:\(port)/postgres?sslmode=disable", "CREATE DATABASE \(name)")
        return "postgres://postgres@127.0.0.1:\(port)/\(name)?sslmode=disable"
    }

    private var databases = 0

    /// Starts the cluster once; callers arriving meanwhile wait for the same start.
    private func start() async throws -> Int {
        if let starting { return try await starting.value }
        let task = Task { try await Self.offThread(Self.initAndStart) }
        starting = task
        return try await task.value
    }

    /// initdb and pg_ctl take seconds: they run on a thread of their own, not on one of the few
    /// threads that every concurrent test's tasks share.
    private static func offThread<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Thread { continuation.resume(with: Result { try work() }) }.start()
        }
    }

    private static func initAndStart() throws -> Int {
        guard let bin = Self.binDirectory else {
            throw Unavailable(description: "PostgreSQL is required (CI is set) but initdb was not found under /usr/lib/postgresql; install postgresql-15")
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("workhive-pg-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        // initdb refuses to run as root: the cluster then belongs to the postgres user.
        if getuid() == 0 { try Self.run("/bin/chown", ["-R", "postgres", directory]) }
        let port = try Self.freePort()
        try Self.runAsOwner(bin + "/initdb", ["-D", directory + "/data", "-U", "postgres", "-A", "trust", "--no-sync"])
        // Durability is not under test here; speed is welcome.
        let options = "-p \(port) -k \(directory) -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=800 -c shared_buffers=128MB"
        try Self.runAsOwner(bin + "/pg_ctl", ["-D", directory + "/data", "-o", options, "-l", directory + "/server.log", "-w", "start"])
        Cleanup.register(pgctl: bin + "/pg_ctl", directory: directory)
        return port
    }

    static func runAsOwner(_ program: String, _ arguments: [String]) throws {
        if getuid() == 0 {
            try run("/usr/sbin/runuser", ["-u", "postgres", "--", program] + arguments)
        } else {
            try run(program, arguments)
        }
    }

    /// Runs a program through the shell's `system`, which waits for it with waitpid. (Foundation's
    /// Process waits for a pipe to close, and the server pg_ctl starts inherits and keeps that pipe.)
    @discardableResult
    static func run(_ program: String, _ arguments: [String]) throws -> String {
        let outputPath = FileManager.default.temporaryDirectory.appendingPathComponent("workhive-run-\(UUID().uuidString).log").path
        defer { try? FileManager.default.removeItem(atPath: outputPath) }
        let command = ([program] + arguments).map(shellQuoted).joined(separator: " ") + " </dev/null >\(shellQuoted(outputPath)) 2>&1"
        closeOnExec()
        let status = system(command)
        let text = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
        guard status == 0 else {
            throw Unavailable(description: "\(program) \(arguments.joined(separator: " ")) failed (\(status)): \(text)")
        }
        return text
    }

    /// Marks every open descriptor close-on-exec, so the server pg_ctl starts does not inherit the
    /// sockets of tests running meanwhile (NIO's among them). An inherited socket stays open after
    /// the test closes it: its peer never sees the end of the connection, and waits for ever.
    static func closeOnExec() {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd") else { return }
        for fd in names.compactMap(Int32.init) where fd > 2 {
            let flags = fcntl(fd, F_GETFD)
            if flags >= 0 { _ = fcntl(fd, F_SETFD, flags | FD_CLOEXEC) }
        }
    }

    static func shellQuoted(_ word: String) -> String {
        "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

    /// A port the kernel just handed out on loopback, so it is free right now.
    public static func freePort() throws -> Int {
        do { return try LoopbackPort.free() } catch { throw Unavailable(description: "\(error)") }
    }
}

/// Stops the cluster when the test process exits.
private enum Cleanup {
    nonisolated(unsafe) static var pgctl = ""
    nonisolated(unsafe) static var directory = ""

    static func register(pgctl: String, directory: String) {
        Self.pgctl = pgctl
        Self.directory = directory
        atexit {
            _ = try? PostgresCluster.runAsOwner(Cleanup.pgctl, ["-D", Cleanup.directory + "/data", "-m", "immediate", "stop"])
            try? FileManager.default.removeItem(atPath: Cleanup.directory)
        }
    }
}
