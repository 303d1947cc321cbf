extension WorkhiveClient {
    /// Sends `body` to any API route and returns the JSON answer as the API wrote it (`.null` for
    /// a 204): for bridges, such as the MCP server, that pass API documents through unchanged.
    /// Non-2xx answers throw `WorkhiveAPIError` as the typed calls do.
    public func requestJSON(_ method: String, _ path: String, query: [(String, String?)] = [], json body: JSON? = nil,
                            headers: [(String, String)] = [], extraTimeout: Duration = .zero) async throws -> JSON {
        let response = try await callRaw(method, path, query: query, body: try body.map(Self.encode), headers: headers,
                                         extraTimeout: extraTimeout)
        if response.status == 204 || response.body.isEmpty { return .null }
        return try Self.decode(JSON.self, from: response)
    }
}
