import ArgumentParser
import Foundation
import WorkhiveChains
import WorkhiveCore
import WorkhiveEngine

/// `workhive serve` flags for payouts: the embedded devnet by default; BEP-20 and Arbitrum through
/// a real node (JSON-RPC) with keystore hot wallets when their RPC URL is given.
struct PayoutOptions: ParsableArguments {
    @Option(help: "Automatic payouts on approval: off, immediate, or threshold:<micro-USDT>.") var autoPayout = "off"
    @Flag(help: "Accept testnet-flagged addresses (mainnet-format validation is the default, on the devnet too).") var testnetAddresses = false
    @Flag(help: "Run no payout dispatcher (payouts stay queued).") var noPayoutDispatcher = false
    @Option(help: "Hot wallets per network on the embedded devnet.") var hotWallets = 2

    @OptionGroup var nodes: EVMNodeOptions

    func configuration() throws -> PayoutConfiguration {
        guard let automatic = AutomaticPayouts(autoPayout) else {
            throw ValidationError("--auto-payout must be off, immediate or threshold:<micro-USDT>")
        }
        guard hotWallets > 0 else { throw ValidationError("--hot-wallets must be positive") }
        _ = try nodes.evmConfigurations()
        var p = PayoutConfiguration()
        p.automatic = automatic
        p.mainnet = !testnetAddresses
        return p
    }

    /// The dispatcher, unless turned off: on the embedded devnet, with the networks given an RPC URL
    /// paid from the keystore's hot wallets through their nodes (each checked for its chain id first).
    func dispatcher(for market: Marketplace, dataDir: String) async throws -> PayoutDispatcher? {
        guard !noPayoutDispatcher else { return nil }
        var realRails: [PayoutNetwork: PayoutRail] = [:]
        let evm = try nodes.evmConfigurations()
        if !evm.isEmpty {
            let store = HotWalletKeystore(directory: nodes.keystore ?? dataDir + "/keystore")
            let keys = try store.unlockAll(passphrase: try HotWalletKeystore.passphrase())
            guard !keys.isEmpty else {
                throw PayoutSetupError(description: "no hot wallet in \(store.directory): create one with `workhive hot-wallet create --keystore \(store.directory)`")
            }
            for configuration in evm {
                let settlement: EVMRPCSettlement
                do { settlement = try await EVMRPCSettlement.connect(configuration) } catch {
                    throw PayoutSetupError(description: "\(configuration.network) at \(Self.redacted(configuration.rpcURL)): \(error)")
                }
                realRails[configuration.network] = PayoutRail(settlement: settlement, wallets: keys.map { EVMHotWallet(key: $0, settlement: settlement) })
                let chain = configuration.chain
                say("\(configuration.network): paying through \(Self.redacted(configuration.rpcURL)) (chain \(chain.chainID), token \(chain.usdtContract))")
                for key in keys {
                    let balance = (try? await settlement.tokenBalance(of: key.address)).map { "\($0) token units" } ?? "balance unknown"
                    say("  hot wallet \(key.address.checksummed): \(balance)")
                }
            }
        }
        return await PayoutDispatcher.devnet(market: market, walletsPerNetwork: hotWallets, realRails: realRails)
    }

    /// Scheme and host only: RPC URLs often carry an API key in the path or the user part.
    static func redacted(_ url: String) -> String {
        guard let parts = URLComponents(string: url), let scheme = parts.scheme, let host = parts.host else { return "the node" }
        return "\(scheme)://\(host)\(parts.port.map { ":\($0)" } ?? "")"
    }
}

/// BEP-20 and Arbitrum paid through a real node (JSON-RPC) instead of the devnet: `serve` flags that
/// are also configuration keys (`payouts.bep20.rpc_url` is `--bep20-rpc-url`; see `keys`).
struct EVMNodeOptions: ParsableArguments {
    @Option(name: .customLong("bep20-rpc-url"), help: ArgumentHelp("Pay BEP-20 through this JSON-RPC node instead of the devnet.", valueName: "url"))
    var bep20RPCURL: String?
    @Option(name: .customLong("bep20-token"), help: "USDT contract on that chain (default: the mainnet one).") var bep20Token: String?
    @Option(name: .customLong("bep20-chain-id"), help: "Chain id the node must report (default: mainnet's).") var bep20ChainID: UInt64?
    @Option(name: .customLong("bep20-token-decimals"), help: "Decimals of that token (default: mainnet USDT's).") var bep20Decimals: Int?
    @Option(name: .customLong("bep20-max-fee-wei"), help: "Never bid more than this per gas (default 10 gwei).") var bep20MaxFeeWei: UInt64?
    @Option(name: .customLong("bep20-confirmations"), help: "Count this many blocks for finality instead of the node's finalized block.")
    var bep20Confirmations: UInt64?

    @Option(name: .customLong("arbitrum-rpc-url"), help: ArgumentHelp("Pay Arbitrum through this JSON-RPC node instead of the devnet.", valueName: "url"))
    var arbitrumRPCURL: String?
    @Option(name: .customLong("arbitrum-token"), help: "USDT contract on that chain (default: the mainnet one).") var arbitrumToken: String?
    @Option(name: .customLong("arbitrum-chain-id"), help: "Chain id the node must report (default: mainnet's).") var arbitrumChainID: UInt64?
    @Option(name: .customLong("arbitrum-token-decimals"), help: "Decimals of that token (default: mainnet USDT's).") var arbitrumDecimals: Int?
    @Option(name: .customLong("arbitrum-max-fee-wei"), help: "Never bid more than this per gas (default 2 gwei).") var arbitrumMaxFeeWei: UInt64?
    @Option(name: .customLong("arbitrum-confirmations"), help: "Count this many blocks for finality instead of the node's finalized block (Ethereum's, ~15 min).")
    var arbitrumConfirmations: UInt64?

    @Option(help: ArgumentHelp("Hot-wallet keystore for the EVM networks (default: DATA_DIR/keystore); its keys open with $WORKHIVE_WALLET_KEY.", valueName: "dir"))
    var keystore: String?

    /// Configuration key, flag, and whether the value is a secret (node URLs often carry an API key).
    static let keys: [(key: String, flag: String, secret: Bool)] = ["bep20", "arbitrum"].flatMap { n in
        [("rpc_url", "rpc-url", true), ("token", "token", false), ("chain_id", "chain-id", false),
         ("token_decimals", "token-decimals", false), ("max_fee_wei", "max-fee-wei", false), ("confirmations", "confirmations", false)]
            .map { (key: "payouts.\(n).\($0.0)", flag: "--\(n)-\($0.1)", secret: $0.2) }
    } + [(key: "payouts.keystore", flag: "--keystore", secret: false)]

    /// The values given on the command line, by configuration key.
    var given: [String: String] {
        let values: [String?] = [bep20RPCURL, bep20Token, bep20ChainID.map(String.init), bep20Decimals.map(String.init),
                                 bep20MaxFeeWei.map(String.init), bep20Confirmations.map(String.init),
                                 arbitrumRPCURL, arbitrumToken, arbitrumChainID.map(String.init), arbitrumDecimals.map(String.init),
                                 arbitrumMaxFeeWei.map(String.init), arbitrumConfirmations.map(String.init), keystore]
        return Dictionary(uniqueKeysWithValues: zip(Self.keys, values).compactMap { k, v in v.map { (k.key, $0) } })
    }

    /// Command-line arguments for values by configuration key (as `given` returns them, or as a file gives them).
    static func arguments(_ values: [String: String]) -> [String] {
        keys.flatMap { k in values[k.key].map { [k.flag, $0] } ?? [] }
    }

    /// The networks to pay through a node, from the flags.
    func evmConfigurations() throws -> [EVMSettlementConfiguration] {
        let (bsc, arbitrum) = (EVMChain.bsc, EVMChain.arbitrumOne)
        let rails: [(PayoutNetwork, String?, String, UInt64, Int, UInt64?, UInt64?)] = [
            (.bep20, bep20RPCURL, bep20Token ?? bsc.usdtContract.checksummed, bep20ChainID ?? bsc.chainID, bep20Decimals ?? bsc.usdtDecimals,
             bep20MaxFeeWei, bep20Confirmations),
            (.arbitrum, arbitrumRPCURL, arbitrumToken ?? arbitrum.usdtContract.checksummed, arbitrumChainID ?? arbitrum.chainID,
             arbitrumDecimals ?? arbitrum.usdtDecimals, arbitrumMaxFeeWei, arbitrumConfirmations),
        ]
        return try rails.compactMap { network, url, token, chainID, decimals, maxFee, confirmations in
            guard let url else { return nil }
            guard let parts = URLComponents(string: url), ["http", "https"].contains(parts.scheme ?? ""), parts.host != nil else {
                throw ValidationError("--\(network)-rpc-url must be an http(s) URL")
            }
            guard let contract = try? EVMAddress(token) else { throw ValidationError("--\(network)-token is not an EVM address (EIP-55)") }
            guard (6...30).contains(decimals) else { throw ValidationError("--\(network)-token-decimals must be 6 to 30") }
            var c = EVMSettlementConfiguration(network: network, rpcURL: url)
            c.chain = EVMChain(network: network, chainID: chainID, usdtContract: contract, usdtDecimals: decimals)
            if let maxFee {
                c.feeCaps.maxFeePerGasWei = UInt256(maxFee)
                c.feeCaps.maxPriorityFeePerGasWei = min(c.feeCaps.maxPriorityFeePerGasWei, UInt256(maxFee))
            }
            if let confirmations {
                guard confirmations > 0 else { throw ValidationError("--\(network)-confirmations must be positive") }
                c.useFinalizedTag = false
                c.confirmations = confirmations
            }
            return c
        }
    }

}

/// Why `serve` cannot pay where it was told to; printed as it is, without the usage text.
struct PayoutSetupError: Error, CustomStringConvertible {
    let description: String
}
