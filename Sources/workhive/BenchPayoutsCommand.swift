import ArgumentParser
import Foundation
import WorkhiveChains
import WorkhiveCore
import WorkhiveEngine

/// `workhive bench payouts`: how fast payouts are signed and settled, and what network choice and
/// batching save in fees.
struct BenchPayouts: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "payouts",
        abstract: "Signed transactions/s (EIP-1559 signing, and the whole dispatcher path on the devnet) and the fee saved by network choice and batching.",
        discussion: """
            Fee mix (10,000 payouts, every worker with an address on all four networks, a holder on each after its \
            first payout): 9,000 micro-tasks of 0.10 USDT for 300 workers, 900 tasks of 5 USDT for 90 workers, \
            100 bounties of 250 USDT for 100 workers. Baseline: every task paid on its own on TRC-20. Build with -c release.
            """)

    @Option(help: "EIP-1559 transactions to sign for the signing figure.") var signatures = 20_000
    @Option(help: "Payouts settled through the dispatcher for each dispatcher figure.") var payouts = 2_000
    @Option(help: "Hot wallets on the devnet network for the dispatcher figures.") var hotWallets = 32

    func validate() throws {
        guard signatures > 0, payouts > 0, hotWallets > 0 else { throw ValidationError("counts must be positive") }
    }

    func run() async throws {
        print("workhive bench payouts: \(ProcessInfo.processInfo.activeProcessorCount) cores")
        let signing = signingRate()
        print(String(format: "signed %.0f EIP-1559 USDT transfers/s (libsecp256k1, RLP + keccak, one core, %d transactions)", signing, signatures))
        for batchSize in [1, 100] {
            let r = try await dispatcherPath(batchSize: batchSize)
            print(String(format: "dispatcher path on the devnet (BEP-20, SQLite, %d hot wallets, batches of up to %d): signed, stored, broadcast and confirmed %d payouts in %d transactions in %.2f s: %.0f payouts/s, %.0f signed transactions/s; devnet fees %@",
                         hotWallets, batchSize, r.payouts, r.transactions, r.seconds, Double(r.payouts) / r.seconds, Double(r.transactions) / r.seconds,
                         USDTAmount.format(microUSDT: r.feesMicroUSDT)))
        }
        try feePlan()
    }

    // MARK: Signing

    func signingRate() -> Double {
        let key = try! Secp256k1Signer(privateKey: Array(repeating: 0x46, count: 32))
        let to = try! EVMAddress("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed")
        var check: UInt8 = 0
        let start = ContinuousClock.now
        for nonce in 0..<signatures {
            let tx = EIP1559Transaction.usdtTransfer(
                chain: .bsc, nonce: UInt64(nonce), to: to, amountMicroUSDT: 1_000_000 + Int64(nonce),
                maxPriorityFeePerGasWei: UInt256(50_000_000), maxFeePerGasWei: UInt256(100_000_000), gasLimit: 60_000)
            check ^= tx.signed(by: key).raw.last!
        }
        let seconds = (ContinuousClock.now - start).seconds
        if check == 0xff { print("") }  // keeps the signatures from being optimized away
        return Double(signatures) / seconds
    }

    // MARK: The dispatcher path

    struct DispatchRun {
        var payouts: Int
        var transactions: Int
        var seconds: Double
        var feesMicroUSDT: Int64
    }

    /// Workers with approved earnings and a BEP-20 address each withdraw; then the dispatcher runs on a
    /// devnet whose clock moves 2 s per pass until every payout is confirmed. Only the dispatcher is timed.
    func dispatcherPath(batchSize: Int) async throws -> DispatchRun {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var config = PayoutConfiguration()
        config.maxBatchSize = batchSize
        config.batchAtSize = 1
        config.maxBatchAgeMillis = 0
        let market = try await openMarket(dataDir: dir, payouts: config)
        defer { Task { await market.database.close() } }
        let devnet = Devnet(fees: FeeModel(schedule: config.fees))
        let wallets = (0..<hotWallets).map { DevnetPayoutSigner(network: .bep20, index: $0, fees: config.fees) }
        for w in wallets { await devnet.mint(1_000_000_000_000_000, to: w.address, on: .bep20) }
        let dispatcher = PayoutDispatcher(market: market, rails: [.bep20: PayoutRail(settlement: await devnet.settlement(.bep20), wallets: wallets)]) {
            await devnet.advance(byMillis: 2_000)
        }
        try await dispatcher.prepare()

        let requester = try await market.authenticate(apiKey: try await market.createOwner(name: "bench").apiKey)
        _ = try await market.deposit(requester, amountMicroUSDT: Int64(payouts) * 3_000_000)
        for i in 0..<payouts {
            let owner = try await market.authenticate(apiKey: try await market.createOwner(name: "o\(i)").apiKey)
            let worker = try await market.authenticate(apiKey: try await market.createWorker(owner, name: "w\(i)", kind: .agent, capabilities: []).apiKey)
            let spec = try TaskSpec(
                taskType: "bench.pay", title: "t", instructions: "", payloadJSON: "{}", requiredCapabilities: try Capabilities([]),
                rewardMicroUSDT: 2_000_000, leaseSeconds: 60, maxAttempts: 1, deadlineAtMillis: nil, priority: 0, visibility: .public,
                verification: VerificationPolicy(verifiers: 0, quorum: 0, spotCheckRate: 0, verifierRewardMicroUSDT: 0), nowMillis: market.now())
            _ = try await market.postTask(requester, spec)
            let claim = try await market.claim(worker, taskType: "bench.pay")!
            _ = try await market.submit(worker, claim: claim.claimId, result: .object([:]), proofs: [])
            let bytes = (0..<20).map { UInt8(truncatingIfNeeded: i >> (8 * ($0 % 4)) &+ $0 &* 31) }
            _ = try await market.setPayoutAddress(worker, network: "bep20", address: try EVMAddress(bytes: bytes).checksummed)
            _ = try await market.requestPayout(worker, amountMicroUSDT: 2_000_000)
        }

        var report = PayoutDispatchReport()
        let start = ContinuousClock.now
        while report.payoutsConfirmed < payouts {
            report += try await dispatcher.runOnce()
        }
        let seconds = (ContinuousClock.now - start).seconds
        let audit = try await LedgerAudit.run(market.database)
        guard audit.ok else { throw ValidationError("ledger audit failed: \(audit.problems.prefix(3))") }
        let fees = await wallets.asyncReduce(Int64(0)) { $0 + (await devnet.feesPaid(by: $1.address, on: .bep20)) }
        return DispatchRun(payouts: report.payoutsConfirmed, transactions: report.batchesConfirmed, seconds: seconds, feesMicroUSDT: fees)
    }

    // MARK: Fees

    func feePlan() throws {
        let all = Set(PayoutNetwork.allCases)
        var requests: [NetworkChoiceRequest] = []
        func add(workers: Int, tasksEach: Int, amount: Int64) {
            for _ in 0..<workers {
                for t in 0..<tasksEach {
                    requests.append(NetworkChoiceRequest(amountMicroUSDT: amount, addressNetworks: all, holdsUSDTOn: t == 0 ? [] : all))
                }
            }
        }
        add(workers: 300, tasksEach: 30, amount: 100_000)
        add(workers: 90, tasksEach: 10, amount: 5_000_000)
        add(workers: 100, tasksEach: 1, amount: 250_000_000)
        // Each task paid on its own: no minimum payout applies to the comparison.
        let chooser = NetworkChooser(fees: FeeModel(), policy: NetworkChoicePolicy())
        let plan = try PayoutFeePlan(requests, baseline: .trc20, chooser: chooser, batching: BatchCostModel())
        let usdt = { (m: Int64) in USDTAmount.format(microUSDT: m) }
        let percent = { (part: Int64) in String(format: "%.1f%%", 100 * Double(part) / Double(plan.baselineFeeMicroUSDT)) }
        print("fees for \(plan.payouts) payouts (9,000 × 0.10, 900 × 5, 100 × 250 USDT): every task alone on TRC-20 \(usdt(plan.baselineFeeMicroUSDT))")
        print("  network choice alone: \(usdt(plan.chosenUnbatchedFeeMicroUSDT)), saved \(usdt(plan.savedByChoiceMicroUSDT)) (\(percent(plan.savedByChoiceMicroUSDT)))")
        print("  network choice + batching: \(usdt(plan.chosenBatchedFeeMicroUSDT)), saved \(usdt(plan.savedMicroUSDT)) (\(percent(plan.savedMicroUSDT))) against the baseline; batching saved \(usdt(plan.savedByBatchingMicroUSDT)) of it")
        for network in PayoutNetwork.allCases {
            guard let n = plan.perNetwork[network] else { continue }
            print("    \(network): \(n.payouts) payouts in \(n.transactions) transaction(s), \(usdt(n.batchedFeeMicroUSDT)) batched vs \(usdt(n.unbatchedFeeMicroUSDT)) one by one")
        }
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}

extension Sequence {
    func asyncReduce<T>(_ initial: T, _ next: (T, Element) async throws -> T) async rethrows -> T {
        var value = initial
        for element in self { value = try await next(value, element) }
        return value
    }
}
