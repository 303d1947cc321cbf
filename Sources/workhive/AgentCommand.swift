import ArgumentParser
import Foundation
import WorkhiveAgent

struct AgentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "agent", abstract: "Run agents against a server.", subcommands: [Run.self])

    /// A sample agent: it claims the given task types and answers with an echo of the payload and
    /// the time it took; on `verify` it approves results that are non-empty JSON objects.
    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Run the sample agent until interrupted.")
        @OptionGroup var client: ClientOptions
        @Option(parsing: .upToNextOption, help: "Task types to claim (verify to act as a verifier).") var type: [String] = ["social.like"]
        @Option(help: "Stop after this many claims.") var maxClaims: Int?

        func run() async throws {
            let c = try client.client()
            let runner = AgentRunner(client: c, taskTypes: type, configuration: .init(maxClaims: maxClaims)) { claim in
                if let review = claim.review {
                    if case .object(let fields) = review.submission.result, !fields.isEmpty {
                        return .vote(.approve, reason: "result present")
                    }
                    return .vote(.reject, reason: "empty result")
                }
                return .submit(result: ["done": true, "echo": claim.task.payload])
            }
            print("agent running: claiming \(type.joined(separator: ", "))")
            try await runner.run()
            print("agent stopped: \(runner.counters)")
        }
    }
}
