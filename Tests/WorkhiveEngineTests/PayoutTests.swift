import Foundation
import Testing
import WorkhiveChains
import WorkhiveCore
@testable import WorkhiveEngine
import WorkhiveTestSupport

@Suite struct PayoutTests {
    @Test(arguments: TestEngine.available) func addressesAreValidatedPerNetworkAndNormalized(engine: TestEngine) async throws {
        let rig = try await PayoutRig.make(engine)
        let h = rig.h, m = rig.market
        let workerOwner = try await h.owner("wo")
        let w = try await h.worker("w", owner: workerOwner)
        // Near misses: one character changed.
        for (network, address, code) in [
            ("trc20", "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6u", "bad_checksum"),
            ("bep20", "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD", "bad_checksum"),
            ("arbitrum", "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAe", "bad_length"),
            ("ton", "EQCxE6mUtQJKFnGfaROTKOt1lZbDiiX1kCixRv7Nw2Id_sDt", "bad_checksum"),
            ("trc20", "", "empty"),
        ] {
            let error = try await h.expectError(.invalidAddress) { try await m.setPayoutAddress(w, network: network, address: address) }
            #expect(error?.message.contains(code) == true, "\(network) \(address): \(String(describing: error))")
            #expect(error?.message.contains("address") == true)
        }
        try await h.expectError(.invalidRequest) { try await m.setPayoutAddress(w, network: "solana", address: TestAddresses.tron) }
        let owner = try await h.owner("o")
        try await h.expectError(.forbidden) { try await m.setPayoutAddress(owner, network: "trc20", address: TestAddresses.tron) }
        #expect(try await h.scalar("SELECT COUNT(*) FROM payout_addresses") == 0)

        #expect(try await rig.setAddress(w, .trc20, " \(TestAddresses.tron) ").address == TestAddresses.tron)
        let lower = "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed"
        #expect(try await rig.setAddress(w, .bep20, lower).address == "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed")
        #expect(try await rig.setAddress(w, .ton, "0:b113a994b5024a16719f69139328eb759596c38a25f59028b146fecdc3621dfe").address == TestAddresses.ton)
        // Setting again replaces.
        #expect(try await rig.setAddress(w, .bep20, "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359").address == "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359")

        let view = try await h.checked { try await m.setPayoutPreference(w, "low_fee") }
        #expect(view.preference == "low_fee")
        #expect(view.addresses.map(\.network) == ["trc20", "bep20", "ton"])
        #expect(view.addresses[1].address == "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359")
        try await h.expectError(.invalidRequest) { try await m.setPayoutPreference(w, "cheap") }
        #expect(try await m.payoutAddresses(w).preference == "low_fee")
        // The worker's owner can read them; another owner cannot, and an owner must name the worker.
        #expect(try await m.payoutAddresses(workerOwner, worker: w.workerID).addresses.count == 3)
        try await h.expectError(.notFound) { try await m.payoutAddresses(owner, worker: w.workerID) }
        try await h.expectError(.invalidRequest) { try await m.payoutAddresses(workerOwner) }
        try await h.checked { try await m.removePayoutAddress(w, network: "trc20") }
        try await h.expectError(.notFound) { try await m.removePayoutAddress(w, network: "trc20") }
        #expect(try await m.payoutAddresses(w).addresses.map(\.network) == ["bep20", "ton"])
    }

    @Test(arguments: TestEngine.available) func aWithdrawalIsQueuedSignedBroadcastAndConfirmedOnce(engine: TestEngine) async throws {
        let rig = try await PayoutRig.make(engine)
        let h = rig.h
        let w = try await rig.worker("w", earned: 50_000_000)
        let address = TestAddresses.evm(1)
        try await rig.setAddress(w, .bep20, address)
        let fees = FeeModel()

        let queued = try await rig.withdraw(w, 10_000_000)
        // The seed rule says TON for 10 USDT, but the worker has only a BEP-20 address.
        #expect(queued.state == .queued && queued.network == "bep20" && queued.rule == "cheapest_fallback")
        #expect(queued.reason.contains("no ton address"))
        #expect(queued.feeMicroUSDT == fees.transfer(on: .bep20, to: .newHolder).feeMicroUSDT)
        #expect(queued.sentMicroUSDT == 10_000_000 - queued.feeMicroUSDT && queued.origin == .withdrawal)
        #expect(try await h.available(w) == 40_000_000)

        let first = try await rig.pass()
        #expect(first.batchesSigned == 1 && first.payoutsSigned == 1 && first.broadcasts == 1)
        let sent = try await rig.payout(queued.id)
        #expect(sent.state == .broadcast)
        // The stored bytes are a real signed EIP-1559 USDT transfer from the hot wallet, hashed as stored.
        let batchID = try #require(sent.batchId)
        let rawHex = try #require(try await h.text("SELECT raw_tx FROM payout_batches WHERE id = ?", batchID))
        let raw = try #require(Hex.decode(rawHex))
        let tx = try SignedEIP1559Transaction(raw: raw)
        #expect(try tx.recoverSender().checksummed == DevnetPayoutSigner(network: .bep20).address)
        #expect(tx.transaction.chainID == 56 && tx.hashHex == sent.txHash)
        #expect(ERC20.decodeTransfer(tx.transaction.data)?.to.checksummed == address)

        try await rig.drain()
        let confirmed = try await rig.payout(queued.id)
        #expect(confirmed.state == .confirmed && confirmed.confirmedAtMillis != nil && confirmed.attempts == 0)
        #expect(await rig.devnet.balance(of: address, on: .bep20) == confirmed.sentMicroUSDT)
        #expect(try await h.available(w) == 40_000_000)
        try await rig.expectExactlyOnce([queued.id])
        // Paid before, so the next one is priced as a transfer to a holder.
        let again = try await rig.withdraw(w, 5_000_000)
        #expect(again.feeMicroUSDT == fees.transfer(on: .bep20, to: .holder).feeMicroUSDT)
        // The worker's history shows the payout leaving its balance.
        let history = try await h.market.wallet(w).history
        #expect(history.first?.reason == .payout && history.first?.amountMicroUSDT == -5_000_000)
    }

    @Test(arguments: TestEngine.available) func withdrawalsAreIdempotentAndBadRequestsWriteNothing(engine: TestEngine) async throws {
        let rig = try await PayoutRig.make(engine)
        let h = rig.h, m = rig.market
        let w = try await rig.worker("w", earned: 30_000_000)
        try await h.expectError(.noPayoutAddress) { try await m.requestPayout(w, amountMicroUSDT: 5_000_000) }
        try await rig.setAddress(w, .trc20, TestAddresses.tron)
        // TRC-20's minimum is 20 USDT.
        let below = try await h.expectError(.belowMinimumPayout) { try await m.requestPayout(w, amountMicroUSDT: 5_000_000) }
        #expect(below?.message.contains("20") == true)
        try await rig.setAddress(w, .ton, TestAddresses.ton)
        try await h.expectError(.noPayoutAddress) { try await m.requestPayout(w, amountMicroUSDT: 5_000_000, network: "bep20") }
        try await h.expectError(.invalidRequest) { try await m.requestPayout(w, amountMicroUSDT: 0) }
        try await h.expectError(.invalidRequest) { try await m.requestPayout(w, amountMicroUSDT: 5_000_000, network: "doge") }
        try await h.expectError(.forbidden) { try await m.requestPayout(try await h.owner("o"), amountMicroUSDT: 5_000_000) }
        try await h.expectError(.insufficientFunds) { try await m.requestPayout(w, amountMicroUSDT: 30_000_001) }
        #expect(try await h.scalar("SELECT COUNT(*) FROM payouts") == 0)
        #expect(try await h.available(w) == 30_000_000)

        let first = try await rig.withdraw(w, 10_000_000, network: .ton, key: "k1")
        #expect(first.network == "ton" && first.rule == "worker_preference")
        let retry = try await rig.withdraw(w, 10_000_000, network: .ton, key: "k1")
        #expect(retry == first)
        try await h.expectError(.idempotencyKeyReused) { try await m.requestPayout(w, amountMicroUSDT: 6_000_000, network: "ton", idempotencyKey: "k1") }
        #expect(try await h.scalar("SELECT COUNT(*) FROM payouts") == 1)
        #expect(try await h.scalar("SELECT COUNT(*) FROM transfers WHERE reason = 'payout'") == 1)
        #expect(try await h.available(w) == 20_000_000)
        // Another worker may use the same key.
        let other = try await rig.worker("o2", earned: 10_000_000)
        try await rig.setAddress(other, .ton, TestAddresses.ton)
        #expect(try await rig.withdraw(other, 10_000_000, key: "k1").id != first.id)
        #expect(try await m.payouts(w).map(\.id) == [first.id])
        try await h.expectError(.notFound) { try await m.payout(other, id: first.id) }
    }

    @Test(arguments: TestEngine.available) func automaticPayoutsWaitForTheThreshold(engine: TestEngine) async throws {
        let rig = try await PayoutRig.make(engine) { $0.automatic = .threshold(3_000_000) }
        let h = rig.h
        let requester = try await h.requester(funds: 50_000_000)
        let w = try await rig.worker("w", earned: 0)
        let noAddress = try await rig.worker("n", earned: 0)
        try await rig.setAddress(w, .bep20, TestAddresses.evm(2))
        for _ in 0..<2 {
            try await rig.earn(w, 1_000_000, requester: requester)
            try await rig.earn(noAddress, 1_000_000, requester: requester)
        }
        #expect(try await h.scalar("SELECT COUNT(*) FROM payouts") == 0)
        try await rig.earn(w, 1_000_000, requester: requester)
        try await rig.earn(noAddress, 1_000_000, requester: requester)
        let auto = try await h.market.payouts(w)
        #expect(auto.count == 1 && auto[0].amountMicroUSDT == 3_000_000 && auto[0].origin == .automatic)
        #expect(try await h.available(w) == 0)
        #expect(try await h.available(noAddress) == 3_000_000)
        try await rig.drain()
        try await rig.expectExactlyOnce(auto.map(\.id))
    }

    @Test(arguments: TestEngine.available) func immediateAutomaticPayoutsGoOutOnApproval(engine: TestEngine) async throws {
        let rig = try await PayoutRig.make(engine) { $0.automatic = .immediate }
        let w = try await rig.worker("w", earned: 0)
        try await rig.setAddress(w, .ton, TestAddresses.ton)
        try await rig.earn(w, 2_000_000)
        let auto = try await rig.market.payouts(w)
        #expect(auto.count == 1 && auto[0].amountMicroUSDT == 2_000_000 && auto[0].network == "ton")
        // Under TON's 1 USDT minimum: nothing goes out, the earnings wait.
        try await rig.earn(w, 500_000)
        #expect(try await rig.market.payouts(w).count == 1)
        #expect(try await rig.h.available(w) == 500_000)
    }

    @Test(arguments: TestEngine.available) func batchesWaitForSizeOrAgeAndRespectTheLimit(engine: TestEngine) async throws {
        let rig = try await PayoutRig.make(engine, walletsPerNetwork: 2) {
            $0.batchAtSize = 3
            $0.maxBatchAgeMillis = 60_000
            $0.maxBatchSize = 3
        }
        var ids: [PayoutID] = []
        func queue(_ i: Int) async throws {
            let w = try await rig.worker("w\(i)", earned: 5_000_000)
            try await rig.setAddress(w, .bep20, TestAddresses.evm(10 + i))
            ids.append(try await rig.withdraw(w, 5_000_000).id)
        }
        try await queue(0)
        try await queue(1)
        #expect(try await rig.pass().batchesSigned == 0)  // two waiting, young
        for i in 2..<7 { try await queue(i) }
        let full = try await rig.pass()
        #expect(full.batchesSigned == 2 && full.payoutsSigned == 6)  // two wallets, three each
        #expect(try await rig.h.scalar("SELECT MAX(payouts) FROM payout_batches") == 3)
        rig.h.clock.advance(seconds: 61)
        try await rig.drain()
        #expect(try await rig.h.scalar("SELECT COUNT(*) FROM payout_batches") == 3)
        try await rig.expectExactlyOnce(ids)
    }

    @Test(arguments: TestEngine.available) func theAuditCatchesAPayoutWhoseLegsDoNotMatchItsState(engine: TestEngine) async throws {
        let rig = try await PayoutRig.make(engine)
        let w = try await rig.worker("w", earned: 5_000_000)
        try await rig.setAddress(w, .ton, TestAddresses.ton)
        let p = try await rig.withdraw(w, 5_000_000)
        try await rig.market.database.write { tx in
            try await tx.execute("UPDATE payouts SET state = 'failed', failure_reason = 'x' WHERE id = ?", p.id)
        }
        let audit = try await LedgerAudit.run(rig.market.database)
        #expect(audit.problems.contains { $0.contains("payout \(p.id) is failed") })
        #expect(audit.problems.contains { $0.contains("payouts_in_flight holds 5000000 but the payouts say 0") })
    }

    @Test(arguments: TestEngine.available) func theOverviewCountsPayoutsByNetworkAndStateForAdminsOnly(engine: TestEngine) async throws {
        let rig = try await PayoutRig.make(engine) { $0.maxAttempts = 1 }
        let h = rig.h, m = rig.market
        let w = try await rig.worker("w", earned: 50_000_000)
        try await rig.setAddress(w, .bep20, TestAddresses.evm(1))
        try await rig.setAddress(w, .ton, TestAddresses.ton)
        let confirmed = try await rig.withdraw(w, 10_000_000, network: .bep20)
        try await rig.drain()
        await rig.devnet.inject(.revertNextTransaction, on: .ton)
        let failed = try await rig.withdraw(w, 5_000_000, network: .ton)
        try await rig.drain()
        let queued = try await rig.withdraw(w, 3_000_000, network: .bep20)

        let admin = try await h.admin()
        let o = try await m.payoutOverview(admin, recentLimit: 2)
        #expect(o.groups.map { "\($0.network)/\($0.state.rawValue)=\($0.count)" } == ["bep20/queued=1", "bep20/confirmed=1", "ton/failed=1"])
        #expect(o.count(.confirmed) == 1 && o.count(.queued, on: "bep20") == 1 && o.count(.queued, on: "ton") == 0)
        #expect(o.inFlightMicroUSDT == 3_000_000)
        #expect(o.paidOutMicroUSDT == confirmed.sentMicroUSDT && o.networkFeesMicroUSDT == confirmed.feeMicroUSDT)
        #expect(o.refundedMicroUSDT == 5_000_000)
        #expect(o.recent.map(\.id) == [queued.id, failed.id])
        #expect(try await rig.payout(failed.id).state == .failed)
        // The sums agree with the ledger's payout accounts.
        #expect(try await h.scalar("SELECT COALESCE(SUM(credits_posted - debits_posted),0) FROM accounts WHERE kind = 'paid_out'") == o.paidOutMicroUSDT)
        #expect(try await h.scalar("SELECT COALESCE(SUM(credits_posted - debits_posted),0) FROM accounts WHERE kind = 'payouts_in_flight'") == o.inFlightMicroUSDT)

        try await h.expectError(.forbidden) { try await m.payoutOverview(w) }
        try await h.expectError(.forbidden) { try await m.payoutOverview(try await h.owner("o")) }
    }
}
