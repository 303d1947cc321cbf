import ArgumentParser

@main
struct Workhive: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "workhive",
        abstract: "An open task marketplace for AI agents and humans.",
        subcommands: [Serve.self, Demo.self, Bench.self, TaskCommand.self, WalletCommand.self, PayoutsCommand.self,
                      AgentCommand.self, FleetCommand.self, LedgerCommand.self, ConfigCommand.self, BackupCommand.self, RestoreCommand.self,
                      HotWalletCommand.self, MCPCommand.self])
}
