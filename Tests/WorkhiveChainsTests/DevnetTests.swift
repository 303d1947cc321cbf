import Testing
@testable import WorkhiveChains

@Suite struct DevnetTests {
    let hotKey = Keccak.hash256("devnet hot wallet")
    var signer: Secp256k1Signer { try! Secp256k1Signer(privateKey: hotKey) }
    let worker = try! EVMAddress(bytes: Array(Keccak.hash256("worker").prefix(20)))

    func usdt(_ chain: EVMChain, nonce: UInt64, micro: Int64, to: EVMAddress? = nil) -> [UInt8] {
        EIP1559Transaction.usdtTransfer(
            chain: chain, nonce: nonce, to: to ?? worker, amountMicroUSDT: micro,
            maxPriorityFeePerGasWei: 0, maxFeePerGasWei: 50_000_000, gasLimit: 80_000
        ).signed(by: signer).raw
    }

    @Test func signedUSDTTransferSettlesOnceAndBecomesFinal() async throws {
        let devnet = Devnet()
        let bsc = await devnet.settlement(.bep20)
        #expect(bsc.finalityConfirmations == 2)
        let hot = signer.address.checksummed
        await devnet.mint(100_000_000, to: hot, on: .bep20)
        let raw = usdt(.bsc, nonce: 0, micro: 12_340_000)
        let hash = try await bsc.broadcast(raw)
        #expect(hash.bytes == Keccak.hash256(raw))
        #expect(try await bsc.status(of: hash) == .pending)
        await devnet.advance(byMillis: 749)
        #expect(try await bsc.status(of: hash) == .pending)
        await devnet.advance(byMillis: 1)
        #expect(try await bsc.status(of: hash) == .included(block: 1, confirmations: 1, isFinal: false, succeeded: true))
        // The same bytes again are "already known": same hash, paid once.
        #expect(try await bsc.broadcast(raw) == hash)
        await devnet.advance(byMillis: 750)
        #expect(try await bsc.status(of: hash) == .included(block: 1, confirmations: 2, isFinal: true, succeeded: true))
        #expect(await devnet.balance(of: worker.checksummed, on: .bep20) == 12_340_000)
        #expect(await devnet.balance(of: hot, on: .bep20) == 87_660_000)
        #expect(await devnet.feesPaid(by: hot, on: .bep20) == 1_530)  // new holder, default BSC fee
        #expect(try await bsc.nextNonce(of: hot) == 1)
        // A different transaction reusing nonce 0 is "nonce too low".
        await #expect(throws: SettlementError.nonceTooLow(expected: 1, got: 0)) { try await bsc.broadcast(usdt(.bsc, nonce: 0, micro: 1)) }
        // A second transfer to the now-holder costs the holder fee.
        _ = try await bsc.broadcast(usdt(.bsc, nonce: 1, micro: 1_000_000))
        await devnet.advance(byMillis: 750)
        #expect(await devnet.feesPaid(by: hot, on: .bep20) == 1_530 + 1_020)
    }

    @Test func invalidTransactionsAreRejected() async throws {
        let devnet = Devnet()
        let bsc = await devnet.settlement(.bep20)
        await #expect(throws: SettlementError.rejected("chain id 42161 is not 56")) { try await bsc.broadcast(usdt(.arbitrumOne, nonce: 0, micro: 1)) }
        await #expect(throws: SettlementError.rejected("unknown transaction type")) { try await bsc.broadcast([0x01, 0x02]) }
        let ton = await devnet.settlement(.ton)
        await #expect(throws: SettlementError.rejected("ton does not take EVM transactions")) { try await ton.broadcast(usdt(.bsc, nonce: 0, micro: 1)) }
        let wrongNetwork = DevnetTransaction(network: .trc20, sender: "hot", nonce: 0, transfers: [.init(to: "w", amountMicroUSDT: 1)])
        await #expect(throws: SettlementError.rejected("a trc20 transaction sent to ton")) { try await ton.broadcast(wrongNetwork.encoded) }
    }

    @Test func devnetBatchPaysEveryoneForTheBatchFee() async throws {
        let devnet = Devnet()
        let ton = await devnet.settlement(.ton)
        await devnet.mint(10_000_000, to: "hot", on: .ton)
        await devnet.mint(1, to: "w1", on: .ton)  // w1 already holds USDT
        let tx = DevnetTransaction(network: .ton, sender: "hot", nonce: 0, transfers: [
            .init(to: "w1", amountMicroUSDT: 1_000_000), .init(to: "w2", amountMicroUSDT: 2_000_000), .init(to: "w3", amountMicroUSDT: 3_000_000),
        ])
        #expect(try DevnetTransaction(encoded: tx.encoded) == tx)
        let hash = try await ton.broadcast(tx.encoded)
        #expect(hash == tx.hash)
        await devnet.advance(byMillis: 2_500)
        #expect(try await ton.status(of: hash).isFinal)  // TON: final when included
        #expect(await devnet.balance(of: "w1", on: .ton) == 1_000_001)
        #expect(await devnet.balance(of: "w3", on: .ton) == 3_000_000)
        #expect(await devnet.balance(of: "hot", on: .ton) == 4_000_000)
        // One holder and two new holders in one batch: 4 + 12 + 2 × 23.5 = 63 million nanoTON × 3 USDT.
        #expect(await devnet.feesPaid(by: "hot", on: .ton) == 189_000)
    }

    @Test func droppedBroadcastIsUnknownUntilTheSameBytesAreSentAgain() async throws {
        let devnet = Devnet()
        let arb = await devnet.settlement(.arbitrum)
        let hot = signer.address.checksummed
        await devnet.mint(5_000_000, to: hot, on: .arbitrum)
        await devnet.inject(.dropNextBroadcast, on: .arbitrum)
        let raw = usdt(.arbitrumOne, nonce: 0, micro: 5_000_000)
        let hash = try await arb.broadcast(raw)
        await devnet.advance(byMillis: 10_000)
        #expect(try await arb.status(of: hash) == .unknown)
        #expect(try await arb.broadcast(raw) == hash)
        await devnet.advance(byMillis: 250 * 40)
        #expect(try await arb.status(of: hash).isFinal)
        #expect(await devnet.balance(of: worker.checksummed, on: .arbitrum) == 5_000_000)
    }

    @Test func revertUsesTheNonceAndFeeButMovesNoTokens() async throws {
        let devnet = Devnet()
        let tron = await devnet.settlement(.trc20)
        await devnet.mint(10_000_000, to: "hot", on: .trc20)
        await devnet.inject(.revertNextTransaction, on: .trc20)
        let first = DevnetTransaction(network: .trc20, sender: "hot", nonce: 0, transfers: [.init(to: "w", amountMicroUSDT: 4_000_000)])
        let hash = try await tron.broadcast(first.encoded)
        await devnet.advance(byMillis: 3_000)
        #expect(try await tron.status(of: hash) == .included(block: 1, confirmations: 1, isFinal: false, succeeded: false))
        #expect(await devnet.balance(of: "w", on: .trc20) == 0)
        #expect(await devnet.feesPaid(by: "hot", on: .trc20) == 4_012_050)
        #expect(try await tron.nextNonce(of: "hot") == 1)
        // Spending more than the balance reverts too (the token's own check).
        let tooMuch = DevnetTransaction(network: .trc20, sender: "hot", nonce: 1, transfers: [.init(to: "w", amountMicroUSDT: 10_000_001)])
        let h2 = try await tron.broadcast(tooMuch.encoded)
        await devnet.advance(byMillis: 3_000 * 19)
        #expect(try await tron.status(of: h2) == .included(block: 2, confirmations: 19, isFinal: true, succeeded: false))
        #expect(await devnet.balance(of: "hot", on: .trc20) == 10_000_000)
    }

    @Test func timeoutsLeaveTheOutcomeToALookup() async throws {
        let devnet = Devnet()
        let bsc = await devnet.settlement(.bep20)
        await devnet.mint(5_000_000, to: signer.address.checksummed, on: .bep20)
        let raw = usdt(.bsc, nonce: 0, micro: 1_000_000)
        let hash = TransactionHash(bytes: Keccak.hash256(raw))
        // The node got it but the answer was lost.
        await devnet.inject(.timeoutNextCall(broadcastAccepted: true), on: .bep20)
        await #expect(throws: SettlementError.timeout) { try await bsc.broadcast(raw) }
        #expect(try await bsc.status(of: hash) == .pending)
        // A lookup can time out too.
        await devnet.inject(.timeoutNextCall(broadcastAccepted: false), on: .bep20)
        await #expect(throws: SettlementError.timeout) { try await bsc.status(of: hash) }
        #expect(try await bsc.broadcast(raw) == hash)
        // The node never got it: unknown, and a re-broadcast of the same bytes goes in.
        let second = usdt(.bsc, nonce: 1, micro: 1_000_000)
        await devnet.inject(.timeoutNextCall(broadcastAccepted: false), on: .bep20)
        await #expect(throws: SettlementError.timeout) { try await bsc.broadcast(second) }
        #expect(try await bsc.status(of: TransactionHash(bytes: Keccak.hash256(second))) == .unknown)
        _ = try await bsc.broadcast(second)
        await devnet.advance(byMillis: 1_500)
        #expect(await devnet.balance(of: worker.checksummed, on: .bep20) == 2_000_000)
    }

    @Test func reorgBeforeFinalityReincludesOrLosesTransactions() async throws {
        let devnet = Devnet()
        let tron = await devnet.settlement(.trc20)
        await devnet.mint(10_000_000, to: "hot", on: .trc20)
        let tx = DevnetTransaction(network: .trc20, sender: "hot", nonce: 0, transfers: [.init(to: "w", amountMicroUSDT: 1_000_000)])
        let hash = try await tron.broadcast(tx.encoded)
        await devnet.advance(byMillis: 3_000 * 3)  // mined in block 1, two blocks on top
        #expect(try await tron.status(of: hash) == .included(block: 1, confirmations: 3, isFinal: false, succeeded: true))
        // Replace the last three blocks: the transaction goes back to the mempool and lands in block 1 again.
        await devnet.inject(.reorgBeforeNextBlock(depth: 3, dropTransactions: false), on: .trc20)
        await devnet.advance(byMillis: 3_000)
        #expect(try await tron.status(of: hash) == .included(block: 1, confirmations: 1, isFinal: false, succeeded: true))
        #expect(await devnet.balance(of: "w", on: .trc20) == 1_000_000)
        #expect(await devnet.feesPaid(by: "hot", on: .trc20) == 4_012_050)

        // This time the reorg loses it: unknown, balance and nonce taken back; the stored bytes go in again.
        await devnet.inject(.reorgBeforeNextBlock(depth: 5, dropTransactions: true), on: .trc20)
        await devnet.advance(byMillis: 3_000)
        #expect(try await tron.status(of: hash) == .unknown)
        #expect(await devnet.balance(of: "w", on: .trc20) == 0)
        #expect(try await tron.nextNonce(of: "hot") == 0)
        #expect(await devnet.feesPaid(by: "hot", on: .trc20) == 0)
        #expect(try await tron.broadcast(tx.encoded) == hash)
        await devnet.advance(byMillis: 3_000 * 19)
        #expect(try await tron.status(of: hash).isFinal)
        #expect(await devnet.balance(of: "w", on: .trc20) == 1_000_000)
        #expect(await devnet.finalTransfers(on: .trc20).count == 1)
    }

    @Test func reorgNeverTouchesFinalBlocks() async throws {
        let devnet = Devnet()
        let bsc = await devnet.settlement(.bep20)
        await devnet.mint(5_000_000, to: signer.address.checksummed, on: .bep20)
        let hash = try await bsc.broadcast(usdt(.bsc, nonce: 0, micro: 1_000_000))
        await devnet.advance(byMillis: 1_500)  // block 1 (with it) and block 2: final at 2 confirmations
        #expect(try await bsc.status(of: hash).isFinal)
        await devnet.inject(.reorgBeforeNextBlock(depth: 10, dropTransactions: true), on: .bep20)
        await devnet.advance(byMillis: 750)
        // Only block 2 (not final) was taken back and produced anew, so the head is 2 after three block
        // times; the transaction stays in final block 1.
        #expect(await devnet.headBlock(on: .bep20) == 2)
        #expect(try await bsc.status(of: hash) == .included(block: 1, confirmations: 2, isFinal: true, succeeded: true))
    }

    /// A small retry loop of the kind the payout dispatcher will run: sign once, store the bytes, and on
    /// any doubt re-broadcast the same bytes and look the hash up. Under random drops, timeouts, reverts
    /// and reorgs, every payout ends confirmed exactly once or reverted (to be refunded), and the totals
    /// balance. The same seed replays the same run.
    @Test func randomFaultsEndEveryPayoutConfirmedOnceOrReverted() async throws {
        func run(seed: UInt64) async throws -> [String] {
            let devnet = Devnet(randomFaults: DevnetRandomFaults(dropPerMillion: 200_000, revertPerMillion: 100_000, timeoutPerMillion: 200_000, seed: seed))
            let bsc = await devnet.settlement(.bep20)
            await devnet.mint(1_000_000_000, to: "hot", on: .bep20)
            var outcomes: [String] = []
            var nonce: UInt64 = 0
            for i in 0..<30 {
                let tx = DevnetTransaction(network: .bep20, sender: "hot", nonce: nonce, transfers: [.init(to: "w\(i)", amountMicroUSDT: Int64(i + 1) * 1_000)])
                let stored = tx.encoded  // stored before the first broadcast
                if i % 7 == 3 { await devnet.inject(.reorgBeforeNextBlock(depth: 1, dropTransactions: i % 2 == 0), on: .bep20) }
                var final: TransactionStatus?
                for _ in 0..<50 where final == nil {
                    _ = try? await bsc.broadcast(stored)
                    await devnet.advance(byMillis: 750)
                    if let s = try? await bsc.status(of: tx.hash), s.isFinal { final = s }
                }
                guard case .included(_, _, true, let succeeded)? = final else {
                    Issue.record("payout \(i) never became final")
                    return outcomes
                }
                outcomes.append(succeeded ? "confirmed" : "reverted")
                nonce += 1
                let paid = await devnet.balance(of: "w\(i)", on: .bep20)
                #expect(paid == (succeeded ? Int64(i + 1) * 1_000 : 0), "payout \(i) paid \(paid)")
            }
            let confirmedTotal = outcomes.enumerated().filter { $0.element == "confirmed" }.reduce(Int64(0)) { $0 + Int64($1.offset + 1) * 1_000 }
            #expect(await devnet.balance(of: "hot", on: .bep20) == 1_000_000_000 - confirmedTotal)
            #expect(await devnet.finalTransfers(on: .bep20).count == outcomes.filter { $0 == "confirmed" }.count)
            return outcomes
        }
        let first = try await run(seed: 7)
        #expect(first.count == 30)
        #expect(first.contains("reverted") && first.contains("confirmed"))
        #expect(try await run(seed: 7) == first)
    }
}
