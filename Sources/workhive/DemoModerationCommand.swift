import ArgumentParser
import AsyncHTTPClient
import Foundation
import Logging
import Synchronization
import WorkhiveAgent
import WorkhiveEngine

/// The seed scenario: one bounty over many generated images, one master agent, a fleet of
/// sub-agents, verifier agents and simulated human spot-checkers, on an in-process server.
struct DemoModeration: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "moderation",
        abstract: "A moderation bounty worked by a master agent and its fleet, verified with human spot-checks, paid and distributed.")

    @Option(help: "Images in the bounty.") var items = 10_000
    @Option(help: "Sub-agents in the master's fleet (one sub-task each).") var subagents = 100
    @Option(help: "Share of the items the simulated human spot-checkers re-check (0 turns the human slot off).") var spotCheck = 0.1
    @Option(help: "Reward per image in micro-USDT.") var rewardPerItem: Int64 = 5_000
    @Option(help: "Seed of the generated images.") var seed: UInt64 = 7
    @Option(help: "Data directory (default: a temporary one).") var dataDir: String?

    func validate() throws {
        guard (1...1_000_000).contains(items) else { throw ValidationError("--items must be between 1 and 1000000") }
        guard (1...500).contains(subagents), subagents <= items else { throw ValidationError("--subagents must be 1-500 and at most --items") }
        guard (0...1).contains(spotCheck) else { throw ValidationError("--spot-check must be between 0 and 1") }
        guard rewardPerItem > 0 else { throw ValidationError("--reward-per-item must be positive") }
    }

    func run() async throws {
        let directory = try dataDir ?? temporaryDirectory()
        let market = try await openMarket(dataDir: directory)
        let server = try await LiveServer.start(market) { $0.rateLimitPerSecond = 0 }
        let humans = 3, verifierAgents = 3
        say("Workhive moderation demo: \(items) images, 1 master + \(subagents) sub-agents, 2-of-3 verification with "
              + "\(verifierAgents) verifier agents and \(humans) simulated human spot-checkers (\(Int(spotCheck * 100))% of items), server \(server.url)")
        let started = ContinuousClock.now
        let tally = DemoTally()
        let seed = self.seed, spotCheck = self.spotCheck
        @Sendable func classify(first: Int, count: Int) -> [String: JSON] {
            let t0 = ContinuousClock.now
            var labels: [String: JSON] = [:]
            for item in first..<(first + count) {
                labels[String(item)] = .string(ModerationHeuristic.classify(SyntheticImages.render(seed: seed, item: item)))
            }
            tally.heuristic.withLock { $0 += ContinuousClock.now - t0 }
            return labels
        }

        let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(
            connectionPool: .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: subagents + humans + verifierAgents + 16)))
        let anonymous = WorkhiveClient(baseURL: server.url, httpClient: http, requestTimeout: .seconds(120))
        var quiet = Logger(label: "workhive.demo")
        quiet.logLevel = .error

        // The requester posts one bounty. The parent's third verification slot is reserved for humans.
        let requester = anonymous.withAPIKey(try await anonymous.createOwner(name: "moderation-requester").apiKey)
        let reward = rewardPerItem * Int64(items)
        try await requester.deposit(amountMicroUSDT: reward * 3)
        let bounty = try await requester.postTask(NewTask(
            taskType: "moderation.image", title: "Moderate \(items) images",
            instructions: "Label every image safe, nudity or violence. Result: {\"labels\": {\"<item>\": \"<label>\"}}.",
            payload: ["dataset": "workhive-synthetic-16px", "seed": .int(Int64(seed)), "first_item": 0, "items": .int(Int64(items))],
            rewardMicroUSDT: reward, leaseSeconds: 120, maxAttempts: 1,
            verification: .init(verifiers: 3, quorum: 2, spotCheckRate: spotCheck > 0 ? 1 : 0)), idempotencyKey: "moderation-bounty")

        // The master and its fleet.
        let fleetOwner = anonymous.withAPIKey(try await anonymous.createOwner(name: "moderation-fleet").apiKey)
        let masterKey = try await fleetOwner.createWorker(name: "master", kind: .agent, capabilities: ["vision"]).apiKey
        let master = anonymous.withAPIKey(masterKey)
        let fleet = Fleet(master: master)
        try await fleet.spawn(subagents, namePrefix: "moderator", capabilities: ["vision"])
        fleet.start(taskTypes: ["moderation.shard"], configuration: .init(waitSeconds: 2), logger: quiet) { claim in
            let first = Int(claim.task.payload["first_item"]?.intValue ?? 0), count = Int(claim.task.payload["count"]?.intValue ?? 0)
            return .submit(result: ["labels": .object(classify(first: first, count: count))])
        }

        // Verifiers: agents re-run the heuristic on every item; simulated humans look at a sample and
        // know what the picture shows.
        var verifiers: [AgentRunner] = []
        for i in 0..<(verifierAgents + humans) {
            let human = i >= verifierAgents
            let owner = anonymous.withAPIKey(try await anonymous.createOwner(name: human ? "human-reviewer-\(i)" : "verifier-co-op-\(i)").apiKey)
            let key = try await owner.createWorker(name: human ? "simulated-human-\(i)" : "verifier-\(i)", kind: human ? .human : .agent,
                                                   capabilities: ["vision"]).apiKey
            verifiers.append(AgentRunner(client: anonymous.withAPIKey(key), taskTypes: ["verify"], configuration: .init(waitSeconds: 2),
                                         logger: quiet) { claim in
                guard let review = claim.review, let labels = review.submission.result["labels"]?.objectValue else {
                    return .vote(.reject, reason: "no labels in the submission")
                }
                let total = Int(review.task.payload["items"]?.intValue ?? 0)
                let t0 = ContinuousClock.now
                defer { tally.heuristic.withLock { $0 += ContinuousClock.now - t0 } }
                var checked = 0, agreed = 0
                for item in 0..<total where !human || Double(SyntheticImages.mix(seed, UInt64(item), 3) % 10_000) < spotCheck * 10_000 {
                    checked += 1
                    let expected = human ? SyntheticImages.truth(seed: seed, item: item)
                                         : ModerationHeuristic.classify(SyntheticImages.render(seed: seed, item: item))
                    if labels[String(item)]?.stringValue == expected { agreed += 1 }
                }
                if human { tally.humanReviewed.withLock { $0 += checked } }
                let share = checked == 0 ? 1 : Double(agreed) / Double(checked)
                let reason = "\(agreed) of \(checked) labels agree"
                return labels.count == total && share >= (human ? 0.95 : 0.99) ? .vote(.approve, reason: reason) : .vote(.reject, reason: reason)
            })
        }
        let verifying = verifiers.map { runner in Task { try? await runner.run() } }

        // The master claims the bounty and fans it out: one sub-task per sub-agent, paid from the bounty.
        guard let claim = try await master.claim(taskType: "moderation.image", waitSeconds: 5), claim.task.id == bounty.id else {
            throw ValidationError("the master could not claim the bounty")
        }
        let per = items / subagents, extra = items % subagents
        let subTaskReward = reward * 6 / 10 / Int64(subagents)
        let parts = (0..<subagents).map { i in
            let first = i * per + min(i, extra)
            return NewSubTask(payload: ["dataset": "workhive-synthetic-16px", "seed": .int(Int64(seed)), "first_item": .int(Int64(first)),
                                        "count": .int(Int64(per + (i < extra ? 1 : 0)))],
                              rewardMicroUSDT: subTaskReward, title: "Images \(first)…", taskType: "moderation.shard", leaseSeconds: 60)
        }
        let done = try await fleet.fanOut(claim, subTasks: parts, aggregation: .mergeJSON, funding: .parentEscrow) { d in
            progress(d.done, of: d.subTasks.count, label: "sub-tasks")
        }
        say("")
        let labels = done.aggregate?["labels"]?.objectValue ?? [:]
        var counts: [String: Int] = [:]
        for label in labels.values { counts[label.stringValue ?? "?", default: 0] += 1 }
        _ = try await master.submit(claimID: claim.claimId, result: ["labels": .object(labels)])

        // Consensus settles the bounty; the master then shares half of what it earned by sub-tasks done.
        var stats = try await market.stats()
        while stats.unsettledTasks > 0 || stats.escrowsSettling > 0 {
            try await Task.sleep(for: .milliseconds(20))
            stats = try await market.stats()
        }
        let earned = try await master.wallet().accounts.first?.availableMicroUSDT ?? 0
        let distribution = try await master.distribute(split: .perSubTask, amountMicroUSDT: earned / 2, delegationID: done.id,
                                                       idempotencyKey: "moderation-share")
        let elapsed = ContinuousClock.now - started
        await fleet.stop()
        for runner in verifiers { runner.stop() }
        for task in verifying { await task.value }
        let fleetStatus = try await master.fleet()
        let votes = try await requester.votes(submissionID: try await requester.submissions(taskID: bounty.id).last?.id ?? 0)
        let humanSlots = try await market.database.read { tx in
            try await tx.queryOne("SELECT COUNT(*) FROM tasks WHERE parent_task_id = ? AND human_only = 1", bounty.id)!.int(0)
        }
        try await http.shutdown()
        await server.stop()

        let totals = try await market.ledgerTotals()
        let audit = try await LedgerAudit.run(market.database)
        let state = try await market.stats().tasksByState
        let heuristicTime = tally.heuristic.withLock { $0 }
        let accuracy = labels.filter { $0.value.stringValue == SyntheticImages.truth(seed: seed, item: Int($0.key) ?? -1) }.count
        say("""
            Items: \(items) labelled (\(counts.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", "))), \
            \(accuracy) match what the pictures show
            Sub-agents: \(subagents) (\(fleetStatus.subAgents.reduce(0) { $0 + $1.subTasksDone }) sub-tasks done, \(done.subTasks.reduce(0) { $0 + $1.retries }) retried)
            Verifications: \(votes.count) votes (\(votes.filter { $0.verdict == .approve }.count) approve) on the bounty; \
            human spot-checks: \(humanSlots) slot(s) reserved for humans, \(tally.humanReviewed.withLock { $0 }) items re-checked by simulated humans
            Bounty: \(state["approved"] ?? 0) task(s) approved of \(state.values.reduce(0, +)) (bounty + sub-tasks)
            Payouts: bounty \(usdt(reward)); sub-agents \(usdt(fleetStatus.earningsMicroUSDT)) (sub-task rewards \(usdt(subTaskReward * Int64(subagents))) \
            + fleet shares \(usdt(distribution.distributedMicroUSDT))); master keeps \(usdt(fleetStatus.masterAvailableMicroUSDT)); \
            platform fees \(usdt(totals.platformFeesMicroUSDT))
            Ledger \(totals.balanced && audit.ok ? "balanced" : "NOT BALANCED"): debits \(totals.debitsPosted) = credits \(totals.creditsPosted) micro-USDT; \
            \(audit.transfers) transfers checked\(audit.ok ? "" : ", problems: \(audit.problems)")
            Platform time: \(seconds(elapsed - heuristicTime)) s (wall \(seconds(elapsed)) s, of which the image heuristic \(seconds(heuristicTime)) s); data in \(directory)
            """)
        await market.database.close()
        if dataDir == nil { try? FileManager.default.removeItem(atPath: directory) }
        guard audit.ok, totals.balanced else { throw ExitCode(1) }
    }
}

/// What the demo's agents add up while they work: time in the image heuristic (sub-agents and
/// verifier agents), items the simulated humans re-checked.
private final class DemoTally: Sendable {
    let heuristic = Mutex(Duration.zero)
    let humanReviewed = Mutex(0)
}

/// `[#####-----] 50/100 sub-tasks` on one line, redrawn in place.
private func progress(_ done: Int, of total: Int, label: String) {
    let width = 30, filled = total == 0 ? width : done * width / total
    let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
    FileHandle.standardOutput.write(Data("\r[\(bar)] \(done)/\(total) \(label)".utf8))
}

/// Unbuffered output, so lines and the progress bar appear in order (and reach a log file at once).
func say(_ line: String) { FileHandle.standardOutput.write(Data((line + "\n").utf8)) }

private func seconds(_ d: Duration) -> String {
    String(format: "%.2f", Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18)
}
