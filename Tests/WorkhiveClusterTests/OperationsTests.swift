import AsyncHTTPClient
import Crypto
import Foundation
import HummingbirdWSClient
import Logging
import Testing
import WorkhiveAgent
import WorkhiveTestSupport

/// Running `workhive serve` for real: configuration file + environment + flags, `config check`,
/// SIGTERM with work in flight, JSON logs without secrets, and backup/restore while serving.
@Suite(.serialized, .timeLimit(.minutes(5))) struct OperationsTests {
    static let http = ClusterTests.http

    static func root() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("workhive-ops-\(UUID().uuidString)").path
    }

    static func write(_ text: String, to path: String) throws {
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    }

    @Test func configCheckNamesTheBadKey() async throws {
        let dir = Self.root()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Self.write("server:\n  port: 9090\n  rate_limit: 50\nlimits:\n  long_polls_per_key: 4\nlog:\n  format: json\n", to: dir + "/good.yaml")
        try Self.write("server:\n  prot: 9090\n", to: dir + "/typo.yaml")
        try Self.write("server:\n  port: lots\n", to: dir + "/type.yaml")
        try Self.write("log:\n  format: xml\n", to: dir + "/value.yaml")
        try Self.write("server: [1, 2\n", to: dir + "/broken.yaml")

        let good = try await ServerProcess.run(["config", "check", dir + "/good.yaml"])
        #expect(good.status == 0 && good.output.contains("ok"), "\(good.output)")
        let typo = try await ServerProcess.run(["config", "check", dir + "/typo.yaml"])
        #expect(typo.status != 0 && typo.output.contains("unknown key 'server.prot'") && typo.output.contains("did you mean 'server.port'"), "\(typo.output)")
        let type = try await ServerProcess.run(["config", "check", dir + "/type.yaml"])
        #expect(type.status != 0 && type.output.contains("server.port"), "\(type.output)")
        let value = try await ServerProcess.run(["config", "check", dir + "/value.yaml"])
        #expect(value.status != 0 && value.output.contains("log.format") && value.output.contains("xml"), "\(value.output)")
        let broken = try await ServerProcess.run(["config", "check", dir + "/broken.yaml"])
        #expect(broken.status != 0 && broken.output.contains("not valid YAML"), "\(broken.output)")
        // serve refuses a bad file too, naming the key.
        let serve = try await ServerProcess.run(["serve", "--config", dir + "/value.yaml", "--data-dir", dir + "/data"])
        #expect(serve.status != 0 && serve.output.contains("log.format"), "\(serve.output)")
    }

    @Test func flagsOverEnvironmentOverFile() async throws {
        let dir = Self.root()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (filePort, envPort, flagPort) = (try PostgresCluster.freePort(), try PostgresCluster.freePort(), try PostgresCluster.freePort())
        try Self.write("server:\n  port: \(filePort)\n  closed_signup: true\n", to: dir + "/workhive.yaml")
        func healthy(_ port: Int) async -> Bool {
            (try? await Self.http.execute(HTTPClientRequest(url: "http://127.0.0.1:\(port)/healthz"), timeout: .seconds(2)).status) == .ok
        }
        // ServerProcess passes --port itself, so the file and environment cases start the binary by hand.
        for (environment, port) in [([String: String](), filePort), (["WORKHIVE_SERVER_PORT": String(envPort)], envPort)] {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: try ServerProcess.executable)
            process.arguments = ["serve", "--config", dir + "/workhive.yaml", "--data-dir", dir + "/data"]
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
            process.standardOutput = FileHandle.nullDevice
            try process.runChild()
            defer { process.terminate(); process.waitUntilExit() }
            var up = false
            for _ in 0..<300 where !up { up = await healthy(port); if !up { try await Task.sleep(for: .milliseconds(100)) } }
            #expect(up, "not listening on \(port) with environment \(environment)")
            // closed_signup from the file applies.
            var signup = HTTPClientRequest(url: "http://127.0.0.1:\(port)/v1/owners")
            signup.method = .POST
            signup.body = .bytes(.init(string: #"{"name": "x"}"#))
            #expect(try await Self.http.execute(signup, timeout: .seconds(5)).status == .forbidden)
        }
        let flagged = try ServerProcess(port: flagPort, dataDirectory: dir + "/data", databaseURL: nil,
                                        extraArguments: ["--config", dir + "/workhive.yaml", "--no-closed-signup"],
                                        environment: ["WORKHIVE_SERVER_PORT": String(envPort)])
        try await flagged.start()
        #expect(await healthy(flagPort))
        _ = try await WorkhiveClient(baseURL: flagged.url, httpClient: Self.http).createOwner(name: "flag wins")
        #expect(await flagged.terminate() == 0)
    }

    /// The hot-wallet private keys of the embedded devnet (PayoutSigner: SHA-256 of a seed phrase).
    static func hotWalletKeys() -> [String] {
        ["bep20", "arbitrum", "trc20", "ton"].flatMap { network in
            (0..<2).map { SHA256.hash(data: Array("workhive devnet hot wallet \(network) \($0)".utf8)).map { String(format: "%02x", $0) }.joined() }
        }
    }

    @Test func sigtermFinishesInFlightClosesWebSocketsLeavesLeasesAndLogsNoSecrets() async throws {
        let dir = Self.root()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let server = try ServerProcess(dataDirectory: dir, databaseURL: nil,
                                       extraArguments: ["--log-format", "json", "--log-level", "trace", "--shutdown-grace-seconds", "10"])
        try await server.start()
        let admin = WorkhiveClient(baseURL: server.url, apiKey: try String(contentsOfFile: dir + "/admin-key", encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines), httpClient: Self.http)
        _ = try await admin.deposit(amountMicroUSDT: 100_000_000)
        let owner = try await ClusterTests.owner("agents", on: server.url)
        let workerCredentials = try await owner.createWorker(name: "w")
        let worker = WorkhiveClient(baseURL: server.url, apiKey: workerCredentials.apiKey, httpClient: Self.http)
        let waiter = try await ClusterTests.worker(owner, "waiter", on: server.url)
        // A lease that will be open when the server stops.
        _ = try await admin.postTask(NewTask(taskType: "ops.lease", title: "Lease", instructions: "", payload: [:], rewardMicroUSDT: 10_000,
                                             leaseSeconds: 5, verification: .init(verifiers: 0, quorum: 0)))
        let leased = try #require(try await worker.claim(taskType: "ops.lease"))
        // Secrets the log must never show: every key, a bad key's secret, the ?api_key= of a WebSocket.
        let badSecret = "wh_1_" + String(repeating: "f", count: 32)
        _ = try? await WorkhiveClient(baseURL: server.url, apiKey: badSecret, httpClient: Self.http).me()

        // In flight at SIGTERM: a long-poll, and an event WebSocket authenticated in the query.
        let longPoll = Task { try await waiter.claim(taskType: "ops.nothing", waitSeconds: 3) }
        var logger = Logger(label: "ops-test")
        logger.logLevel = .critical
        let socket = Task {
            try await WebSocketClient.connect(url: "ws://127.0.0.1:\(server.port)/v1/events?api_key=\(workerCredentials.apiKey)", logger: logger) { inbound, _, _ in
                for try await _ in inbound.messages(maxSize: 1 << 20) {}
            }
        }
        try await Task.sleep(for: .milliseconds(800))
        let stopping = ContinuousClock.now
        let status = await server.terminate()
        #expect(status == 0)
        #expect(ContinuousClock.now - stopping < .seconds(10))
        // The long-poll was answered (no work came: 204), not cut off; the WebSocket got a close frame.
        #expect(try await longPoll.value == nil)
        let close = try await socket.value
        #expect(close?.closeCode == .normalClosure || close?.closeCode == .goingAway, "close frame: \(String(describing: close))")

        let log = try String(contentsOfFile: server.logPath, encoding: .utf8)
        let lines = log.split(separator: "\n").filter { $0.hasPrefix("{") }
        #expect(lines.count > 10)
        let requestLines = lines.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }.filter { $0["message"] as? String == "request" }
        #expect(requestLines.count >= 8 && requestLines.allSatisfy { ($0["request_id"] as? String)?.isEmpty == false }, "\(requestLines.prefix(3))")
        let adminKey = try String(contentsOfFile: dir + "/admin-key", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let secrets = [workerCredentials.apiKey, badSecret, adminKey, owner.apiKey ?? "", waiter.apiKey ?? ""].filter { !$0.isEmpty }
            .map { String($0.split(separator: "_").last!) } + Self.hotWalletKeys()
        for line in lines {
            for secret in secrets where line.contains(secret) { Issue.record("a secret in the log: \(line)") }
        }

        // Restarted, the server goes on: the lease left open is returned by the rescuer.
        let again = try ServerProcess(port: server.port, dataDirectory: dir, databaseURL: nil)
        try await again.start()
        defer { again.stop() }
        let next = try await worker.claim(taskType: "ops.lease", waitSeconds: 15)
        #expect(next?.task.id == leased.task.id && next?.id != leased.id)
    }

    @Test func backupWhileServingThenRestore() async throws {
        let dir = Self.root()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let server = try ServerProcess(dataDirectory: dir + "/live", databaseURL: nil)
        try await server.start()
        defer { server.stop() }
        let owner = try await ClusterTests.owner("o", on: server.url)
        _ = try await owner.uploadBlob(Array("proof".utf8), contentType: "text/plain")
        let load = Task {
            for _ in 0..<300 { _ = try await owner.deposit(amountMicroUSDT: 1) }
        }
        try await Task.sleep(for: .milliseconds(100))
        let backup = try await ServerProcess.run(["backup", "--data-dir", dir + "/live", dir + "/backup"])
        #expect(backup.status == 0 && backup.output.contains("ledger check ok") && backup.output.contains("1 blobs"), "\(backup.output)")
        try await load.value
        let again = try await ServerProcess.run(["backup", "--data-dir", dir + "/live", dir + "/backup"])
        #expect(again.status != 0 && again.output.contains("already exists"), "\(again.output)")
        let restore = try await ServerProcess.run(["restore", "--data-dir", dir + "/restored", dir + "/backup"])
        #expect(restore.status == 0 && restore.output.contains("ledger check ok"), "\(restore.output)")
        let check = try await ServerProcess.run(["ledger", "check", "--data-dir", dir + "/restored"])
        #expect(check.status == 0, "\(check.output)")
        let pg = try await ServerProcess.run(["backup", "--database-url", "postgres://u@127.0.0.1:1/x", dir + "/pg"])
        #expect(pg.status != 0 && pg.output.contains("pg_dump"), "\(pg.output)")
    }
}
