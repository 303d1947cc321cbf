import Foundation
import Testing
import WorkhiveAgent
import WorkhiveTestSupport

/// Outbound A2A: a master agent holding a Workhive claim delegates it to an external agent built
/// with the official a2a-sdk 1.3.0 server (Tests/interop/a2a_shout_agent.py), named by its card URL.
@Suite(.serialized) struct A2AOutboundTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let python = root.appendingPathComponent(".venv/bin/python3").path
    /// The peer runs where .venv has a2a-sdk; under CI it must (the test fails instead of skipping).
    static var peerAvailable: Bool { FileManager.default.isExecutableFile(atPath: python) || PostgresCluster.required }

    @Test(.enabled(if: peerAvailable), .timeLimit(.minutes(3)))
    func aMasterDelegatesAClaimToAnExternalA2AAgentAndSubmitsItsAnswer() async throws {
        let data = FileManager.default.temporaryDirectory.appendingPathComponent("workhive-a2a-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: data) }
        let server = try ServerProcess(dataDirectory: data, databaseURL: nil)
        try await server.start()
        defer { server.stop() }
        let port = try PostgresCluster.freePort()
        let peer = Process()
        peer.executableURL = URL(fileURLWithPath: Self.python)
        peer.arguments = [Self.root.appendingPathComponent("Tests/interop/a2a_shout_agent.py").path, String(port)]
        try peer.runChild()
        // SIGKILL: uvicorn's graceful stop would wait for the HTTP client's idle keep-alive connections.
        defer { kill(peer.processIdentifier, SIGKILL); peer.waitUntilExit() }

        let requester = try await ClusterTests.owner("requester", on: server.url)
        _ = try await requester.deposit(amountMicroUSDT: 10_000_000)
        let master = try await ClusterTests.worker(try await ClusterTests.owner("masters", on: server.url), "master", on: server.url)
        let task = try await requester.postTask(NewTask(
            taskType: "text.shout", title: "Shout it", payload: ["text": "hello hive"], rewardMicroUSDT: 1_000_000,
            verification: .init(verifiers: 0, quorum: 0)))
        let claim = try #require(try await master.claim(taskType: "text.shout", waitSeconds: 5))

        // The peer takes a moment to listen: resolving its card is retried until it answers.
        let cardURL = "http://127.0.0.1:\(port)/.well-known/agent-card.json"
        let agent = try await Self.eventually { try await A2AAgent.resolve(cardURL) }
        #expect(agent.card["name"]?.stringValue == "Shouter")
        #expect(agent.endpoint == "http://127.0.0.1:\(port)/rpc")

        let submission = try await Fleet(master: master).delegateToA2A(claim, cardURL: cardURL)
        #expect(submission.result == ["shout": "HELLO HIVE!"])
        #expect(try await requester.task(id: task.id).state == .approved)

        // A JSON-RPC error from the peer surfaces with its code.
        await #expect(throws: A2AError.self) { _ = try await agent.task(id: "no-such-task") }
    }

    static func eventually<T>(_ attempt: () async throws -> T) async throws -> T {
        let deadline = ContinuousClock.now + .seconds(30)
        while true {
            do { return try await attempt() } catch where ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(200)) }
        }
    }
}
