import Foundation
import Synchronization
import Testing
import WorkhiveTestSupport
import WorkhiveCore
@testable import WorkhiveEngine

@Suite struct SubmitBatchTests {
    @Test func callersThatArriveDuringABatchGoTogetherInTheNextEachWithItsOwnOutput() async throws {
        let combiner = Combiner<Int, Int>(maxBatch: 3)
        let batches = Mutex<[[Int]]>([])
        let (gate, open) = AsyncStream<Void>.makeStream()
        let write: @Sendable ([Int]) async -> [Result<Int, any Error>] = { items in
            let first = batches.withLock { b in b.append(items); return b.count == 1 }
            if first { for await _ in gate { break } }  // the first batch runs until the others wait
            return items.map { $0 == 4 ? .failure(WorkhiveError.invalid("four")) : .success($0 * 10) }
        }
        async let one = combiner.submit(1, write: write)
        while batches.withLock({ $0.isEmpty }) { try await Task.sleep(for: .milliseconds(1)) }
        var later: [Task<Int, any Error>] = []
        for item in 2...6 {
            later.append(Task { try await combiner.submit(item, write: write) })
            while combiner.waiting < item - 1 { try await Task.sleep(for: .milliseconds(1)) }
        }
        open.yield()
        #expect(try await one == 10)
        var outputs: [Int?] = []
        for task in later { outputs.append(try? await task.value) }
        #expect(outputs == [20, 30, nil, 50, 60])  // 4's error reached its caller alone
        // A lone caller went at once; the five that waited went in batches of at most three, in order.
        #expect(batches.withLock { $0 } == [[1], [2, 3, 4], [5, 6]])
        #expect(combiner.waiting == 0)
    }

    @Test(arguments: TestEngine.available) func aBatchApprovesAndPaysWhatItMayAndLeavesTheRestToTheFullPath(engine: TestEngine) async throws {
        let h = try await EngineHarness.make(engine)
        let requester = try await h.requester(funds: 100_000_000)
        let workers = [try await h.worker("w0"), try await h.worker("w1"), try await h.worker("w2"), try await h.worker("w3"),
                       try await h.worker("w4"), try await h.worker("w5")]
        let quick = try h.spec(type: "quick.job", reward: 1_000_000, verifiers: 0, quorum: 0)
        func claimed(_ worker: Principal, _ spec: TaskSpec) async throws -> ClaimView {
            _ = try await h.post(requester, spec)
            return try #require(try await h.claim(worker, spec.taskType))
        }
        let plain = try await claimed(workers[0], quick)
        let withProof = try await claimed(workers[1], quick)
        let verified = try await claimed(workers[2], try h.spec(type: "checked.job"))
        let notTheirs = try await claimed(workers[3], quick)
        let missingProof = try await claimed(workers[4], quick)
        let proof = try await h.market.uploadBlob(workers[1], bytes: Array("proof".utf8), mediaType: "text/plain").sha256
        let absent = String(repeating: "ab", count: 32)
        func pending(_ worker: Principal, _ claim: ClaimView, proofs: [String] = []) throws -> PendingSubmission {
            let (id, owner, _) = try worker.requireWorker(for: "submit")
            return PendingSubmission(worker: id, owner: owner, claim: claim.claimId, result: .object(["done": .bool(true)]), proofs: proofs)
        }
        let items = [try pending(workers[0], plain), try pending(workers[1], withProof, proofs: [proof]), try pending(workers[2], verified),
                     try pending(workers[5], notTheirs), try pending(workers[4], missingProof, proofs: [absent]), try pending(workers[0], plain)]

        let outputs = await h.market.writeApprovedSubmissions(items).map { try? $0.get() }
        try await h.assertLedger()
        let approved = try #require(outputs[0] ?? nil), proven = try #require(outputs[1] ?? nil)
        #expect(outputs[2...].allSatisfy { $0 == nil })  // not approved at once, not their claim, a proof missing, a repeat
        #expect(approved.state == "approved" && approved.decidedAtMillis == h.clock.nowMillis() && approved.taskId == plain.task.id)
        #expect(proven.proofs == [proof])
        #expect(try await h.scalar("SELECT COUNT(*) FROM submission_proofs WHERE submission_id = ? AND sha256 = ?", proven.id, proof) == 1)
        for (claim, state) in [(plain, TaskState.approved), (withProof, .approved), (verified, .claimed), (notTheirs, .claimed), (missingProof, .claimed)] {
            #expect(try await h.state(claim.task.id) == state)
        }
        // Paid as a single approval is: reward to the worker, 5% fee, the rest of each hold released.
        #expect(try await h.balance(workers[0]) == 1_000_000)
        #expect(try await h.balance(workers[1]) == 1_000_000)
        #expect(try await h.platformFees() == 100_000)
        #expect(try await !h.escrowOpen(plain.task.id))
        #expect(try await h.escrowHeld(plain.task.id) == 0)
        #expect(try await h.scalar("SELECT COUNT(*) FROM submissions") == 2)

        // The full path answers the rest: the repeat finds the batch's submission, the others are
        // submitted or refused as they would have been without the batch.
        #expect(try await h.submit(workers[0], plain, result: .object(["done": .bool(true)])).id == approved.id)
        #expect(try await h.submit(workers[2], verified).state == "pending")
        try await h.expectError(.forbidden) { try await h.market.submit(workers[5], claim: notTheirs.claimId, result: .null, proofs: []) }
        try await h.expectError(.invalidRequest) {
            try await h.market.submit(workers[4], claim: missingProof.claimId, result: .null, proofs: [absent])
        }
        try await h.assertLedger()
    }

    /// PostgreSQL re-checks a row an UPDATE waited for, but not the other tables: a delegation that
    /// commits while the batch waits for its task's row must send the batch the full path.
    @Test(arguments: TestEngine.available.filter { $0 == .postgres })
    func aDelegationCommittedWhileTheBatchWaitedSendsItTheFullPath(engine: TestEngine) async throws {
        let h = try await EngineHarness.make(engine)
        let requester = try await h.requester()
        let master = try await h.worker("master")
        let spec = try h.spec(type: "quick.job", verifiers: 0, quorum: 0)
        let task = try await h.post(requester, spec)
        let claim = try #require(try await h.claim(master, "quick.job"))
        let (id, owner, _) = try master.requireWorker(for: "submit")
        // Another transaction holds the task's row, as `delegate` does, and records a delegation.
        let (held, hold) = AsyncStream<Void>.makeStream(), (released, release) = AsyncStream<Void>.makeStream()
        let database = h.market.database
        let delegating = Task {
            try await database.write { tx in
                try await tx.execute("UPDATE tasks SET updated_at = updated_at + 1 WHERE id = ?", task.id)
                try await tx.execute("""
                    INSERT INTO delegations (parent_task_id, parent_claim_id, master_worker_id, strategy, aggregation, funding, slots, request_hash, created_at)
                    VALUES (?, ?, ?, 'fan_out', 'none', 'master_balance', 1, 'x', 0)
                    """, task.id, claim.claimId, id)
                hold.yield()
                for await _ in released { break }
            }
        }
        for await _ in held { break }
        let batch = Task {
            await h.market.writeApprovedSubmissions([PendingSubmission(worker: id, owner: owner, claim: claim.claimId, result: .null, proofs: [])])
        }
        // The batch's UPDATE waits for the row; then the delegation commits.
        while try await h.scalar("SELECT COUNT(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()") == 0 {
            try await Task.sleep(for: .milliseconds(5))
        }
        release.yield()
        try await delegating.value
        let outputs = await batch.value
        #expect(outputs.count == 1)
        #expect(try outputs[0].get() == nil)
        #expect(try await h.state(task.id) == .claimed)
        #expect(try await h.scalar("SELECT COUNT(*) FROM submissions") == 0)
        try await h.assertLedger()
    }

    @Test(arguments: TestEngine.available) func concurrentSubmissionsAreEachApprovedAndPaidOnce(engine: TestEngine) async throws {
        let h = try await EngineHarness.make(engine)
        let requester = try await h.requester(funds: 100_000_000)
        let spec = try h.spec(type: "quick.job", reward: 500_000, verifiers: 0, quorum: 0)
        var workers: [Principal] = []
        for i in 0..<8 { workers.append(try await h.worker("w\(i)")) }
        for _ in 0..<32 { _ = try await h.post(requester, spec) }
        let market = h.market
        try await withThrowingTaskGroup(of: Void.self) { group in
            for worker in workers {
                group.addTask {
                    while let claim = try await market.claim(worker, taskType: "quick.job") {
                        // Sent twice at once, as a client retrying too early would: one goes in a
                        // batch, the other the full path, which finds the first's submission.
                        async let first = market.submit(worker, claim: claim.claimId, result: .object(["ok": .bool(true)]), proofs: [])
                        async let again = market.submit(worker, claim: claim.claimId, result: .object(["ok": .bool(true)]), proofs: [])
                        let (a, b) = try await (first, again)
                        #expect(a.state == "approved" && a.id == b.id)
                    }
                }
            }
            try await group.waitForAll()
        }
        try await h.assertLedger()
        #expect(try await h.scalar("SELECT COUNT(*) FROM tasks WHERE state = 'approved'") == 32)
        #expect(try await h.scalar("SELECT COUNT(*) FROM submissions") == 32)
        #expect(try await h.scalar("SELECT COUNT(*) FROM transfers WHERE reason = 'reward'") == 32)
        var paid: Int64 = 0
        for worker in workers { paid += try await h.balance(worker) }
        #expect(paid == 32 * 500_000)
        #expect(try await h.platformFees() == 32 * 25_000)
    }

    /// The holds read of a batch (and of a settlement) looks each task's hold up by key. Joined
    /// plainly, PostgreSQL hashed all of `transfers` and `accounts` for a handful of tasks while
    /// its statistics said the tables were small, a cost that grew with every job.
    @Test func theHoldsReadLooksEachHoldUpByKeyOnPostgreSQL() async throws {
        try #require(TestEngine.available.contains(.postgres), "PostgreSQL is not installed")
        let h = try await EngineHarness.make(.postgres)
        let requester = try await h.requester(funds: 1_000_000_000)
        let spec = try h.spec(type: "quick.job", reward: 1_000, verifiers: 0, quorum: 0)
        var tasks: [TaskID] = []
        for _ in 0..<400 { tasks.append(try await h.post(requester, spec).id) }
        let ids = tasks.suffix(20).map { String($0.rawValue) }.joined(separator: ", ")
        let plan = try await h.market.database.read { tx in
            try await tx.query("""
                EXPLAIN SELECT t.id, h.id, h.debit_account_id, a.credits_pending FROM tasks t
                \(Marketplace.holdJoin(.postgres))
                WHERE t.id IN (\(ids))
                """, [])
        }.map { $0.text(0) }.joined(separator: "\n")
        #expect(!plan.contains("Seq Scan on transfers") && !plan.contains("Seq Scan on accounts"), "\(plan)")
    }
}
