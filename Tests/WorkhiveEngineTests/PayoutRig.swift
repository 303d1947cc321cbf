import Foundation
import Testing
import WorkhiveChains
import WorkhiveCore
@testable import WorkhiveEngine
import WorkhiveTestSupport

/// A marketplace with payout settings, an in-memory devnet and a dispatcher whose passes each move the
/// devnet's clock on by `millisPerPass`; networks in `realRails` pay through those instead (the EVM
/// adapter on the local EVM). Every pass runs under the ledger audit.
struct PayoutRig {
    let h: EngineHarness
    let devnet: Devnet
    let dispatcher: PayoutDispatcher

    static func make(
        _ engine: TestEngine, millisPerPass: Int64 = 1_000, faults: DevnetRandomFaults = .none, walletsPerNetwork: Int = 1,
        realRails: [PayoutNetwork: PayoutRail] = [:], configure: (inout PayoutConfiguration) -> Void = { _ in }
    ) async throws -> PayoutRig {
        let scratch = try ScratchDirectory(prefix: "workhive-test")
        let directory = scratch.path
        let location: EngineHarness.DatabaseLocation = switch engine {
        case .sqlite: .sqlite(path: directory + "/workhive.sqlite")
        case .postgres: .postgres(url: try await PostgresCluster.shared.freshDatabaseURL())
        }
        var configuration = MarketplaceConfiguration(blobDirectory: directory + "/blobs")
        // Batches go out at once unless a test asks for size or age limits.
        configuration.payouts.batchAtSize = 1
        configuration.payouts.maxBatchAgeMillis = 0
        configure(&configuration.payouts)
        let clock = ManualClock()
        let market = try await Marketplace.open(database: try location.open(), configuration: configuration, clock: clock, random: SeededRandom(seed: 42))
        let h = EngineHarness(market: market, clock: clock, scratch: scratch, location: location)
        let devnet = Devnet(fees: FeeModel(schedule: configuration.payouts.fees), randomFaults: faults)
        var rails = realRails
        for network in PayoutNetwork.allCases where realRails[network] == nil {
            let wallets = (0..<walletsPerNetwork).map { DevnetPayoutSigner(network: network, index: $0, fees: configuration.payouts.fees) }
            for w in wallets { await devnet.mint(1_000_000_000_000, to: w.address, on: network) }
            rails[network] = PayoutRail(settlement: await devnet.settlement(network), wallets: wallets)
        }
        let dispatcher = PayoutDispatcher(market: market, rails: rails) { await devnet.advance(byMillis: millisPerPass) }
        try await dispatcher.prepare()
        return PayoutRig(h: h, devnet: devnet, dispatcher: dispatcher)
    }

    var market: Marketplace { h.market }

    /// A worker (under its own owner) with `earned` micro-USDT of approved earnings.
    func worker(_ name: String, earned: Int64, requester: Principal? = nil) async throws -> Principal {
        let worker = try await h.worker(name)
        if earned > 0 { try await earn(worker, earned, requester: requester) }
        return worker
    }

    /// Approves one task of `amount` for `worker` (no verifiers: approved on submission).
    func earn(_ worker: Principal, _ amount: Int64, requester: Principal? = nil) async throws {
        let payer: Principal
        if let requester { payer = requester } else { payer = try await h.requester("req-\(UUID().uuidString.prefix(6))", funds: amount * 2) }
        _ = try await h.submitted(payer, worker, try h.spec(type: "pay.\(UUID().uuidString.prefix(8).lowercased())", reward: amount, verifiers: 0, quorum: 0))
    }

    @discardableResult
    func setAddress(_ worker: Principal, _ network: PayoutNetwork, _ address: String) async throws -> PayoutAddressView {
        try await h.checked { try await market.setPayoutAddress(worker, network: network.rawValue, address: address) }
    }

    func withdraw(_ worker: Principal, _ amount: Int64, network: PayoutNetwork? = nil, key: String? = nil) async throws -> PayoutView {
        try await h.checked { try await market.requestPayout(worker, amountMicroUSDT: amount, network: network?.rawValue, idempotencyKey: key) }
    }

    /// One dispatcher pass under the audit.
    @discardableResult
    func pass(sourceLocation: SourceLocation = #_sourceLocation) async throws -> PayoutDispatchReport {
        try await h.checked(sourceLocation: sourceLocation) { try await dispatcher.runOnce() }
    }

    /// Passes until no payout is queued, signed or broadcast (or `maxPasses` ran); the summed report.
    @discardableResult
    func drain(maxPasses: Int = 400, sourceLocation: SourceLocation = #_sourceLocation) async throws -> PayoutDispatchReport {
        var total = PayoutDispatchReport()
        for _ in 0..<maxPasses {
            total += try await pass(sourceLocation: sourceLocation)
            if try await openPayouts() == 0 { return total }
        }
        Issue.record("payouts still open after \(maxPasses) passes", sourceLocation: sourceLocation)
        return total
    }

    func openPayouts() async throws -> Int64 {
        try await h.scalar("SELECT COUNT(*) FROM payouts WHERE state IN ('queued','signed','broadcast')")
    }

    func payout(_ id: PayoutID) async throws -> PayoutView {
        try #require(try await market.database.read { tx in try await Marketplace.payout(id, tx) })
    }

    /// What final, successful transactions on `network` paid each address.
    func paidOnChain(_ network: PayoutNetwork) async -> [String: (count: Int, total: Int64)] {
        var paid: [String: (count: Int, total: Int64)] = [:]
        for tx in await devnet.finalTransfers(on: network) {
            for t in tx.transfers { paid[t.to, default: (0, 0)].count += 1; paid[t.to, default: (0, 0)].total += t.amountMicroUSDT }
        }
        return paid
    }

    /// Every payout is final; each confirmed one was paid on chain exactly once (by address: one payout
    /// per address in these tests) and each failed one not at all.
    func expectExactlyOnce(_ payouts: [PayoutID], sourceLocation: SourceLocation = #_sourceLocation) async throws {
        var chain: [PayoutNetwork: [String: (count: Int, total: Int64)]] = [:]
        for network in PayoutNetwork.allCases { chain[network] = await paidOnChain(network) }
        for id in payouts {
            let p = try await payout(id)
            let network = PayoutNetwork(rawValue: p.network)!
            let onChain = chain[network]![p.address]
            switch p.state {
            case .confirmed:
                #expect(onChain?.count == 1 && onChain?.total == p.sentMicroUSDT, "payout \(id) confirmed, chain shows \(String(describing: onChain))", sourceLocation: sourceLocation)
            case .failed:
                #expect(onChain == nil, "payout \(id) refunded, but the chain paid \(String(describing: onChain))", sourceLocation: sourceLocation)
            default:
                Issue.record("payout \(id) is still \(p.state)", sourceLocation: sourceLocation)
            }
        }
    }
}

/// Real addresses of each network (distinct per worker index), valid mainnet format.
enum TestAddresses {
    static func evm(_ i: Int) -> String {
        let bytes = (0..<20).map { UInt8(truncatingIfNeeded: ($0 * 7 + i * 13 + 1)) }
        return try! EVMAddress(bytes: bytes).checksummed
    }
    static let tron = "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"
    static let ton = "EQCxE6mUtQJKFnGfaROTKOt1lZbDiiX1kCixRv7Nw2Id_sDs"
    static func tron(_ i: Int) -> String {
        try! TronAddress(accountID: (0..<20).map { UInt8(truncatingIfNeeded: $0 * 5 + i * 11 + 3) }).base58
    }
    /// A raw `0:<hex>` address; the engine stores its user-friendly form.
    static func tonRaw(_ i: Int) -> String {
        "0:" + Hex.encode((0..<32).map { UInt8(truncatingIfNeeded: $0 * 3 + i * 17 + 5) })
    }
}
