import AsyncHTTPClient
import Foundation
import Synchronization
import Testing
import WorkhiveAgent
import WorkhiveEngine
import WorkhiveTestSupport

/// Whole `workhive serve` processes against one database: two servers sharing PostgreSQL, and a
/// server killed with SIGKILL in the middle of its load and started again.
@Suite(.serialized) struct ClusterTests {
    static let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(
        connectionPool: .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: 64)))

    static var postgresAvailable: Bool { TestEngine.available.contains(.postgres) }

    @Test(.enabled(if: postgresAvailable), .timeLimit(.minutes(5)))
    func twoServersOnOnePostgresClaimEachTaskOncePerAttemptAndPayOnce() async throws {
        let url = try await PostgresCluster.shared.freshDatabaseURL()
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("workhive-cluster-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        let a = try ServerProcess(dataDirectory: root + "/a", databaseURL: url)
        let b = try ServerProcess(dataDirectory: root + "/b", databaseURL: url)
        // Both start at once: migrations and system accounts must be created exactly once.
        async let startA: Void = a.start()
        async let startB: Void = b.start()
        _ = try await (startA, startB)
        defer { a.stop(); b.stop() }
        let servers = [a.url, b.url]

        let tasks = 120
        let requesterKey = try await WorkhiveClient(baseURL: a.url, httpClient: Self.http).createOwner(name: "requester").apiKey
        let requester = WorkhiveClient(baseURL: a.url, apiKey: requesterKey, httpClient: Self.http)
        let requesterOnB = WorkhiveClient(baseURL: b.url, apiKey: requesterKey, httpClient: Self.http)
        _ = try await requester.deposit(amountMicroUSDT: Int64(tasks) * 2_000_000)
        let workOwner = try await Self.owner("workers", on: b.url)
        var agents: [WorkhiveClient] = []
        for i in 0..<8 {
            agents.append(try await Self.worker(workOwner, "agent-\(i)", on: servers[i % 2]))
        }
        var verifiers: [WorkhiveClient] = []
        for i in 0..<6 {
            let owner = try await Self.owner("verifiers-\(i % 3)-\(i)", on: servers[i % 2])
            verifiers.append(try await Self.worker(owner, "verifier-\(i)", on: servers[(i + 1) % 2]))
        }

        // A task posted through A wakes an agent long-polling on B.
        let sleeper = agents[1]
        let waiting = Task { try await sleeper.claim(taskType: "cluster.wake", waitSeconds: 20) }
        try await Task.sleep(for: .milliseconds(300))
        let posted = ContinuousClock.now
        let wake = try await requester.postTask(NewTask(
            taskType: "cluster.wake", title: "Wake", instructions: "Answer.", payload: ["n": 0], rewardMicroUSDT: 10_000,
            verification: .init(verifiers: 0, quorum: 0)))
        let woken = try #require(try await waiting.value)
        #expect(woken.task.id == wake.id)
        #expect(ContinuousClock.now - posted < .seconds(5))
        _ = try await sleeper.submit(claimID: woken.id, result: ["ok": true])

        // Load: tasks posted through both servers, 2-of-3 verification, agents and verifiers on both.
        for i in 0..<tasks {
            let poster = i % 2 == 0 ? requester : requesterOnB
            _ = try await poster.postTask(NewTask(
                taskType: "cluster.job", title: "Job \(i)", instructions: "Answer.", payload: ["n": .int(Int64(i))],
                rewardMicroUSDT: 500_000, verification: .init(verifiers: 3, quorum: 2, verifierRewardMicroUSDT: 10_000)))
        }
        let stop = Flag()
        try await ServerProcess.reportingTrouble(of: [a, b]) { try await withThrowingTaskGroup(of: Void.self) { group in
            for agent in agents {
                group.addTask {
                    while !stop.isSet {
                        guard let claim = try await agent.claim(taskType: "cluster.job", waitSeconds: 1) else { continue }
                        _ = try await agent.submit(claimID: claim.id, result: ["answer": claim.task.payload["n"] ?? .null])
                    }
                }
            }
            for verifier in verifiers {
                group.addTask {
                    while !stop.isSet {
                        guard let slot = try await verifier.claim(taskType: "verify", waitSeconds: 1) else { continue }
                        do {
                            _ = try await verifier.vote(claimID: slot.id, verdict: .approve)
                        } catch let error as WorkhiveAPIError where error.isClaimGone {
                            continue  // the submission was decided by two other votes first
                        }
                    }
                }
            }
            group.addTask {
                let deadline = ContinuousClock.now + .seconds(180)
                while ContinuousClock.now < deadline {
                    let done = try await requester.tasks(state: .approved, taskType: "cluster.job", limit: 500).count
                    if done == tasks { break }
                    try await Task.sleep(for: .milliseconds(200))
                }
                stop.set()
            }
            try await group.waitForAll()
        } }

        let db = try PostgresDatabase(url: url, maxConnections: 2, logger: PostgresCluster.poolLogger)
        defer { Task { await db.close() } }
        let facts = try await db.read { tx in
            try await tx.queryOne("""
                SELECT
                  (SELECT COUNT(*) FROM tasks WHERE task_type = 'cluster.job' AND state = 'approved'),
                  (SELECT COUNT(*) FROM tasks t WHERE t.task_type <> 'verify'
                     AND t.attempts <> (SELECT COUNT(*) FROM submissions s WHERE s.task_id = t.id)),
                  (SELECT COUNT(*) FROM transfers WHERE reason = 'reward'),
                  (SELECT COUNT(*) FROM (SELECT submission_id FROM tasks WHERE verdict IS NOT NULL
                                         GROUP BY submission_id, worker_id HAVING COUNT(*) > 1) twice),
                  (SELECT COUNT(*) FROM accounts WHERE kind = 'platform_fee'),
                  (SELECT COUNT(*) FROM schema_migrations)
                """, [])!
        }
        #expect(facts.int(0) == Int64(tasks), "every task approved")
        #expect(facts.int(1) == 0, "every attempt was claimed once and submitted once")
        #expect(facts.int(2) == Int64(tasks + 1), "every approved task paid exactly once")
        #expect(facts.int(3) == 0, "no verifier voted twice on one submission")
        #expect(facts.int(4) == 8, "the servers created the system accounts once")
        let audit = try await LedgerAudit.run(db)
        #expect(audit.problems == [])
    }

    @Test(arguments: TestEngine.available)
    func aServerKilledMidLoadLosesNothingAndPaysNothingTwice(engine: TestEngine) async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("workhive-crash-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        let url: String? = engine == .postgres ? try await PostgresCluster.shared.freshDatabaseURL() : nil
        let server = try ServerProcess(dataDirectory: root, databaseURL: url)
        try await server.start()
        defer { server.kill() }

        let tasks = 1500
        let requester = try await Self.owner("requester", on: server.url)
        _ = try await requester.deposit(amountMicroUSDT: Int64(tasks) * 200_000)
        let workOwner = try await Self.owner("workers", on: server.url)
        var agents: [WorkhiveClient] = []
        for i in 0..<16 { agents.append(try await Self.worker(workOwner, "agent-\(i)", on: server.url)) }
        for i in 0..<tasks {
            _ = try await requester.postTask(NewTask(
                taskType: "crash.job", title: "Job \(i)", instructions: "Answer.", payload: ["n": .int(Int64(i))],
                rewardMicroUSDT: 100_000, leaseSeconds: 5, verification: .init(verifiers: 0, quorum: 0)))
        }

        // Agents claim and submit, riding out the crash: errors while the server is down are retried.
        let submitted = Counter()
        let stop = Flag()
        let load = Task {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for agent in agents {
                    group.addTask {
                        while !stop.isSet {
                            do {
                                guard let claim = try await agent.claim(taskType: "crash.job", waitSeconds: 1) else { continue }
                                _ = try await agent.submit(claimID: claim.id, result: ["n": claim.task.payload["n"] ?? .null])
                                submitted.increment()
                            } catch let error as WorkhiveAPIError where error.isClaimGone {
                                continue
                            } catch is WorkhiveAPIError {
                                throw CancellationError()
                            } catch {
                                try await Task.sleep(for: .milliseconds(100))  // connection refused while the server is down
                            }
                        }
                    }
                }
                try await group.waitForAll()
            }
        }
        while submitted.value < tasks / 3 { try await Task.sleep(for: .milliseconds(20)) }
        server.kill()
        let db: any SQLDatabase = if let url { try PostgresDatabase(url: url, maxConnections: 2, logger: PostgresCluster.poolLogger) } else { try SQLiteDatabase(path: root + "/workhive.sqlite") }
        let leasedAtCrash = try await db.read { tx in
            try await tx.query("SELECT id, claim_id, attempts FROM tasks WHERE task_type = 'crash.job' AND state = 'claimed'", [])
        }
        #expect(submitted.value < tasks, "the server died in the middle of the load")
        try await server.start()

        let deadline = ContinuousClock.now + .seconds(120)
        var approved: Int64 = 0
        while ContinuousClock.now < deadline {
            approved = try await db.read { try await $0.queryOne("SELECT COUNT(*) FROM tasks WHERE task_type = 'crash.job' AND state = 'approved'", [])!.int(0) }
            if approved == Int64(tasks) { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        stop.set()
        try await load.value

        #expect(approved == Int64(tasks), "no task lost or stuck")
        let facts = try await db.read { tx in
            try await tx.queryOne("""
                SELECT (SELECT COUNT(*) FROM tasks WHERE task_type = 'crash.job' AND state <> 'approved'),
                       (SELECT COUNT(*) FROM transfers WHERE reason = 'reward'),
                       (SELECT COUNT(*) FROM (SELECT task_id FROM transfers WHERE reason = 'reward' GROUP BY task_id HAVING COUNT(*) > 1) twice)
                """, [])!
        }
        #expect(facts.int(0) == 0)
        #expect(facts.int(1) == Int64(tasks), "every task paid")
        #expect(facts.int(2) == 0, "nothing paid twice")
        // Every lease open at the crash was either completed by its holder or returned and claimed again.
        for lease in leasedAtCrash {
            let outcome = try await db.read { tx in
                try await tx.queryOne("""
                    SELECT (SELECT COUNT(*) FROM submissions WHERE claim_id = ?), attempts FROM tasks WHERE id = ?
                    """, [lease.values[1], lease.values[0]])!
            }
            #expect(outcome.int(0) == 1 || outcome.int(1) > lease.int(2), "lease \(lease.int(1)) neither completed nor returned")
        }
        #expect(!leasedAtCrash.isEmpty, "some leases were open when the server died")
        let audit = try await LedgerAudit.run(db)
        #expect(audit.problems == [])
        await db.close()
    }

    static func owner(_ name: String, on url: String) async throws -> WorkhiveClient {
        let anonymous = WorkhiveClient(baseURL: url, httpClient: http)
        return anonymous.withAPIKey(try await anonymous.createOwner(name: name).apiKey)
    }

    static func worker(_ owner: WorkhiveClient, _ name: String, on url: String) async throws -> WorkhiveClient {
        WorkhiveClient(baseURL: url, apiKey: try await owner.createWorker(name: name).apiKey, httpClient: http)
    }
}

final class Flag: Sendable {
    private let atomic = Atomic<Bool>(false)
    var isSet: Bool { atomic.load(ordering: .relaxed) }
    func set() { atomic.store(true, ordering: .relaxed) }
}

final class Counter: Sendable {
    private let atomic = Atomic<Int>(0)
    var value: Int { atomic.load(ordering: .relaxed) }
    func increment() { atomic.add(1, ordering: .relaxed) }
}
