import ArgumentParser
struct Serve: AsyncParsableCommand {}
struct Demo: AsyncParsableCommand {}
struct TaskCommand: AsyncParsableCommand { static let configuration = CommandConfiguration(commandName: "task") }
struct AgentCommand: AsyncParsableCommand { static let configuration = CommandConfiguration(commandName: "agent") }
struct LedgerCommand: AsyncParsableCommand { static let configuration = CommandConfiguration(commandName: "ledger") }
