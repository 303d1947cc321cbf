import Testing
@testable import WorkhiveChains

@Suite struct PayoutFeePlanTests {
    @Test func choiceAndBatchingAgainstOneNetwork() throws {
        let everywhere = Set(PayoutNetwork.allCases)
        // 300 micro-payouts of 0.5 USDT (→ BEP-20, new holders) and 20 bounties of 150 USDT (→ Arbitrum, holders).
        let micro = Array(repeating: NetworkChoiceRequest(amountMicroUSDT: 500_000, addressNetworks: everywhere), count: 300)
        let bounties = Array(repeating: NetworkChoiceRequest(amountMicroUSDT: 150_000_000, addressNetworks: everywhere, holdsUSDTOn: everywhere), count: 20)
        let plan = try PayoutFeePlan(micro + bounties, baseline: .trc20, chooser: NetworkChooser(), batching: BatchCostModel())
        #expect(plan.payouts == 320)
        // Baseline: 300 × 4,012,050 (new TRON holders) + 20 × 2,032,050.
        #expect(plan.baselineFeeMicroUSDT == 300 * 4_012_050 + 20 * 2_032_050)
        #expect(plan.chosenUnbatchedFeeMicroUSDT == 300 * 1_530 + 20 * 5_040)
        // BEP-20: two batches of 150 new holders, each 30,000 + 150 × 31,500 = 4,755,000 gas = 142,650 micro-USDT.
        #expect(plan.perNetwork[.bep20] == .init(payouts: 300, transactions: 2, batchedFeeMicroUSDT: 2 * 142_650, unbatchedFeeMicroUSDT: 459_000))
        #expect(plan.perNetwork[.arbitrum]?.transactions == 1 && plan.perNetwork.count == 2)
        // Arbitrum: one batch of 20 holders: 35,000 + 20 × 19,000 = 415,000 gas × 0.02 gwei = 8.3e12 wei,
        // plus L1 (70 + 20 × 40) bytes × 16 × 0.5 gwei = 6.96e12 wei; 1.526e13 wei × 3,000 USDT = 45,780.
        #expect(plan.perNetwork[.arbitrum]!.batchedFeeMicroUSDT == 45_780)
        #expect(plan.chosenBatchedFeeMicroUSDT == 2 * 142_650 + 45_780)
        #expect(plan.savedMicroUSDT == plan.savedByChoiceMicroUSDT + plan.savedByBatchingMicroUSDT)
        #expect(plan.savedByBatchingMicroUSDT > 0 && plan.overFeeCap == 0)
    }

    @Test func noAddressFailsThePlan() {
        #expect(throws: NetworkChoiceError.noPayoutAddress) {
            try PayoutFeePlan([NetworkChoiceRequest(amountMicroUSDT: 1, addressNetworks: [])], baseline: .ton, chooser: NetworkChooser(), batching: BatchCostModel())
        }
    }
}
