import Foundation
import Testing
import WorkhiveTestSupport
import WorkhiveCore
@testable import WorkhiveEngine

@Suite struct PersistenceTests {
    /// Reopening the same file runs no migration twice, reuses the system accounts, keeps keys and
    /// balances, and the ledger still audits clean.
    @Test(arguments: TestEngine.available) func reopeningTheDatabaseKeepsEverything(engine: TestEngine) async throws {
        let h = try await EngineHarness.make(engine)
        let requesterCreds = try await h.checked { try await h.market.createOwner(name: "req") }
        let requester = try await h.market.authenticate(apiKey: requesterCreds.apiKey)
        try await h.checked { try await h.market.deposit(requester, amountMicroUSDT: 5_000_000) }
        let workerCreds = try await h.checked { try await h.market.createWorker(requester, name: "w", kind: .agent, capabilities: ["x"]) }
        let worker = try await h.market.authenticate(apiKey: workerCreds.apiKey)
        let open = try await h.post(requester, try h.spec())
        _ = try await h.submitted(requester, worker, try h.spec(type: "auto", verifiers: 0, quorum: 0))
        let systemAccounts = try await h.scalar("SELECT COUNT(*) FROM accounts WHERE kind IN ('deposits','platform_fee')")
        let migrations = try await h.scalar("SELECT COUNT(*) FROM schema_migrations")
        let available = try await h.available(requester)
        await h.market.database.close()

        let db = try h.location.open()
        let market = try await Marketplace.open(
            database: db, configuration: MarketplaceConfiguration(blobDirectory: h.directory + "/blobs"),
            clock: h.clock, random: SeededRandom(seed: 7))
        let reopened = EngineHarness(market: market, clock: h.clock, scratch: h.scratch, location: h.location)
        try await reopened.assertLedger()
        #expect(try await reopened.scalar("SELECT COUNT(*) FROM schema_migrations") == migrations)
        #expect(try await reopened.scalar("SELECT COUNT(*) FROM accounts WHERE kind IN ('deposits','platform_fee')") == systemAccounts)
        #expect(systemAccounts == 2 * Int64(MarketplaceConfiguration(blobDirectory: "").systemAccountShards))
        // Keys still authenticate (with a fresh cache), balances and tasks are where they were.
        let requesterAgain = try await market.authenticate(apiKey: requesterCreds.apiKey)
        let workerAgain = try await market.authenticate(apiKey: workerCreds.apiKey)
        #expect(requesterAgain == requester && workerAgain == worker)
        #expect(try await reopened.available(requesterAgain) == available)
        #expect(try await reopened.balance(workerAgain) == 1_000_000)
        #expect(try await market.task(requesterAgain, open.id).state == .open)
        // And work goes on.
        let claim = try #require(try await reopened.claim(workerAgain))
        #expect(claim.task.id == open.id)
        _ = try await reopened.submit(workerAgain, claim)
        await db.close()
    }

    @Test(arguments: TestEngine.available) func theBackgroundRescuerReturnsExpiredLeases(engine: TestEngine) async throws {
        let h = try await EngineHarness.make(engine)
        let requester = try await h.requester(funds: 10_000_000)
        let worker = try await h.worker("w")
        let task = try await h.post(requester, try h.spec(lease: 10))
        _ = try #require(try await h.claim(worker))
        let market = h.market
        let rescuer = Task { await market.runRescuer(every: .milliseconds(10)) }
        defer { rescuer.cancel() }
        h.clock.advance(seconds: 11)
        let deadline = ContinuousClock.now + .seconds(3)
        while try await h.state(task.id) != .open, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(10))
        }
        rescuer.cancel()
        await rescuer.value
        try await h.assertLedger()
        #expect(try await h.state(task.id) == .open)
        #expect(try await h.market.task(requester, task.id).attempts == 1)
    }
}
