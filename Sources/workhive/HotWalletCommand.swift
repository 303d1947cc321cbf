import ArgumentParser
import Foundation
import WorkhiveChains

/// `workhive hot-wallet`: the operator's EVM payout keys, sealed in a keystore under WORKHIVE_WALLET_KEY.
/// Keys are never printed, logged or taken as command-line arguments (which `ps` and shell history show).
struct HotWalletCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hot-wallet",
        abstract: "Hot-wallet keys for EVM payouts (BEP-20, Arbitrum), sealed in a keystore under $WORKHIVE_WALLET_KEY.",
        discussion: "`workhive serve --bep20-rpc-url ...` pays from every wallet in DATA_DIR/keystore (or --keystore).",
        subcommands: [Create.self, Import.self, List.self])

    struct KeystoreOption: ParsableArguments {
        @Option(help: ArgumentHelp("Keystore directory (serve reads DATA_DIR/keystore unless given --keystore).", valueName: "dir"))
        var keystore = "./data/keystore"

        var store: HotWalletKeystore { HotWalletKeystore(directory: keystore) }
    }

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Make a new random key and store it sealed; prints its address.")
        @OptionGroup var options: KeystoreOption

        func run() throws {
            let address = try options.store.create(passphrase: try HotWalletKeystore.passphrase())
            print("hot wallet \(address) created in \(options.keystore)")
            print("fund it with USDT and with the chain's coin for gas (BNB on BSC, ETH on Arbitrum) before serving")
        }
    }

    struct Import: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Store an existing private key sealed: read from --key-file, or from standard input (a terminal does not echo it).")
        @OptionGroup var options: KeystoreOption
        @Option(help: ArgumentHelp("File holding the private key as 64 hex digits.", valueName: "path")) var keyFile: String?

        func run() throws {
            let passphrase = try HotWalletKeystore.passphrase()
            let text: String
            if let keyFile {
                guard let data = FileManager.default.contents(atPath: keyFile) else { throw ValidationError("cannot read \(keyFile)") }
                text = String(decoding: data, as: UTF8.self)
            } else if isatty(STDIN_FILENO) == 1, let typed = getpass("Private key (64 hex digits, not shown): ") {
                text = String(cString: typed)
            } else {
                text = readLine() ?? ""
            }
            guard let key = Hex.decode(text.trimmingCharacters(in: .whitespacesAndNewlines)), key.count == 32 else {
                throw KeystoreError.invalidPrivateKey
            }
            let address = try options.store.importKey(key, passphrase: passphrase)
            print("hot wallet \(address) imported into \(options.keystore)")
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the keystore's wallets; with $WORKHIVE_WALLET_KEY set, also whether it opens each.")
        @OptionGroup var options: KeystoreOption

        func run() throws {
            let entries = try options.store.entries()
            guard !entries.isEmpty else {
                print("no hot wallet in \(options.keystore)")
                return
            }
            let passphrase = try? HotWalletKeystore.passphrase()
            var unopened = 0
            for entry in entries {
                var state = ""
                if let passphrase {
                    do {
                        _ = try options.store.unlock(entry, passphrase: passphrase)
                        state = "\topens"
                    } catch {
                        state = "\tdoes not open: \(error)"
                        unopened += 1
                    }
                }
                print("\(entry.address)\t\(entry.path)\(state)")
            }
            if unopened > 0 { throw ExitCode(1) }
        }
    }
}
