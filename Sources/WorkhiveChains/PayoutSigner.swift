import Crypto
import Foundation

/// A transaction that pays one or more recipients, as stored before broadcast.
public struct SignedPayoutTransaction: Hashable, Sendable {
    public let raw: [UInt8]
    /// keccak256 of `raw`: the hash EVM nodes and the devnet answer for it.
    public let hash: TransactionHash

    public init(raw: [UInt8]) {
        self.raw = raw
        hash = TransactionHash(bytes: Keccak.hash256(raw))
    }
}

/// A hot wallet on one network that turns a list of transfers into transaction bytes.
public protocol PayoutSigner: Sendable {
    var network: PayoutNetwork { get }
    /// The sender address, as the network spells it (EIP-55 on EVM chains).
    var address: String { get }
    /// The most transfers one transaction of this wallet pays (1 for a plain ERC-20 transfer).
    var maxTransfersPerTransaction: Int { get }
    /// The wallet ready to sign one transaction now: a wallet whose transactions depend on the network's
    /// current state (EVM fees and gas) asks for it here, before the database transaction that signs, so
    /// no network call runs inside that transaction.
    func prepared() async throws -> any PayoutSigner
    func sign(nonce: UInt64, transfers: [DevnetTransaction.Transfer]) throws -> SignedPayoutTransaction
}

extension PayoutSigner {
    public var maxTransfersPerTransaction: Int { .max }
    public func prepared() async throws -> any PayoutSigner { self }
}

public enum PayoutSignerError: Error, Equatable, Sendable {
    case emptyBatch
    case badRecipient(String)
    case tooManyTransfers(Int, limit: Int)
    /// `sign` was called on a wallet that needs `prepared()` first.
    case notPrepared
}

/// The devnet's hot wallet. On BEP-20 and Arbitrum a single transfer is a real EIP-1559 ERC-20
/// `transfer`, signed with libsecp256k1, which the devnet checks (chain id, signature, sender nonce).
/// Batches, and TRON and TON, use the devnet's own multisend format: this module does not build
/// TRON or TON transactions or EVM multisend calls yet, and the devnet does not authenticate those.
public struct DevnetPayoutSigner: PayoutSigner {
    public let network: PayoutNetwork
    public let address: String
    private let key: Secp256k1Signer?
    private let fees: FeeSchedule

    /// A hot wallet whose EVM key is derived from `seed` (SHA-256 of it and the network), so a devnet
    /// run is reproducible; `index` tells several wallets of one network apart.
    public init(network: PayoutNetwork, seed: String = "workhive devnet", index: Int = 0, fees: FeeSchedule = .defaults) {
        self.network = network
        self.fees = fees
        if EVMChain.forNetwork(network) != nil {
            let digest = Array(SHA256.hash(data: Array("\(seed) hot wallet \(network.rawValue) \(index)".utf8)))
            let signer = try! Secp256k1Signer(privateKey: digest)  // a SHA-256 output is a valid key but for ~2^-128 odds
            key = signer
            address = signer.address.checksummed
        } else {
            key = nil
            address = "\(seed.replacingOccurrences(of: " ", with: "-"))-hot-\(network.rawValue)-\(index)"
        }
    }

    public func sign(nonce: UInt64, transfers: [DevnetTransaction.Transfer]) throws -> SignedPayoutTransaction {
        guard !transfers.isEmpty else { throw PayoutSignerError.emptyBatch }
        if transfers.count == 1, let key, let chain = EVMChain.forNetwork(network) {
            let t = transfers[0]
            guard let to = try? EVMAddress(t.to) else { throw PayoutSignerError.badRecipient(t.to) }
            let gasPrice = UInt64(network == .arbitrum ? fees.arbitrum.gasPriceWei : fees.bsc.gasPriceWei)
            let tx = EIP1559Transaction.usdtTransfer(
                chain: chain, nonce: nonce, to: to, amountMicroUSDT: t.amountMicroUSDT,
                maxPriorityFeePerGasWei: UInt256(gasPrice), maxFeePerGasWei: UInt256(gasPrice * 2), gasLimit: 100_000)
            return SignedPayoutTransaction(raw: tx.signed(by: key).raw)
        }
        return SignedPayoutTransaction(raw: DevnetTransaction(network: network, sender: address, nonce: nonce, transfers: transfers).encoded)
    }
}
