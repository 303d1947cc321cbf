import Foundation
import Testing
import WorkhiveTestSupport
import WorkhiveCore
@testable import WorkhiveEngine

@Suite struct AuthTests {
    @Test(arguments: TestEngine.available) func keysHaveTheDocumentedShapeAndOnlyTheirHashIsStored(engine: TestEngine) async throws {
        let h = try await EngineHarness.make(engine)
        let ownerCreds = try await h.checked { try await h.market.createOwner(name: "  alice  ") }
        #expect(ownerCreds.subject.name == "alice")
        let owner = try await h.market.authenticate(apiKey: ownerCreds.apiKey)
        #expect(owner == .owner(ownerCreds.subject.id, isAdmin: false))
        let workerCreds = try await h.checked {
            try await h.market.createWorker(owner, name: "bot", kind: .agent, capabilities: ["Vision", "lang:en", "vision"])
        }
        #expect(workerCreds.subject.capabilities == ["lang:en", "vision"])
        let worker = try await h.market.authenticate(apiKey: workerCreds.apiKey)
        #expect(worker == .worker(workerCreds.subject.id, owner: ownerCreds.subject.id, kind: .agent))

        var secrets: [String] = []
        for key in [ownerCreds.apiKey, workerCreds.apiKey] {
            let parts = key.split(separator: "_", maxSplits: 2).map(String.init)
            #expect(parts.count == 3)
            #expect(parts[0] == "wh")
            let id = try #require(Int64(parts[1]))
            let secret = parts[2]
            #expect(secret.count == 32 && BlobStore.isDigest(String(repeating: "0", count: 32) + secret))  // 128 bits of lower-case hex
            secrets.append(secret)
            #expect(try await h.text("SELECT secret_hash FROM api_keys WHERE id = ?", id) == sha256Hex(secret))
        }
        #expect(secrets[0] != secrets[1])
        // Nothing in the key table holds a secret or a whole key.
        let rows = try await h.market.database.read { tx in try await tx.query("SELECT * FROM api_keys", []) }
        #expect(rows.count == 2)
        for row in rows {
            for value in row.values {
                guard case .text(let s) = value else { continue }
                for (secret, key) in zip(secrets, [ownerCreds.apiKey, workerCreds.apiKey]) {
                    #expect(!s.contains(secret))
                    #expect(!s.contains(key))
                }
            }
        }
    }

    @Test(arguments: TestEngine.available) func unknownMalformedAndTamperedKeysAreUnauthenticated(engine: TestEngine) async throws {
        let h = try await EngineHarness.make(engine)
        let creds = try await h.checked { try await h.market.createOwner(name: "alice") }
        _ = try await h.market.authenticate(apiKey: creds.apiKey)  // now cached: tampering must still miss
        let parts = creds.apiKey.split(separator: "_", maxSplits: 2).map(String.init)
        let secret = parts[2]
        let flipped = String(secret.dropLast()) + (secret.last == "0" ? "1" : "0")
        let bad = [
            "", "wh", "wh_", "wh_1", "wh_1_", "xx_\(parts[1])_\(secret)", "wh_abc_\(secret)", "Bearer \(creds.apiKey)",
            "wh_999999_\(secret)",                  // unknown id
            "wh_\(parts[1])_\(flipped)",            // tampered secret
            "wh_\(parts[1])_\(secret)x",            // extended secret
            "wh_\(parts[1])_\(secret.uppercased())",
            "wh_\(Int64(parts[1])! + 1)_\(secret)",  // right secret, wrong id
        ]
        for key in bad {
            try await h.expectError(.unauthenticated) { try await h.market.authenticate(apiKey: key) }
        }
        // The genuine key still works.
        #expect(try await h.market.authenticate(apiKey: creds.apiKey).ownerID == creds.subject.id)
    }

    @Test(arguments: TestEngine.available) func suspendedWorkerIsRefusedAndItsCachedKeyInvalidated(engine: TestEngine) async throws {
        let h = try await EngineHarness.make(engine)
        let admin = try await h.admin()
        let owner = try await h.owner("fleet")
        let creds = try await h.checked { try await h.market.createWorker(owner, name: "bot", kind: .agent, capabilities: []) }
        let sibling = try await h.checked { try await h.market.createWorker(owner, name: "bot2", kind: .agent, capabilities: []) }
        _ = try await h.market.authenticate(apiKey: creds.apiKey)  // cached
        _ = try await h.market.authenticate(apiKey: sibling.apiKey)

        // Only an admin suspends.
        try await h.expectError(.forbidden) { try await h.market.setSuspended(owner, worker: creds.subject.id, suspended: true) }
        let suspended = try await h.checked { try await h.market.setSuspended(admin, worker: creds.subject.id, suspended: true) }
        #expect(suspended.suspended)
        try await h.expectError(.workerSuspended) { try await h.market.authenticate(apiKey: creds.apiKey) }
        // Others keep working; the owner key is unaffected.
        #expect(try await h.market.authenticate(apiKey: sibling.apiKey).workerID == sibling.subject.id)
        #expect(try await h.market.worker(owner, id: creds.subject.id).suspended)

        try await h.checked { try await h.market.setSuspended(admin, worker: creds.subject.id, suspended: false) }
        #expect(try await h.market.authenticate(apiKey: creds.apiKey).workerID == creds.subject.id)
        try await h.expectError(.notFound) { try await h.market.setSuspended(admin, worker: WorkerID(987_654), suspended: true) }
    }

    @Test(arguments: TestEngine.available) func aSuspendedWorkerClaimsNothingEvenWithAPrincipalItAlreadyHeld(engine: TestEngine) async throws {
        let h = try await EngineHarness.make(engine)
        let admin = try await h.admin()
        let requester = try await h.requester(funds: 10_000_000)
        let suspended = try await h.worker("suspended")
        let poller = try await h.worker("poller")
        let healthy = try await h.worker("healthy")
        try await h.checked { try await h.market.setSuspended(admin, worker: suspended.workerID!, suspended: true) }
        let task = try await h.post(requester, try h.spec())
        try await h.expectError(.workerSuspended) { try await h.market.claim(suspended, taskType: "social.like") }
        #expect(try await h.state(task.id) == .open)
        #expect(try await h.claim(healthy)?.task.id == task.id)

        // A long poll already waiting when its worker is suspended does not take the next task.
        let market = h.market
        let start = ContinuousClock.now
        let waiting = Task { try await market.claim(poller, taskType: "social.like", waitSeconds: 15) }
        try await Task.sleep(for: .milliseconds(100))
        try await h.checked { try await h.market.setSuspended(admin, worker: poller.workerID!, suspended: true) }
        let next = try await h.post(requester, try h.spec())
        do {
            let claim = try await waiting.value
            Issue.record("a suspended worker claimed \(String(describing: claim?.task.id))")
        } catch let error as WorkhiveError {
            #expect(error.code == .workerSuspended)
        }
        #expect(ContinuousClock.now - start < .seconds(10), "answered before its 15 s wait ran out")
        try await h.assertLedger()
        #expect(try await h.state(next.id) == .open)
        // Lifting the suspension lets it claim again.
        try await h.checked { try await h.market.setSuspended(admin, worker: poller.workerID!, suspended: false) }
        #expect(try await h.claim(poller)?.task.id == next.id)
    }

    @Test(arguments: TestEngine.available) func keysOnlyDoWhatTheirRoleAllows(engine: TestEngine) async throws {
        let h = try await EngineHarness.make(engine)
        let requester = try await h.requester(funds: 10_000_000)
        let worker = try await h.worker("w")
        let before = try await h.footprint()
        // A worker key cannot create workers, post tasks, deposit or list workers.
        try await h.expectError(.forbidden) { try await h.market.createWorker(worker, name: "sub", kind: .agent, capabilities: []) }
        try await h.expectError(.forbidden) { try await h.market.postTask(worker, try h.spec()) }
        try await h.expectError(.forbidden) { try await h.market.deposit(worker, amountMicroUSDT: 1_000) }
        try await h.expectError(.forbidden) { try await h.market.workers(worker) }
        #expect(try await h.footprint() == before)

        // An owner key cannot use the worker verbs.
        _ = try await h.post(requester, try h.spec())
        try await h.expectError(.forbidden) { try await h.market.claim(requester, taskType: "social.like") }
        try await h.expectError(.forbidden) { try await h.market.claim(requester, taskType: "social.like", waitSeconds: 0) }
        try await h.expectError(.forbidden) { try await h.market.heartbeat(requester, claim: ClaimID(1)) }
        try await h.expectError(.forbidden) { try await h.market.release(requester, claim: ClaimID(1)) }
        try await h.expectError(.forbidden) { try await h.market.submit(requester, claim: ClaimID(1), result: liked, proofs: []) }
        try await h.expectError(.forbidden) { try await h.market.vote(requester, claim: ClaimID(1), verdict: .approve, reason: "") }
        try await h.expectError(.forbidden) { try await h.market.workerHeartbeat(requester, status: .idle) }
        // The task is still there for a worker.
        #expect(try await h.claim(worker) != nil)
    }

    @Test(arguments: TestEngine.available) func depositsAreOwnerOnlyPositiveAndSelfServeOnTheDevnet(engine: TestEngine) async throws {
        let h = try await EngineHarness.make(engine)
        let admin = try await h.admin()
        let alice = try await h.requester("alice", funds: 0)
        let bob = try await h.requester("bob", funds: 0)
        let balance = try await h.checked { try await h.market.deposit(alice, amountMicroUSDT: 5_000_000) }
        #expect(balance.availableMicroUSDT == 5_000_000 && balance.kind == .funds)
        try await h.expectError(.forbidden) { try await h.market.deposit(alice, to: bob.ownerID, amountMicroUSDT: 1) }
        try await h.expectError(.invalidRequest) { try await h.market.deposit(alice, amountMicroUSDT: 0) }
        try await h.expectError(.invalidRequest) { try await h.market.deposit(alice, amountMicroUSDT: -5) }
        try await h.expectError(.invalidRequest) { try await h.market.deposit(alice, amountMicroUSDT: TaskSpec.maxRewardMicroUSDT + 1) }
        try await h.checked { try await h.market.deposit(admin, to: bob.ownerID, amountMicroUSDT: 7) }
        #expect(try await h.available(bob) == 7)
        #expect(try await h.available(alice) == 5_000_000)
        let totals = try await h.market.ledgerTotals()
        #expect(totals.depositsMicroUSDT == 5_000_007)
        #expect(totals.balanced)
    }

    @Test(arguments: TestEngine.available) func namesAndCapabilitiesAreValidated(engine: TestEngine) async throws {
        let h = try await EngineHarness.make(engine)
        let owner = try await h.owner("o")
        try await h.expectError(.invalidRequest) { try await h.market.createOwner(name: "   ") }
        try await h.expectError(.invalidRequest) { try await h.market.createOwner(name: String(repeating: "x", count: 101)) }
        try await h.expectError(.invalidRequest) { try await h.market.createWorker(owner, name: "", kind: .agent, capabilities: []) }
        try await h.expectError(.invalidRequest) { try await h.market.createWorker(owner, name: "w", kind: .agent, capabilities: ["has space"]) }
        try await h.expectError(.invalidRequest) { try await h.market.createWorker(owner, name: "w", kind: .agent, capabilities: [""]) }
        #expect(try await h.scalar("SELECT COUNT(*) FROM workers") == 0)
    }
}
