import AsyncHTTPClient
import Foundation
import Testing
import WorkhiveTestSupport

/// A real `workhive serve` process, for tests about what happens between processes: several
/// servers on one database, or a server killed in the middle of its work.
final class ServerProcess: @unchecked Sendable {
    let port: Int
    let dataDirectory: String
    let databaseURL: String?
    /// More `serve` flags, and environment variables beside the test process's own.
    let extraArguments: [String]
    let environment: [String: String]
    private var process: Process?
    var url: String { "http://127.0.0.1:\(port)" }
    var logPath: String { dataDirectory + "/server-\(port).log" }

    init(port: Int? = nil, dataDirectory: String, databaseURL: String?, extraArguments: [String] = [], environment: [String: String] = [:]) throws {
        self.port = try port ?? PostgresCluster.freePort()
        self.dataDirectory = dataDirectory
        self.databaseURL = databaseURL
        self.extraArguments = extraArguments
        self.environment = environment
    }

    /// The `workhive` executable SwiftPM built beside this test bundle.
    static var executable: String {
        get throws {
            let beside = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
            let candidates = [
                beside.appendingPathComponent("workhive").path,
                beside.deletingLastPathComponent().appendingPathComponent("workhive").path,
                URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                    .deletingLastPathComponent().appendingPathComponent(".build/debug/workhive").path,
            ]
            guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
                throw PostgresCluster.Unavailable(description: "no workhive executable next to the tests (looked at \(candidates)); run swift build first")
            }
            return found
        }
    }

    func start() async throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try Self.executable)
        var arguments = ["serve", "--host", "127.0.0.1", "--port", String(port), "--data-dir", dataDirectory, "--rate-limit", "0"]
        if let databaseURL { arguments += ["--database-url", databaseURL] }
        process.arguments = arguments + extraArguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        try FileManager.default.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true)
        if !FileManager.default.fileExists(atPath: logPath) { FileManager.default.createFile(atPath: logPath, contents: nil) }
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        log.seekToEndOfFile()
        process.standardOutput = log
        process.standardError = log
        try process.runChild()
        self.process = process
        try await waitUntilHealthy()
    }

    private func waitUntilHealthy() async throws {
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            if process?.isRunning == false { break }
            if let response = try? await HTTPClient.shared.execute(HTTPClientRequest(url: url + "/healthz"), timeout: .seconds(2)),
               response.status == .ok {
                return
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw PostgresCluster.Unavailable(description: "workhive serve on port \(port) did not become healthy:\n\(log.suffix(2000))")
    }

    /// What the server printed so far (all its starts).
    var log: String { (try? String(contentsOfFile: dataDirectory + "/server-\(port).log", encoding: .utf8)) ?? "" }

    /// The lines of its log that report an error or a warning, for a failing test to show (the
    /// log itself goes with the test's temporary directory).
    var troubleLines: String {
        log.split(separator: "\n").filter { $0.contains("error") || $0.contains("warning") || $0.contains("critical") }
            .suffix(40).map { "[\(port)] \($0)" }.joined(separator: "\n")
    }

    /// Runs `body`; when it throws, records the servers' error lines as an issue first, so the
    /// cause of a 500 is in the test's output.
    static func reportingTrouble<T>(of servers: [ServerProcess], _ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch {
            Issue.record(Comment(rawValue: "the servers' errors and warnings:\n" + servers.map(\.troubleLines).joined(separator: "\n")))
            throw error
        }
    }

    /// Kills the server at once, as a crash would: no graceful shutdown.
    func kill() {
        guard let process, process.isRunning else { return }
        Glibc.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// Sends SIGTERM (a graceful shutdown) and returns the exit status once the process has ended.
    func terminate() async -> Int32 {
        guard let process, process.isRunning else { return process?.terminationStatus ?? -1 }
        Glibc.kill(process.processIdentifier, SIGTERM)
        while process.isRunning { try? await Task.sleep(for: .milliseconds(20)) }
        return process.terminationStatus
    }

    var isRunning: Bool { process?.isRunning ?? false }

    /// Runs the `workhive` executable to its end with `arguments`; returns its exit status and output.
    static func run(_ arguments: [String], environment: [String: String] = [:]) async throws -> (status: Int32, output: String) {
        try await runToEnd(try executable, arguments, environment: environment)
    }

    /// Ends the server at once (SIGKILL): a graceful stop may take its grace period, and waiting that
    /// long on the cooperative pool stalls the other tests. Tests of shutdown use `terminate()`.
    func stop() { kill() }

    deinit { kill() }
}
