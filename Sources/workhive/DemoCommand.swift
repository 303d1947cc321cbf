import ArgumentParser
import AsyncHTTPClient
import Foundation
import Logging
import WorkhiveAgent
import WorkhiveCore
import WorkhiveEngine

struct Demo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a whole marketplace in this process: a requester posts tasks, agents work them, verifier agents vote, everyone is paid.",
        subcommands: [DemoModeration.self])

    @Option(help: "Tasks the requester posts.") var tasks = 200
    @Option(help: "Worker agents.") var agents = 8
    @Option(help: "Verifier agents (at least 3, spread over 3 owners).") var verifiers: Int?
    @Option(help: "Share of worker answers that are wrong (verifiers catch them; the task is retried).") var sloppiness = 0.05
    @Option(help: "Reward per task in micro-USDT.") var reward: Int64 = 250_000
    @Option(help: "Data directory (default: a temporary one).") var dataDir: String?
    @Option(help: "Seed for the agents' choices.") var seed: UInt64 = 7

    func validate() throws {
        guard tasks > 0, agents > 0 else { throw ValidationError("--tasks and --agents must be positive") }
        guard (0...1).contains(sloppiness) else { throw ValidationError("--sloppiness must be between 0 and 1") }
    }

    func run() async throws {
        let directory = try dataDir ?? temporaryDirectory()
        let market = try await openMarket(dataDir: directory)
        let server = try await LiveServer.start(market) { $0.rateLimitPerSecond = 0 }
        let verifierCount = max(3, verifiers ?? max(3, agents / 2))
        print("Workhive demo: \(tasks) tasks, \(agents) worker agents, \(verifierCount) verifier agents, 2-of-3 verification, server \(server.url)")
        let started = ContinuousClock.now

        // Every agent keeps a long-poll open, so the pool needs a connection per agent and some spare.
        let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(
            connectionPool: .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: agents + verifierCount + 16)))
        let anonymous = WorkhiveClient(baseURL: server.url, httpClient: http)
        let requester = anonymous.withAPIKey(try await anonymous.createOwner(name: "demo-requester").apiKey)
        // Reward, fee, 3 attempts of 3 verifiers and one appeal panel, at the default 5% verifier reward.
        let hold = reward + reward / 20 + Int64(3 * 3 + AppealPanel.verifiers) * (reward / 20)
        _ = try await requester.deposit(amountMicroUSDT: Int64(tasks) * hold)
        let agentOwner = anonymous.withAPIKey(try await anonymous.createOwner(name: "demo-agents").apiKey)
        var verifierOwners: [WorkhiveClient] = []
        for i in 0..<3 { verifierOwners.append(anonymous.withAPIKey(try await anonymous.createOwner(name: "demo-verifiers-\(i)").apiKey)) }

        // Post every task (8 at a time), each with an idempotency key.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for lane in 0..<8 {
                group.addTask {
                    for i in stride(from: lane, to: tasks, by: 8) {
                        let truth = i % 5 == 0 ? "unsafe" : "safe"
                        _ = try await requester.postTask(NewTask(
                            taskType: "moderation.image", title: "Moderate image #\(i)", instructions: "Label the image safe or unsafe.",
                            payload: ["image": .string("https://example.com/images/\(i).jpg"), "truth": .string(truth)],
                            rewardMicroUSDT: reward), idempotencyKey: "demo-\(i)")
                    }
                }
            }
            try await group.waitForAll()
        }

        let random = SeededRandom(seed: seed)
        var runners: [AgentRunner] = []
        let configuration = AgentRunner.Configuration(waitSeconds: 1)
        var quiet = Logger(label: "workhive.demo.agent")
        quiet.logLevel = .warning
        for i in 0..<agents {
            let key = try await agentOwner.createWorker(name: "labeler-\(i)", kind: .agent, capabilities: []).apiKey
            let client = anonymous.withAPIKey(key)
            runners.append(AgentRunner(client: client, taskTypes: ["moderation.image"], configuration: configuration, logger: quiet) { claim in
                let truth = claim.task.payload["truth"]?.stringValue ?? "safe"
                let wrong = random.nextUnit() < sloppiness
                let label = wrong ? (truth == "safe" ? "unsafe" : "safe") : truth
                return .submit(result: ["label": .string(label)])
            })
        }
        for i in 0..<verifierCount {
            let key = try await verifierOwners[i % 3].createWorker(name: "verifier-\(i)", kind: .agent, capabilities: []).apiKey
            let client = anonymous.withAPIKey(key)
            runners.append(AgentRunner(client: client, taskTypes: ["verify"], configuration: configuration, logger: quiet) { claim in
                guard let review = claim.review else { return .release }
                let truth = review.task.payload["truth"]?.stringValue
                let label = review.submission.result["label"]?.stringValue
                return label == truth ? .vote(.approve, reason: "label matches the image") : .vote(.reject, reason: "label does not match the image")
            })
        }
        let running = runners.map { runner in Task { try await runner.run() } }

        // Wait until every task is settled and every escrow closed, but for those a rejection keeps
        // through its appeal window (72 h).
        var stats = try await market.stats()
        while stats.unsettledTasks > 0 || stats.escrowsSettling > 0 {
            try await Task.sleep(for: .milliseconds(100))
            stats = try await market.stats()
        }
        let elapsed = ContinuousClock.now - started
        for runner in runners { runner.stop() }
        for task in running { _ = try? await task.value }
        try await http.shutdown()
        await server.stop()

        let totals = try await market.ledgerTotals()
        let audit = try await LedgerAudit.run(market.database)
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let approved = stats.tasksByState["approved"] ?? 0
        print("""
            Tasks: \(tasks) posted, \(approved) approved, \(stats.tasksByState["rejected"] ?? 0) rejected, \(stats.tasksByState["failed"] ?? 0) failed
            Submissions: \(stats.submissionsByState["approved"] ?? 0) approved, \(stats.submissionsByState["rejected"] ?? 0) rejected
            Verifier votes: \(stats.votesByVerdict["approve"] ?? 0) approve, \(stats.votesByVerdict["reject"] ?? 0) reject
            Ledger: deposits \(usdt(totals.depositsMicroUSDT)), platform fees \(usdt(totals.platformFeesMicroUSDT)), still in escrow \(usdt(totals.escrowHeldMicroUSDT))\(stats.escrowsAwaitingAppeal > 0 ? " (\(stats.escrowsAwaitingAppeal) rejected tasks kept for their appeal window)" : "")
            Ledger \(totals.balanced && audit.ok ? "balanced" : "NOT BALANCED"): debits \(totals.debitsPosted) = credits \(totals.creditsPosted) micro-USDT; \(audit.transfers) transfers checked\(audit.ok ? "" : ", problems: \(audit.problems)")
            Time: \(String(format: "%.2f", seconds)) s (\(String(format: "%.0f", Double(tasks) / seconds)) tasks/s), data in \(directory)
            """)
        await market.database.close()
        if dataDir == nil { try? FileManager.default.removeItem(atPath: directory) }
        guard audit.ok, totals.balanced else { throw ExitCode(1) }
    }
}

func usdt(_ micro: Int64) -> String { String(format: "%.6f USDT", Double(micro) / 1_000_000) }
