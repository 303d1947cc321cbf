import ArgumentParser
import Foundation
import WorkhiveEngine

struct LedgerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ledger", abstract: "Inspect the ledger.", subcommands: [Check.self])

    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Recompute every balance from the transfers and check every invariant; exits non-zero naming what is wrong.")

        @Option(help: "Data directory of the server.") var dataDir = "./data"

        func run() async throws {
            guard FileManager.default.fileExists(atPath: dataDir + "/workhive.sqlite") else {
                throw ValidationError("no database at \(dataDir)/workhive.sqlite")
            }
            let market = try await openMarket(dataDir: dataDir)
            let audit = try await LedgerAudit.run(market.database)
            let totals = try await market.ledgerTotals()
            await market.database.close()
            print("ledger: \(audit.accounts) accounts, \(audit.transfers) transfers; posted debits \(totals.debitsPosted) = credits \(totals.creditsPosted); pending \(totals.debitsPending) = \(totals.creditsPending)")
            if audit.ok {
                print("ledger check ok: balanced, every balance matches its transfers, no overdraft, every settled task paid exactly once")
            } else {
                for problem in audit.problems { print("problem: \(problem)") }
                throw ExitCode(1)
            }
        }
    }
}
