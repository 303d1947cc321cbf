/// Prices and per-network fee parameters: configuration, not constants, because coin prices and gas
/// markets move. Defaults are 2025-26 figures (docs/chains.md lists them); every amount is
/// an integer in the network's smallest unit or in micro-USDT.
public struct FeeSchedule: Sendable, Hashable, Codable {
    /// Price of one whole coin in micro-USDT (1 USDT = 1,000,000).
    public var trxPriceMicroUSDT: Int64
    public var bnbPriceMicroUSDT: Int64
    public var ethPriceMicroUSDT: Int64
    public var tonPriceMicroUSDT: Int64

    public var tron: Tron
    public var bsc: EVM
    public var arbitrum: Arbitrum
    public var ton: TON

    /// TRC-20: a USDT transfer burns energy (or TRX at the energy price) and bandwidth.
    public struct Tron: Sendable, Hashable, Codable {
        public var energyPriceSun: Int64 = 100
        public var energyToHolder: Int64 = 64_285
        public var energyToNewHolder: Int64 = 130_285  // the recipient's balance slot is created
        public var bandwidthBytes: Int64 = 345
        public var bandwidthPriceSun: Int64 = 1_000
        // Batching through a multi-transfer contract: the token's own storage writes stay per recipient,
        // so only the per-transaction energy and bandwidth are shared.
        public var batchOverheadEnergy: Int64 = 15_000
        public var batchEnergyPerHolder: Int64 = 60_000
        public var batchEnergyPerNewHolder: Int64 = 126_000
        public var batchOverheadBandwidthBytes: Int64 = 280
        public var batchBandwidthBytesPerRecipient: Int64 = 64
        public var maxBatchSize: Int = 100
        public init() {}
    }

    /// An EVM chain without an L1 data part (BSC).
    public struct EVM: Sendable, Hashable, Codable {
        public var gasPriceWei: Int64 = 50_000_000  // BSC's 0.05 gwei floor; base fee 0
        public var gasToHolder: Int64 = 34_000
        public var gasToNewHolder: Int64 = 51_000
        // Batching through a multisend contract (one transferFrom per recipient): the 21,000 intrinsic
        // gas is paid once; each recipient still costs its balance writes and 64 bytes of calldata.
        public var batchOverheadGas: Int64 = 30_000
        public var batchGasPerHolder: Int64 = 14_500
        public var batchGasPerNewHolder: Int64 = 31_500
        public var maxBatchSize: Int = 200
        public init() {}
    }

    /// Arbitrum One: L2 execution gas plus the L1 data part, charged per calldata unit (16 per
    /// compressed byte) at the L1 price per unit the chain reports.
    public struct Arbitrum: Sendable, Hashable, Codable {
        public var gasPriceWei: Int64 = 20_000_000  // the 0.02 gwei floor
        public var gasToHolder: Int64 = 40_000
        public var gasToNewHolder: Int64 = 57_000
        public var l1PricePerUnitWei: Int64 = 500_000_000
        public var l1CompressedBytesPerTransfer: Int64 = 110
        public var batchOverheadGas: Int64 = 35_000
        public var batchGasPerHolder: Int64 = 19_000
        public var batchGasPerNewHolder: Int64 = 36_000
        public var batchOverheadL1Bytes: Int64 = 70
        public var batchL1BytesPerRecipient: Int64 = 40
        public var maxBatchSize: Int = 200
        public init() {}
    }

    /// TON: a jetton transfer attaches TON for forwarding and gas; the unspent part comes back as
    /// excess, so the fee is only what is consumed.
    public struct TON: Sendable, Hashable, Codable {
        public var attachedNanoTON: Int64 = 50_000_000
        public var consumedToHolderNanoTON: Int64 = 14_500_000
        public var consumedToNewHolderNanoTON: Int64 = 26_000_000  // deploys the recipient's jetton wallet
        // A highload wallet sends up to 254 transfers in one external message: the import and wallet
        // compute are paid once, each jetton transfer chain is still paid per recipient.
        public var batchOverheadNanoTON: Int64 = 4_000_000
        public var batchConsumedPerHolderNanoTON: Int64 = 12_000_000
        public var batchConsumedPerNewHolderNanoTON: Int64 = 23_500_000
        public var maxBatchSize: Int = 254
        public init() {}
    }

    public init(
        trxPriceMicroUSDT: Int64 = 300_000, bnbPriceMicroUSDT: Int64 = 600_000_000,
        ethPriceMicroUSDT: Int64 = 3_000_000_000, tonPriceMicroUSDT: Int64 = 3_000_000,
        tron: Tron = Tron(), bsc: EVM = EVM(), arbitrum: Arbitrum = Arbitrum(), ton: TON = TON()
    ) {
        self.trxPriceMicroUSDT = trxPriceMicroUSDT
        self.bnbPriceMicroUSDT = bnbPriceMicroUSDT
        self.ethPriceMicroUSDT = ethPriceMicroUSDT
        self.tonPriceMicroUSDT = tonPriceMicroUSDT
        self.tron = tron
        self.bsc = bsc
        self.arbitrum = arbitrum
        self.ton = ton
    }

    public static let defaults = FeeSchedule()

    public func maxBatchSize(_ network: PayoutNetwork) -> Int {
        switch network {
        case .trc20: tron.maxBatchSize
        case .bep20: bsc.maxBatchSize
        case .arbitrum: arbitrum.maxBatchSize
        case .ton: ton.maxBatchSize
        }
    }
}
