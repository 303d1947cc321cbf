/// Whether the recipient already holds USDT on the network: creating a balance costs more everywhere.
public enum RecipientKind: String, Sendable, Hashable, Codable, CaseIterable {
    case holder
    case newHolder = "new_holder"
}

/// The smallest unit a network charges its fee in.
public enum NativeUnit: String, Sendable, Hashable, Codable {
    case sun  // 10^-6 TRX
    case wei  // 10^-18 BNB or ETH
    case nanoTON = "nanoton"  // 10^-9 TON

    var perCoin: UInt64 {
        switch self {
        case .sun: 1_000_000
        case .wei: 1_000_000_000_000_000_000
        case .nanoTON: 1_000_000_000
        }
    }
}

/// What one transaction (a single transfer or a batch) is expected to cost.
public struct FeeEstimate: Sendable, Hashable, Codable {
    public let network: PayoutNetwork
    /// The fee in micro-USDT at the configured coin price, rounded up.
    public let feeMicroUSDT: Int64
    /// The fee in the network's own unit.
    public let nativeFee: Int64
    public let nativeUnit: NativeUnit
    /// Coin the hot wallet must attach beyond the fee (TON's forward amount, returned as excess).
    public let nativeAttached: Int64
    /// How the figure was reached, for logs and the payout record.
    public let detail: String
}

/// Fee estimates per network from a `FeeSchedule`. Pure arithmetic on integers.
public struct FeeModel: Sendable, Hashable {
    public var schedule: FeeSchedule

    public init(schedule: FeeSchedule = .defaults) { self.schedule = schedule }

    /// The fee of one USDT transfer on `network` to a recipient of the given kind.
    public func transfer(on network: PayoutNetwork, to recipient: RecipientKind) -> FeeEstimate {
        batch(on: network, holders: recipient == .holder ? 1 : 0, newHolders: recipient == .newHolder ? 1 : 0, asSingleTransfers: true)
    }

    /// The fee of paying `holders + newHolders` recipients in one batch transaction. Counts above the
    /// network's maximum batch size are not one transaction: use `BatchCostModel`, which splits them.
    public func batch(on network: PayoutNetwork, holders: Int, newHolders: Int) -> FeeEstimate {
        precondition(holders + newHolders <= schedule.maxBatchSize(network), "split batches with BatchCostModel")
        return batch(on: network, holders: holders, newHolders: newHolders, asSingleTransfers: false)
    }

    private func batch(on network: PayoutNetwork, holders: Int, newHolders: Int, asSingleTransfers single: Bool) -> FeeEstimate {
        precondition(holders >= 0 && newHolders >= 0 && holders + newHolders > 0, "a batch pays someone")
        let h = Int64(holders), n = Int64(newHolders)
        switch network {
        case .trc20:
            let t = schedule.tron
            let energy = single
                ? h * t.energyToHolder + n * t.energyToNewHolder
                : t.batchOverheadEnergy + h * t.batchEnergyPerHolder + n * t.batchEnergyPerNewHolder
            let bandwidth = single ? t.bandwidthBytes : t.batchOverheadBandwidthBytes + (h + n) * t.batchBandwidthBytesPerRecipient
            let sun = energy * t.energyPriceSun + bandwidth * t.bandwidthPriceSun
            return estimate(network, sun, .sun, price: schedule.trxPriceMicroUSDT, attached: 0,
                            "\(energy) energy × \(t.energyPriceSun) sun + \(bandwidth) bytes × \(t.bandwidthPriceSun) sun")
        case .bep20:
            let e = schedule.bsc
            let gas = single
                ? h * e.gasToHolder + n * e.gasToNewHolder
                : e.batchOverheadGas + h * e.batchGasPerHolder + n * e.batchGasPerNewHolder
            return estimate(network, gas * e.gasPriceWei, .wei, price: schedule.bnbPriceMicroUSDT, attached: 0,
                            "\(gas) gas × \(e.gasPriceWei) wei")
        case .arbitrum:
            let a = schedule.arbitrum
            let gas = single
                ? h * a.gasToHolder + n * a.gasToNewHolder
                : a.batchOverheadGas + h * a.batchGasPerHolder + n * a.batchGasPerNewHolder
            let l1Bytes = single ? a.l1CompressedBytesPerTransfer : a.batchOverheadL1Bytes + (h + n) * a.batchL1BytesPerRecipient
            let l1Wei = l1Bytes * 16 * a.l1PricePerUnitWei
            return estimate(network, gas * a.gasPriceWei + l1Wei, .wei, price: schedule.ethPriceMicroUSDT, attached: 0,
                            "L2 \(gas) gas × \(a.gasPriceWei) wei + L1 \(l1Bytes) bytes × 16 units × \(a.l1PricePerUnitWei) wei")
        case .ton:
            let t = schedule.ton
            let consumed = single
                ? h * t.consumedToHolderNanoTON + n * t.consumedToNewHolderNanoTON
                : t.batchOverheadNanoTON + h * t.batchConsumedPerHolderNanoTON + n * t.batchConsumedPerNewHolderNanoTON
            let attached = (h + n) * t.attachedNanoTON
            return estimate(network, consumed, .nanoTON, price: schedule.tonPriceMicroUSDT, attached: attached,
                            "\(consumed) nanoTON consumed of \(attached) attached (excess returns)")
        }
    }

    private func estimate(
        _ network: PayoutNetwork, _ native: Int64, _ unit: NativeUnit, price: Int64, attached: Int64, _ detail: String
    ) -> FeeEstimate {
        FeeEstimate(
            network: network, feeMicroUSDT: Self.microUSDT(native: native, unit: unit, priceMicroUSDT: price),
            nativeFee: native, nativeUnit: unit, nativeAttached: attached, detail: detail)
    }

    /// native × price / unitsPerCoin, rounded up so an estimate never understates the fee; 128-bit
    /// intermediate so wei amounts cannot overflow.
    static func microUSDT(native: Int64, unit: NativeUnit, priceMicroUSDT: Int64) -> Int64 {
        precondition(native >= 0 && priceMicroUSDT >= 0, "fees and prices are not negative")
        let product = UInt64(native).multipliedFullWidth(by: UInt64(priceMicroUSDT))
        guard product.high < unit.perCoin else { return .max }
        let (q, r) = unit.perCoin.dividingFullWidth(product)
        let rounded = q + (r > 0 ? 1 : 0)
        return rounded > UInt64(Int64.max) ? .max : Int64(rounded)
    }
}
