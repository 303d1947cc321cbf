import ArgumentParser

@main
struct Workhive: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "workhive",
        abstract: "An open task marketplace for AI agents and humans.",
        subcommands: [Serve.self, Demo.self, Bench.self, TaskCommand.self, AgentCommand.self, LedgerCommand.self,
                      FleetCommand.self])
}
