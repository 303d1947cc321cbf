import ArgumentParser
import Foundation
import WorkhiveCore
import WorkhiveEngine

extension Bench {
    /// Simulated verifiers with known truth, run through the real engine in-process: fixed 2-of-3
    /// majority beside the adaptive policy. The simulation only decides how each simulated worker
    /// votes; which verdict wins, whom to trust and whom to quarantine is the platform's own estimate.
    struct Consensus: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Accuracy and cost of verification on a simulated worker pool: fixed 2-of-3 majority vs adaptive.",
            discussion: """
                The pool file (bench/pools/*.json) describes the verifiers: groups with a share of the pool and a \
                behaviour — accurate (right with `accuracy`), spammer (votes at random), colluder (always votes `vote`), \
                correlated (right with `accuracy`, except that on a `hard_rate` share of tasks every member of its \
                `family` is wrong together). Each task has a known true verdict (approve with `approve_rate`); its \
                submission is verified by whichever verifiers come along and the platform can give a slot. Every slot \
                that is open is claimed by a different random verifier before the votes are cast, as concurrent \
                verifiers would. Reports: accuracy, votes cast and paid per task, USDT paid to verifiers per correct \
                verdict, and after how many of its own votes each spammer or colluder was quarantined. Without \
                --pool it runs the pools the README reports (bench/pools: all-0.8, mixed, adversarial), and ends \
                with one summary line per pool and policy that leads with accuracy and paid votes per task.
                """)

        /// The pools the README reports, in `poolsDirectory`.
        static let defaultPools = ["all-0.8", "mixed", "adversarial"]

        @Option(help: "Pool file (JSON); without it, every pool the README reports.") var pool: String?
        @Option(help: "Where the default pools are (without --pool).") var poolsDirectory = "bench/pools"
        @Option(help: "Tasks per policy (default: the pool file's, else 2000).") var tasks: Int?
        @Option(help: "Random seed (default: the pool file's, else 1).") var seed: UInt64?
        @Option(help: "Adaptive target confidence.") var targetConfidence = 0.95
        @Option(help: "Adaptive minimum votes.") var minVotes = 1
        @Option(help: "Adaptive maximum votes.") var maxVotes = 5
        @Option(help: "Run on PostgreSQL at this URL (a schema of its own, dropped after) instead of SQLite.") var databaseURL: String?
        @Option(help: "Quarantine threshold (default: the platform's).") var quarantineThreshold: Double?
        @Option(help: "Quarantine confidence in standard deviations (default: the platform's).") var quarantineZ: Double?
        @Option(help: "Verdicts before a quarantine (default: the platform's).") var quarantineMinVerdicts: Int?

        /// The platform's trust policy, with any quarantine setting given on the command line.
        var trust: TrustPolicy {
            var t = TrustPolicy()
            if let quarantineThreshold { t.quarantineThreshold = quarantineThreshold }
            if let quarantineZ { t.quarantineZ = quarantineZ }
            if let quarantineMinVerdicts { t.quarantineMinObservations = quarantineMinVerdicts }
            return t
        }

        static func problem(with policy: VerificationPolicy) -> String? {
            do {
                try policy.validate()
                return nil
            } catch {
                return "\(error)"
            }
        }

        func run() async throws {
            let files = pool.map { [$0] } ?? Self.defaultPools.map { "\(poolsDirectory)/\($0).json" }
            var pools: [ConsensusPool] = []
            for file in files {
                guard let data = FileManager.default.contents(atPath: file) else {
                    throw ValidationError("cannot read the pool file \(file)" + (pool == nil ? " (run from the checkout, or pass --pools-directory)" : ""))
                }
                pools.append(try ConsensusPool.parse(data, name: URL(fileURLWithPath: file).deletingPathExtension().lastPathComponent))
            }
            if let tasks, tasks <= 0 { throw ValidationError("--tasks must be positive") }
            let adaptive = VerificationPolicy.adaptive(targetConfidence: targetConfidence, minVotes: minVotes, maxVotes: maxVotes,
                                                       verifierRewardMicroUSDT: ConsensusSimulation.verifierReward)
            if let problem = Self.problem(with: adaptive) { throw ValidationError("adaptive policy: \(problem)") }
            let policies: [(String, VerificationPolicy)] = [
                ("fixed 2-of-3 majority", VerificationPolicy(verifiers: 3, quorum: 2, spotCheckRate: 0,
                                                             verifierRewardMicroUSDT: ConsensusSimulation.verifierReward)),
                (String(format: "adaptive (target %.2f, votes %d-%d)", targetConfidence, minVotes, maxVotes), adaptive),
            ]
            var summary: [String] = []
            for spec in pools {
                let results = try await run(spec, policies: policies)
                for (name, r) in results { summary.append(Self.summaryLine(pool: spec.name, policy: name, r)) }
            }
            print()
            print("summary (accuracy first, then verifier votes paid per task):")
            for line in summary { print(line) }
        }

        /// One pool under each policy, each on a fresh database with the ledger audited after; prints its table.
        func run(_ spec: ConsensusPool, policies: [(String, VerificationPolicy)]) async throws -> [(String, ConsensusSimulation.Result)] {
            let taskCount = tasks ?? spec.tasks ?? 2000
            let seed = seed ?? spec.seed ?? 1
            print("workhive bench consensus: pool \(spec.name) (\(spec.summary)), \(taskCount) tasks per policy, seed \(seed), "
                  + (databaseURL == nil ? "SQLite" : "PostgreSQL"))
            var results: [(String, ConsensusSimulation.Result)] = []
            for (name, policy) in policies {
                let bench = try await BenchDatabase.open(postgresURL: databaseURL, trust: trust)
                let sim = ConsensusSimulation(market: bench.market, pool: spec, policy: policy, tasks: taskCount, seed: seed)
                let started = ContinuousClock.now
                let result = try await sim.run()
                let audit = try await LedgerAudit.run(bench.market.database)
                try await bench.close()
                guard audit.ok else { throw BenchError("ledger check failed: \(audit.problems)") }
                let elapsed = ContinuousClock.now - started
                let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
                print(String(format: "  %@: %d tasks in %.1f s, ledger balanced", name, taskCount, seconds))
                results.append((name, result))
            }
            print()
            print("| policy | accuracy | votes cast / task | votes paid / task | verifier USDT / correct verdict | quarantined after (own votes) |")
            print("|---|---|---|---|---|---|")
            for (name, r) in results {
                print(String(format: "| %@ | %.3f | %.2f | %.2f | %.4f | %@ |", name, r.accuracy, r.votesPerTask, r.paidPerTask,
                             r.usdtPerCorrect, Self.quarantines(r)))
            }
            if let falseQuarantines = results.last?.1.honestQuarantined, falseQuarantines > 0 {
                print("  (adaptive run: \(falseQuarantines) honest verifier(s) quarantined)")
            }
            print()
            return results
        }

        /// After how many of its own votes each bad actor was quarantined, by kind: "colluder 23, 54; spammer 19".
        static func quarantines(_ r: ConsensusSimulation.Result) -> String {
            var kinds: [String] = []
            var byKind: [String: [String]] = [:]
            for q in r.quarantine {
                if byKind[q.label] == nil { kinds.append(q.label) }
                byKind[q.label, default: []].append(q.votes.map(String.init) ?? "not (\(q.totalVotes) votes)")
            }
            return kinds.isEmpty ? "—" : kinds.map { "\($0) " + byKind[$0]!.joined(separator: ", ") }.joined(separator: "; ")
        }

        /// Accuracy and paid votes per task lead the line, before anything else with a number in it
        /// (the pool's name or the adaptive target), so that a reader or a script takes them first.
        static func summaryLine(pool: String, policy: String, _ r: ConsensusSimulation.Result) -> String {
            String(format: "accuracy %.3f  paid votes/task %.2f  cast/task %.2f  USDT/correct verdict %.4f  pool %@  policy %@  "
                   + "bad actors quarantined after (own votes): %@ | honest verifiers quarantined: %d",
                   r.accuracy, r.paidPerTask, r.votesPerTask, r.usdtPerCorrect, pool.padding(toLength: 11, withPad: " ", startingAt: 0),
                   policy, quarantines(r), r.honestQuarantined)
        }
    }
}

/// A pool of simulated verifiers, as described in a JSON file.
struct ConsensusPool: Decodable {
    enum Behaviour: String, Decodable { case accurate, spammer, colluder, correlated }

    struct Group: Decodable {
        var share: Double
        var behaviour: Behaviour?
        var accuracy: Double?
        var vote: Verdict?
        var family: String?
        var hardRate: Double?
        var label: String?
    }

    var name = ""
    var description: String?
    var verifiers: Int
    var tasks: Int?
    var seed: UInt64?
    var approveRate: Double?
    var groups: [Group]

    enum CodingKeys: String, CodingKey { case description, verifiers, tasks, seed, approveRate, groups }

    static func parse(_ data: Data, name: String) throws -> ConsensusPool {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        var pool: ConsensusPool
        do { pool = try decoder.decode(ConsensusPool.self, from: data) } catch {
            throw ValidationError("the pool file is not a valid pool description: \(error)")
        }
        pool.name = name
        guard (3...10_000).contains(pool.verifiers) else { throw ValidationError("verifiers must be between 3 and 10000") }
        guard !pool.groups.isEmpty else { throw ValidationError("a pool needs at least one group") }
        guard abs(pool.groups.reduce(0) { $0 + $1.share } - 1) < 1e-6, pool.groups.allSatisfy({ $0.share > 0 }) else {
            throw ValidationError("group shares must be positive and add up to 1")
        }
        if let r = pool.approveRate, !(0...1).contains(r) { throw ValidationError("approve_rate must be between 0 and 1") }
        for (i, g) in pool.groups.enumerated() {
            switch g.behaviour ?? .accurate {
            case .accurate, .correlated:
                guard let a = g.accuracy, (0...1).contains(a) else { throw ValidationError("group \(i + 1) needs an accuracy between 0 and 1") }
                if g.behaviour == .correlated {
                    guard g.family?.isEmpty == false, let h = g.hardRate, (0...1).contains(h) else {
                        throw ValidationError("correlated group \(i + 1) needs a family and a hard_rate between 0 and 1")
                    }
                }
            case .colluder:
                guard g.vote != nil else { throw ValidationError("colluder group \(i + 1) needs the vote it always casts") }
            case .spammer: break
            }
        }
        return pool
    }

    var summary: String {
        "\(verifiers) verifiers: " + groups.map { g in
            let pct = "\(Int((g.share * 100).rounded()))%"
            switch g.behaviour ?? .accurate {
            case .accurate: return "\(pct) at \(g.accuracy!)"
            case .spammer: return "\(pct) random spammers"
            case .colluder: return "\(pct) colluders always voting \(g.vote!.rawValue)"
            case .correlated: return "\(pct) \(g.family!) at \(g.accuracy!), all wrong together on \(Int(g.hardRate! * 100))% of tasks"
            }
        }.joined(separator: ", ")
    }

    /// One behaviour per verifier, groups rounded to whole verifiers (largest remainders).
    func members() -> [Group] {
        let exact = groups.map { $0.share * Double(verifiers) }
        var counts = exact.map { Int($0) }
        let order = exact.indices.sorted { exact[$0] - Double(counts[$0]) > exact[$1] - Double(counts[$1]) }
        for i in order.prefix(verifiers - counts.reduce(0, +)) { counts[i] += 1 }
        return zip(groups, counts).flatMap { Array(repeating: $0, count: $1) }
    }
}

/// One policy over one pool on a fresh marketplace.
struct ConsensusSimulation {
    static let taskType = "bench.judge"
    static let reward: Int64 = 1_000_000
    static let verifierReward: Int64 = 50_000

    let market: Marketplace
    let pool: ConsensusPool
    let policy: VerificationPolicy
    let tasks: Int
    let seed: UInt64

    struct Result {
        var correct = 0, tasks = 0, votes = 0, paidVotes = 0
        var verifierPaidMicroUSDT: Int64 = 0
        var quarantine: [(label: String, votes: Int?, totalVotes: Int)] = []
        var honestQuarantined = 0
        var accuracy: Double { Double(correct) / Double(max(1, tasks)) }
        var votesPerTask: Double { Double(votes) / Double(max(1, tasks)) }
        var paidPerTask: Double { Double(paidVotes) / Double(max(1, tasks)) }
        var usdtPerCorrect: Double { Double(verifierPaidMicroUSDT) / 1e6 / Double(max(1, correct)) }
    }

    struct Verifier {
        let principal: Principal
        let id: WorkerID
        let owner: Principal
        let behaviour: ConsensusPool.Group
        var votes = 0
        var quarantinedAfter: Int?
        var isBad: Bool { [.spammer, .colluder].contains(behaviour.behaviour ?? .accurate) }
    }

    func run() async throws -> Result {
        let rng = SeededRandom(seed: seed)
        let requester = try await market.authenticate(apiKey: try await market.createOwner(name: "bench-requester").apiKey)
        let perTask = FeePolicy().escrowHold(for: try spec(0))
        _ = try await market.deposit(requester, amountMicroUSDT: perTask * Int64(tasks))
        let submitterOwner = try await market.authenticate(apiKey: try await market.createOwner(name: "bench-submitter").apiKey)
        let submitter = try await market.authenticate(apiKey: try await market.createWorker(
            submitterOwner, name: "submitter", kind: .agent, capabilities: []).apiKey)
        var verifiers: [Verifier] = []
        for (i, member) in pool.members().enumerated() {
            let owner = try await market.authenticate(apiKey: try await market.createOwner(name: "verifier-owner-\(i)").apiKey)
            // Agents that share a model family declare it, so panels can avoid stacking them.
            let creds = try await market.createWorker(owner, name: "verifier-\(i)", kind: .agent, capabilities: [], modelFamily: member.family)
            verifiers.append(Verifier(principal: try await market.authenticate(apiKey: creds.apiKey), id: creds.subject.id, owner: owner,
                                      behaviour: member))
        }
        var result = Result()
        let approveRate = pool.approveRate ?? 0.5
        for t in 0..<tasks {
            let truth: Verdict = rng.nextUnit() < approveRate ? .approve : .reject
            let families = Set(verifiers.compactMap(\.behaviour.family))
            var hard: [String: Bool] = [:]
            for f in families.sorted() {
                hard[f] = rng.nextUnit() < (verifiers.first { $0.behaviour.family == f }?.behaviour.hardRate ?? 0)
            }
            let task = try await market.postTask(requester, try spec(t))
            guard let claim = try await market.claim(submitter, taskType: Self.taskType), claim.task.id == task.id else {
                throw BenchError("the submitter could not claim task \(task.id)")
            }
            let submission = try await market.submit(submitter, claim: claim.claimId, result: .object(["item": .int(Int64(t))]), proofs: [])
            var state = try await market.task(requester, task.id).state
            while state == .verifying {
                let open = try await market.database.read { tx in
                    try await tx.queryOne("SELECT COUNT(*) FROM tasks WHERE submission_id = ? AND state = 'open'", submission.id)?.int(0) ?? 0
                }
                guard open > 0 else { throw BenchError("task \(task.id) is undecided with no open verification slot") }
                // Every open slot is claimed by a different verifier that comes along, then they vote.
                var held: [(Int, ClaimView)] = []
                var order = Array(verifiers.indices)
                for i in stride(from: order.count - 1, to: 0, by: -1) { order.swapAt(i, Int(rng.nextUInt64() % UInt64(i + 1))) }
                for i in order where held.count < open {
                    if let slot = try await market.claim(verifiers[i].principal, taskType: TaskType.verify) { held.append((i, slot)) }
                }
                guard !held.isEmpty else { throw BenchError("no verifier can take task \(task.id)'s slots (all quarantined or used)") }
                for (i, slot) in held {
                    let verdict = Self.vote(verifiers[i].behaviour, truth: truth, hard: hard, rng: rng)
                    _ = try await market.vote(verifiers[i].principal, claim: slot.claimId, verdict: verdict, reason: verdict == .reject ? "simulated rejection" : "")
                    verifiers[i].votes += 1
                    result.votes += 1
                }
                state = try await market.task(requester, task.id).state
            }
            result.tasks += 1
            if (state == .approved) == (truth == .approve) { result.correct += 1 }
            // What the platform decided about each bad actor, read from its reputation API.
            for i in verifiers.indices where verifiers[i].quarantinedAfter == nil && verifiers[i].votes > 0 {
                guard verifiers[i].isBad || t % 50 == 49 || t == tasks - 1 else { continue }
                let reps = try await market.reputation(verifiers[i].owner, worker: verifiers[i].id)
                if reps.reputations.contains(where: { $0.role == .verifier && $0.quarantined }) { verifiers[i].quarantinedAfter = verifiers[i].votes }
            }
        }
        let totals = try await market.database.read { tx in
            try await tx.queryOne("""
                SELECT (SELECT COUNT(*) FROM tasks WHERE task_type = 'verify' AND vote_paid = 1),
                       (SELECT COALESCE(SUM(amount), 0) FROM transfers WHERE reason = 'verifier_reward')
                """)!
        }
        result.paidVotes = Int(totals.int(0))
        result.verifierPaidMicroUSDT = totals.int(1)
        for v in verifiers where v.isBad {
            let label = v.behaviour.label ?? v.behaviour.behaviour!.rawValue
            result.quarantine.append((label, v.quarantinedAfter, v.votes))
        }
        result.honestQuarantined = verifiers.filter { !$0.isBad && $0.quarantinedAfter != nil }.count
        return result
    }

    static func vote(_ b: ConsensusPool.Group, truth: Verdict, hard: [String: Bool], rng: SeededRandom) -> Verdict {
        let wrong: Verdict = truth == .approve ? .reject : .approve
        switch b.behaviour ?? .accurate {
        case .accurate: return rng.nextUnit() < b.accuracy! ? truth : wrong
        case .spammer: return rng.nextUnit() < 0.5 ? .approve : .reject
        case .colluder: return b.vote!
        case .correlated:
            if hard[b.family!] == true { return wrong }
            return rng.nextUnit() < b.accuracy! ? truth : wrong
        }
    }

    func spec(_ i: Int) throws -> TaskSpec {
        try TaskSpec(taskType: Self.taskType, title: "Judge item \(i)", instructions: "Is the submitted judgement right?", payloadJSON: "{}",
                     requiredCapabilities: try Capabilities([]), rewardMicroUSDT: Self.reward, leaseSeconds: 600, maxAttempts: 1,
                     deadlineAtMillis: nil, priority: 0, visibility: .public, verification: policy, nowMillis: market.now())
    }
}
