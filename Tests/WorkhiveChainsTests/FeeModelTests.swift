import Testing
@testable import WorkhiveChains

/// Expected figures are worked out by hand in the comments from the default schedule.
@Suite struct FeeModelTests {
    let model = FeeModel()

    @Test func tronEnergyAndBandwidthAtTheTRXPrice() {
        // 64,285 energy × 100 sun + 345 bytes × 1,000 sun = 6,773,500 sun = 6.7735 TRX × 0.30 USDT.
        let holder = model.transfer(on: .trc20, to: .holder)
        #expect(holder.nativeFee == 6_773_500 && holder.nativeUnit == .sun)
        #expect(holder.feeMicroUSDT == 2_032_050)
        // 130,285 energy: 13,028,500 + 345,000 sun = 13.3735 TRX.
        #expect(model.transfer(on: .trc20, to: .newHolder).feeMicroUSDT == 4_012_050)
    }

    @Test func bscGasAtTheFloorPrice() {
        // 34,000 gas × 0.05 gwei = 1.7e12 wei = 1.7e-6 BNB × 600 USDT.
        let holder = model.transfer(on: .bep20, to: .holder)
        #expect(holder.nativeFee == 1_700_000_000_000 && holder.nativeUnit == .wei)
        #expect(holder.feeMicroUSDT == 1_020)
        #expect(model.transfer(on: .bep20, to: .newHolder).feeMicroUSDT == 1_530)
    }

    @Test func arbitrumAddsTheL1DataPart() {
        // L2 40,000 × 0.02 gwei = 8e11 wei; L1 110 bytes × 16 × 0.5 gwei = 8.8e11 wei; 1.68e12 wei × 3,000 USDT.
        let holder = model.transfer(on: .arbitrum, to: .holder)
        #expect(holder.nativeFee == 1_680_000_000_000)
        #expect(holder.feeMicroUSDT == 5_040)
        // Dearer L1 data moves the fee even with L2 gas unchanged.
        var schedule = FeeSchedule()
        schedule.arbitrum.l1PricePerUnitWei *= 10
        // 8e11 + 8.8e12 = 9.6e12 wei × 3,000 USDT = 0.0288 USDT.
        #expect(FeeModel(schedule: schedule).transfer(on: .arbitrum, to: .holder).feeMicroUSDT == 28_800)
    }

    @Test func tonFeeIsTheConsumedPartNotTheAttachedAmount() {
        let holder = model.transfer(on: .ton, to: .holder)
        #expect(holder.nativeAttached == 50_000_000)
        #expect(holder.nativeFee == 14_500_000 && holder.nativeUnit == .nanoTON)
        #expect(holder.feeMicroUSDT == 43_500)  // 0.0145 TON × 3 USDT
        #expect(model.transfer(on: .ton, to: .newHolder).feeMicroUSDT == 78_000)
    }

    @Test func pricesAreConfiguration() {
        let cheapTRX = FeeModel(schedule: FeeSchedule(trxPriceMicroUSDT: 150_000))
        #expect(cheapTRX.transfer(on: .trc20, to: .holder).feeMicroUSDT == 1_016_025)
        var schedule = FeeSchedule()
        schedule.bsc.gasPriceWei = 1_000_000_000  // 1 gwei
        #expect(FeeModel(schedule: schedule).transfer(on: .bep20, to: .holder).feeMicroUSDT == 20_400)
    }

    @Test func conversionRoundsUpAndSaturates() {
        #expect(FeeModel.microUSDT(native: 1, unit: .wei, priceMicroUSDT: 1) == 1)
        #expect(FeeModel.microUSDT(native: 0, unit: .wei, priceMicroUSDT: 1_000) == 0)
        #expect(FeeModel.microUSDT(native: 1_000_000, unit: .sun, priceMicroUSDT: 300_000) == 300_000)
        #expect(FeeModel.microUSDT(native: .max, unit: .sun, priceMicroUSDT: .max) == .max)
    }
}

@Suite struct BatchCostModelTests {
    let batching = BatchCostModel()

    @Test func bscBatchOfHolders() {
        // 30,000 + 100 × 14,500 = 1,480,000 gas × 0.05 gwei × 600 USDT = 0.0444 USDT; alone 100 × 1,020.
        let c = batching.compare(on: .bep20, holders: 100, newHolders: 0)
        #expect(c.batchTransactions == 1)
        #expect(c.batchedFeeMicroUSDT == 44_400)
        #expect(c.unbatchedFeeMicroUSDT == 102_000)
        #expect(c.savedMicroUSDT == 57_600)
    }

    @Test func batchesSplitAtTheMaximumSize() {
        // 250 holders on BSC (max 200 per batch): two batches of 125, each 1,842,500 gas = 55,275 micro-USDT.
        let c = batching.compare(on: .bep20, holders: 250, newHolders: 0)
        #expect(c.batchTransactions == 2)
        #expect(c.batchedFeeMicroUSDT == 110_550)
        #expect(c.unbatchedFeeMicroUSDT == 255_000)
    }

    @Test func mixedRecipientsAndTron() {
        // 30,000 + 3 × 14,500 + 31,500 = 105,000 gas = 3,150 micro-USDT; alone 3 × 1,020 + 1,530.
        let mixed = batching.compare(on: .bep20, holders: 3, newHolders: 1)
        #expect(mixed.batchedFeeMicroUSDT == 3_150 && mixed.unbatchedFeeMicroUSDT == 4_590)
        // TRON: 615,000 energy × 100 sun + 920 bytes × 1,000 sun = 62,420,000 sun × 0.30 USDT.
        let tron = batching.compare(on: .trc20, holders: 10, newHolders: 0)
        #expect(tron.batchedFeeMicroUSDT == 18_726_000)
        #expect(tron.unbatchedFeeMicroUSDT == 20_320_500)
    }

    @Test func splitKeepsEveryRecipient() {
        for network in PayoutNetwork.allCases {
            for (h, n) in [(0, 1), (1, 0), (7, 393), (401, 0), (199, 2), (0, 1000)] {
                let c = batching.compare(on: network, holders: h, newHolders: n)
                let maxSize = FeeSchedule.defaults.maxBatchSize(network)
                #expect(c.recipients == h + n)
                #expect(c.batchTransactions == (h + n + maxSize - 1) / maxSize)
                #expect(c.batchedFeeMicroUSDT <= c.unbatchedFeeMicroUSDT)
            }
        }
        #expect(batching.compare(on: .ton, holders: 0, newHolders: 0).batchTransactions == 0)
        // A batch of one is a plain transfer.
        #expect(batching.compare(on: .ton, holders: 1, newHolders: 0).savedMicroUSDT == 0)
    }

    @Test func breakEven() {
        #expect(batching.breakEvenBatchSize(on: .bep20, recipient: .holder) == 2)
        #expect(batching.breakEvenBatchSize(on: .ton, recipient: .holder) == 2)
        // A batch overhead larger than what each recipient saves never pays off.
        var schedule = FeeSchedule()
        schedule.bsc.batchGasPerHolder = schedule.bsc.gasToHolder
        #expect(BatchCostModel(fees: FeeModel(schedule: schedule)).breakEvenBatchSize(on: .bep20, recipient: .holder) == nil)
    }
}
