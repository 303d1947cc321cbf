import Testing
@testable import WorkhiveChains

/// Default fees (new holder / holder, micro-USDT): TRC-20 4,012,050 / 2,032,050; BEP-20 1,530 / 1,020;
/// Arbitrum 6,060 / 5,040; TON 78,000 / 43,500. Default cap: 1% of the amount.
@Suite struct NetworkChooserTests {
    let chooser = NetworkChooser()
    let everywhere = Set(PayoutNetwork.allCases)

    func choose(_ amount: Int64, _ preference: NetworkPreference = .none, addresses: Set<PayoutNetwork>? = nil,
                holds: Set<PayoutNetwork> = [], chooser: NetworkChooser? = nil) throws -> NetworkChoice {
        try (chooser ?? self.chooser).choose(NetworkChoiceRequest(
            amountMicroUSDT: amount, preference: preference, addressNetworks: addresses ?? everywhere, holdsUSDTOn: holds))
    }

    @Test func seedDecisionTree() {
        #expect(NetworkChooser.seedRule(amountMicroUSDT: 999_999, preference: .lowFee).network == .trc20)
        #expect(NetworkChooser.seedRule(amountMicroUSDT: 1_000_000, preference: .lowFee).network == .bep20)
        #expect(NetworkChooser.seedRule(amountMicroUSDT: 100_000_001, preference: .none).network == .arbitrum)
        #expect(NetworkChooser.seedRule(amountMicroUSDT: 100_000_000, preference: .none).network == .ton)
        #expect(NetworkChooser.seedRule(amountMicroUSDT: 1_000_000, preference: .none).network == .ton)
    }

    @Test func seedRuleStandsWhenItsFeeIsReasonable() throws {
        let ton = try choose(50_000_000)
        #expect(ton.network == .ton && ton.rule == .seedRule && ton.estimatedFeeMicroUSDT == 78_000)
        #expect(ton.reason == "amounts from 1 to 100 USDT go to TON (fee 0.078 USDT)")
        let arbitrum = try choose(150_000_000)
        #expect(arbitrum.network == .arbitrum && arbitrum.rule == .seedRule && arbitrum.estimatedFeeMicroUSDT == 6_060)
        // 5 USDT to a TON holder: 0.0435 USDT is within 1%.
        #expect(try choose(5_000_000, holds: [.ton]).network == .ton)
    }

    @Test func feeModelOverridesAnUnreasonableSeedChoice() throws {
        // Under 1 USDT the tree says TRC-20, but 4.01 USDT of energy for 0.5 USDT is absurd.
        let micro = try choose(500_000)
        #expect(micro.network == .bep20 && micro.rule == .cheapestFallback && micro.withinFeeCap)
        #expect(micro.reason == "amounts under 1 USDT go to TRC-20 but its fee 4.01205 USDT is over 1.00% of 0.5 USDT; bep20 is the cheapest network with an address (fee 0.00153 USDT)")
        // 5 USDT to a new TON holder: 0.078 USDT is over 1%.
        #expect(try choose(5_000_000).network == .bep20)
        // With cheap energy the seed's TRC-20 stands: 1,302,850 sun × 0.001 USDT/TRX rounds up to 1,303.
        var schedule = FeeSchedule(trxPriceMicroUSDT: 1_000)
        schedule.tron.energyPriceSun = 10
        schedule.tron.bandwidthPriceSun = 0
        let cheapTron = try choose(500_000, chooser: NetworkChooser(fees: FeeModel(schedule: schedule)))
        #expect(cheapTron.network == .trc20 && cheapTron.rule == .seedRule && cheapTron.estimatedFeeMicroUSDT == 1_303)
    }

    @Test func lowFeePreferencePicksTheCheapest() throws {
        let c = try choose(50_000_000, .lowFee)
        #expect(c.network == .bep20 && c.rule == .lowestFee)
        // Without a BEP-20 address the cheapest remaining is Arbitrum.
        #expect(try choose(50_000_000, .lowFee, addresses: [.arbitrum, .ton, .trc20]).network == .arbitrum)
        // If BNB were dear, low fee follows the fee model rather than the tree's BEP-20.
        let dearBNB = NetworkChooser(fees: FeeModel(schedule: FeeSchedule(bnbPriceMicroUSDT: 60_000_000_000)))
        #expect(try choose(50_000_000, .lowFee, chooser: dearBNB).network == .arbitrum)
    }

    @Test func namedPreferenceIsHonouredWithinTheCap() throws {
        let tron = try choose(500_000_000, .network(.trc20), holds: [.trc20])
        #expect(tron.network == .trc20 && tron.rule == .workerPreference)
        // 4.01 USDT on a 50 USDT payout is over 1%: the tree decides instead, and the reason says why.
        let overCap = try choose(50_000_000, .network(.trc20))
        #expect(overCap.network == .ton && overCap.rule == .seedRule)
        #expect(overCap.reason.hasPrefix("the worker prefers trc20 but its fee 4.01205 USDT is over 1.00% of 50 USDT; "))
        let noAddress = try choose(50_000_000, .network(.arbitrum), addresses: [.ton])
        #expect(noAddress.network == .ton)
        #expect(noAddress.reason.hasPrefix("the worker prefers arbitrum but the worker has no arbitrum address"))
    }

    @Test func neverANetworkWithoutAnAddress() throws {
        for amount: Int64 in [1, 500_000, 5_000_000, 50_000_000, 500_000_000] {
            for preference: NetworkPreference in [.none, .lowFee, .network(.trc20), .network(.bep20), .network(.arbitrum), .network(.ton)] {
                for networks in [[PayoutNetwork.ton], [.trc20], [.arbitrum, .trc20], [.bep20, .ton]] {
                    let c = try choose(amount, preference, addresses: Set(networks))
                    #expect(networks.contains(c.network))
                }
            }
        }
        // The only address is dear: it is still chosen, flagged as over the cap.
        let onlyTON = try choose(500_000, addresses: [.ton])
        #expect(onlyTON.network == .ton && !onlyTON.withinFeeCap)
        #expect(onlyTON.reason.contains("the worker has no trc20 address"))
    }

    @Test func errors() {
        #expect(throws: NetworkChoiceError.noPayoutAddress) { try choose(5_000_000, addresses: []) }
        let tonOnly = NetworkChooser(policy: NetworkChoicePolicy(enabledNetworks: [.ton]))
        #expect(throws: NetworkChoiceError.noPayoutAddress) { try choose(5_000_000, addresses: [.bep20], chooser: tonOnly) }
        #expect(throws: NetworkChoiceError.nonPositiveAmount) { try choose(0) }
        let minimums = NetworkChooser(policy: NetworkChoicePolicy(minimumPayoutMicroUSDT: [.ton: 10_000_000, .bep20: 2_000_000]))
        #expect(throws: NetworkChoiceError.belowMinimum(minimumMicroUSDT: 2_000_000)) {
            try choose(1_500_000, addresses: [.ton, .bep20], chooser: minimums)
        }
        // Above BEP-20's minimum but below TON's: TON is not a candidate.
        let c = try? choose(5_000_000, addresses: [.ton, .bep20], holds: [.ton], chooser: minimums)
        #expect(c?.network == .bep20)
        #expect(c?.reason.contains("the amount is below ton's minimum payout of 10 USDT") == true)
    }

    @Test func preferenceParsing() {
        #expect(NetworkPreference(rawValue: "low_fee") == .lowFee)
        #expect(NetworkPreference(rawValue: "") == NetworkPreference.none)
        #expect(NetworkPreference(rawValue: "ton") == .network(.ton))
        #expect(NetworkPreference(rawValue: "solana") == nil)
        #expect(USDTAmount.format(microUSDT: 12_340_000) == "12.34 USDT")
        #expect(USDTAmount.format(microUSDT: 1_020) == "0.00102 USDT")
        #expect(USDTAmount.format(microUSDT: -5_000_000) == "-5 USDT")
    }
}
