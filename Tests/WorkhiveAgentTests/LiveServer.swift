import AsyncHTTPClient
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import WorkhiveAgent
import WorkhiveEngine
import WorkhiveServer

/// A Workhive server running in-process on a free port, and a way to make SDK clients for it.
struct LiveServer: Sendable {
    let baseURL: String
    let http: HTTPClient
    let marketplace: Marketplace

    /// A client with `key`, over the test's own HTTPClient (or another transport).
    func client(_ key: String? = nil, transport: (any WorkhiveTransport)? = nil) -> WorkhiveClient {
        if let transport { return WorkhiveClient(baseURL: baseURL, apiKey: key, transport: transport) }
        return WorkhiveClient(baseURL: baseURL, apiKey: key, httpClient: http)
    }

    /// A new owner with `deposit` micro-USDT of funds, retrying through rate limits.
    func owner(_ name: String, deposit: Int64 = 0) async throws -> WorkhiveClient {
        let credentials = try await patiently { try await client().createOwner(name: name) }
        let owner = client(credentials.apiKey)
        if deposit > 0 { _ = try await patiently { try await owner.deposit(amountMicroUSDT: deposit) } }
        return owner
    }

    /// A new agent worker under a new owner of its own, as a client with the worker's key.
    func worker(_ name: String, capabilities: [String] = []) async throws -> WorkhiveClient {
        let owner = try await owner("\(name)-owner")
        let credentials = try await patiently { try await owner.createWorker(name: name, capabilities: capabilities) }
        return client(credentials.apiKey)
    }
}

/// Retries through 429s and transient errors, so test setup works under tight rate limits.
func patiently<T>(_ operation: () async throws -> T) async throws -> T {
    try await RetryPolicy(initialDelay: .milliseconds(50), maxDelay: .seconds(1), maxAttempts: 30).run(operation)
}

/// Runs `body` against a live server with a fresh database, then shuts everything down.
func withLiveServer<T: Sendable>(
    configure: (inout ServerConfiguration) -> Void = { _ in },
    _ body: @escaping @Sendable (LiveServer) async throws -> T
) async throws -> T {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("workhive-agent-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: dir) }
    var logger = Logger(label: "workhive-test")
    logger.logLevel = .critical
    let db = try SQLiteDatabase(path: dir + "/db.sqlite")
    let marketplace = try await Marketplace.open(
        database: db, configuration: MarketplaceConfiguration(blobDirectory: dir + "/blobs"), logger: logger)
    var configuration = ServerConfiguration()
    configuration.port = 0
    configuration.rescueInterval = .milliseconds(250)
    configure(&configuration)
    let app = buildApplication(configuration, marketplace: marketplace, logger: logger)

    do {
        let value = try await app.test(.live) { client in
            // The test's own HTTPClient, shut down before the server so no keep-alive connection holds
            // up the server's graceful shutdown.
            var httpConfiguration = HTTPClient.Configuration()
            httpConfiguration.connectionPool = .init(idleTimeout: .seconds(30), concurrentHTTP1ConnectionsPerHostSoftLimit: 32)
            let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: httpConfiguration)
            do {
                let value = try await body(LiveServer(baseURL: "http://localhost:\(client.port!)", http: http, marketplace: marketplace))
                try await http.shutdown()
                return value
            } catch {
                try? await http.shutdown()
                throw error
            }
        }
        await db.close()
        return value
    } catch {
        await db.close()
        throw error
    }
}

/// Polls `condition` until it holds, or fails after `timeout`.
func eventually(_ what: String, timeout: Duration = .seconds(30), every interval: Duration = .milliseconds(100),
                _ condition: () async throws -> Bool) async throws {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return }
        try await Task.sleep(for: interval)
    }
    throw TimedOut(what: what)
}

/// The first value `body` produces, or `TimedOut` after `timeout`.
func withTimeout<T: Sendable>(_ what: String, _ timeout: Duration, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: timeout)
            return nil
        }
        defer { group.cancelAll() }
        guard let first = try await group.next(), let value = first else { throw TimedOut(what: what) }
        return value
    }
}

struct TimedOut: Error, CustomStringConvertible {
    let what: String
    var description: String { "timed out waiting for \(what)" }
}

/// Runs the runners until `done` holds, then stops them gracefully and waits for them to return.
func run(_ runners: [AgentRunner], until what: String, timeout: Duration = .seconds(45), _ done: @escaping @Sendable () async throws -> Bool) async throws {
    try await withThrowingTaskGroup(of: Void.self) { group in
        for runner in runners { group.addTask { try await runner.run() } }
        try await eventually(what, timeout: timeout, done)
        runners.forEach { $0.stop() }
        try await group.waitForAll()
    }
}

/// A transport that loses the answers of the first `count` requests whose path contains
/// `pathContains`: the server acts on them, but the client sees a reset connection.
final class LosingTransport: WorkhiveTransport, @unchecked Sendable {
    struct ConnectionReset: Error {}
    let inner: any WorkhiveTransport
    let pathContains: String
    private let lock = NSLock()
    private var toLose: Int
    private var seen = 0

    init(inner: any WorkhiveTransport, losingAnswersTo pathContains: String, count: Int) {
        self.inner = inner
        self.pathContains = pathContains
        self.toLose = count
    }

    /// Requests to the watched path so far.
    var matched: Int { lock.withLock { seen } }

    func send(_ request: WorkhiveHTTPRequest, timeout: Duration) async throws -> WorkhiveHTTPResponse {
        let response = try await inner.send(request, timeout: timeout)
        guard request.path.contains(pathContains) else { return response }
        let lose = lock.withLock { () -> Bool in
            seen += 1
            guard toLose > 0 else { return false }
            toLose -= 1
            return true
        }
        if lose { throw ConnectionReset() }
        return response
    }
}
