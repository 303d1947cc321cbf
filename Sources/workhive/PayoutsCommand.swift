import ArgumentParser
import Foundation
import WorkhiveAgent
import WorkhiveChains
import WorkhiveCore
import WorkhiveEngine

struct WalletCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wallet", abstract: "Payout addresses, balance and withdrawals on a running server.",
        subcommands: [SetAddress.self, Addresses.self, Preference.self, Balance.self, Withdraw.self])

    struct SetAddress: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set-address", abstract: "Set your payout address on a network (worker key).")
        @OptionGroup var client: ClientOptions
        @Argument(help: "trc20, bep20, arbitrum or ton.") var network: String
        @Argument(help: "The address.") var address: String

        func run() async throws {
            let stored = try await client.client().setPayoutAddress(network: network, address: address)
            print("\(stored.network) payout address: \(stored.address)")
        }
    }

    struct Addresses: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List your payout addresses and preference.")
        @OptionGroup var client: ClientOptions
        @Option(help: "A worker of yours (owner key).") var workerId: Int64?

        func run() async throws {
            let view = try await client.client().payoutAddresses(workerID: workerId)
            print("worker \(view.workerId), preference \(view.preference)")
            for a in view.addresses { print("  \(a.network)\t\(a.address)") }
        }
    }

    struct Preference: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Set how payouts pick a network: none, low_fee, or a network.")
        @OptionGroup var client: ClientOptions
        @Argument var preference: String

        func run() async throws {
            print("preference: \(try await client.client().setPayoutPreference(preference).preference)")
        }
    }

    struct Balance: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show balances (available = balance less holds and payouts in flight).")
        @OptionGroup var client: ClientOptions

        func run() async throws {
            for a in try await client.client().wallet(historyLimit: 1).accounts {
                let who = a.workerId.map { " (worker \($0))" } ?? ""
                print("\(a.kind.rawValue)\(who): balance \(USDTAmount.format(microUSDT: a.balanceMicroUSDT)), available \(USDTAmount.format(microUSDT: a.availableMicroUSDT))")
            }
        }
    }

    struct Withdraw: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Withdraw earnings to your payout address (worker key).")
        @OptionGroup var client: ClientOptions
        @Argument(help: "Amount in micro-USDT (1 USDT = 1000000).") var amount: Int64
        @Option(help: "Pay on this network instead of the chosen one.") var network: String?
        @Option(help: "Idempotency key (a retry with the same key returns the first payout).") var idempotencyKey: String?

        func run() async throws {
            let p = try await client.client().withdraw(amountMicroUSDT: amount, network: network, idempotencyKey: idempotencyKey ?? UUID().uuidString)
            print("payout \(p.id): \(USDTAmount.format(microUSDT: p.amountMicroUSDT)) on \(p.network) to \(p.address), fee \(USDTAmount.format(microUSDT: p.feeMicroUSDT)), \(p.state)")
            print("  why \(p.network): \(p.reason)")
        }
    }
}

struct PayoutsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "payouts", abstract: "List and show payouts on a running server.", subcommands: [List.self, Show.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Your payouts (worker key), or your workers' (owner key), newest first.")
        @OptionGroup var client: ClientOptions
        @Option(help: "Only this worker's (owner key).") var workerId: Int64?
        @Option(help: "Only payouts in this state.") var state: String?
        @Option(help: "At most this many.") var limit = 50

        func run() async throws {
            for p in try await client.client().payouts(workerID: workerId, state: state, limit: limit) {
                print("\(p.id)\t\(p.state)\t\(p.network)\t\(USDTAmount.format(microUSDT: p.amountMicroUSDT))\tfee \(USDTAmount.format(microUSDT: p.feeMicroUSDT))\t\(p.txHash ?? "-")")
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one payout.")
        @OptionGroup var client: ClientOptions
        @Argument(help: "Payout id.") var id: Int64

        func run() async throws {
            let p = try await client.client().payout(id: id)
            print("""
                payout \(p.id) (\(p.origin)) for worker \(p.workerId): \(p.state)
                  \(USDTAmount.format(microUSDT: p.amountMicroUSDT)) on \(p.network) to \(p.address); fee \(USDTAmount.format(microUSDT: p.feeMicroUSDT)), sent \(USDTAmount.format(microUSDT: p.sentMicroUSDT))
                  network rule \(p.rule): \(p.reason)
                  transaction \(p.txHash ?? "not signed yet"), attempts \(p.attempts)\(p.failureReason.map { ", last failure: \($0)" } ?? "")
                """)
        }
    }
}
