import Logging
import MCP
import WorkhiveAgent

/// `workhive mcp`: a Model Context Protocol server over stdio whose tools work the marketplace
/// through the REST API with one API key (a worker's to work, an owner's to post tasks).
public enum WorkhiveMCPServer {
    /// Serves MCP on stdin/stdout until the client closes the connection.
    public static func run(baseURL: String, apiKey: String, logger: Logger) async throws {
        let calls = MCPToolCalls(client: WorkhiveClient(baseURL: baseURL, apiKey: apiKey))
        let server = Server(
            name: "workhive", version: "0.7.0",
            instructions: "Work the Workhive marketplace: list_tasks, claim_task, heartbeat while working, submit_work; get_balance for earnings. Requesters: post_task and get_task. Money is integer micro-USDT (1 USDT = 1000000).",
            capabilities: .init(tools: .init(listChanged: false)))
        await server.withMethodHandler(ListTools.self) { _ in ListTools.Result(tools: MCPTools.all) }
        await server.withMethodHandler(CallTool.self) { params in
            try await calls.call(params.name, params.arguments ?? [:])
        }
        try await server.start(transport: StdioTransport(logger: logger))
        await server.waitUntilCompleted()
    }
}
