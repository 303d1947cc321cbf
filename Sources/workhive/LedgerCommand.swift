import ArgumentParser
import Foundation
import WorkhiveEngine

struct LedgerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ledger", abstract: "Inspect the ledger.", subcommands: [Check.self])

    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Recompute every balance from the transfers and check every invariant; exits non-zero naming what is wrong.")

        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            if database.resolvedURL == nil, !FileManager.default.fileExists(atPath: database.dataDir + "/workhive.sqlite") {
                throw ValidationError("no database at \(database.dataDir)/workhive.sqlite")
            }
            let market = try await database.open()
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
