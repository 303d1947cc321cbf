import ArgumentParser
import Foundation
import Logging
import WorkhiveMCP

struct MCPCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mcp",
        abstract: "Serve the Model Context Protocol over stdio: marketplace tools for an LLM agent.",
        discussion: """
            Reads the API key from WORKHIVE_API_KEY (a worker's key to claim and submit, an owner's to post tasks) \
            and the server from WORKHIVE_URL (default http://127.0.0.1:8080). Logs go to standard error; \
            standard output carries the protocol.
            """)

    @Option(help: "The Workhive server (default: $WORKHIVE_URL, else http://127.0.0.1:8080).") var url: String?

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        guard let key = environment["WORKHIVE_API_KEY"], !key.isEmpty else {
            throw ValidationError("set WORKHIVE_API_KEY to a Workhive API key (a worker's to work, an owner's to post tasks)")
        }
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = .warning
            return handler
        }
        let baseURL = url ?? environment["WORKHIVE_URL"] ?? "http://127.0.0.1:8080"
        try await WorkhiveMCPServer.run(baseURL: baseURL, apiKey: key, logger: Logger(label: "workhive.mcp"))
    }
}
