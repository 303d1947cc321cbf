import Foundation

/// An external agent spoken to over A2A 1.0 (JSON-RPC binding), named by its agent card URL: how a
/// master agent delegates a sub-task outside the marketplace.
///
/// ```swift
/// let translator = try await A2AAgent.resolve("https://translator.example/.well-known/agent-card.json")
/// let reply = try await translator.send(text: "Translate to French", data: claim.task.payload)
/// try await master.submit(claimID: claim.claimId, result: reply.result)
/// ```
public struct A2AAgent: Sendable {
    /// The agent card as the agent serves it (proto-JSON).
    public let card: JSON
    /// The JSON-RPC endpoint of the card's interface at protocol 1.0.
    public let endpoint: String
    let transport: any WorkhiveTransport
    let headers: [(String, String)]
    var requestTimeout: Duration

    /// Fetches the card at `cardURL` (a full card URL, or a base URL to which
    /// `/.well-known/agent-card.json` is added) and picks its JSON-RPC interface at protocol 1.0.
    /// `bearerToken` is sent as `Authorization: Bearer` to agents that require it.
    public static func resolve(_ cardURL: String, bearerToken: String? = nil, transport: any WorkhiveTransport = AsyncHTTPClientTransport(),
                               requestTimeout: Duration = .seconds(60)) async throws -> A2AAgent {
        var url = cardURL
        if !url.hasSuffix(".json") {
            while url.hasSuffix("/") { url.removeLast() }
            url += "/.well-known/agent-card.json"
        }
        var headers = [("A2A-Version", "1.0")]
        if let bearerToken { headers.append(("Authorization", "Bearer \(bearerToken)")) }
        let response = try await transport.send(WorkhiveHTTPRequest(method: "GET", url: url, headers: headers + [("Accept", "application/json")]),
                                                timeout: requestTimeout)
        guard response.status == 200, let card = try? JSONDecoder().decode(JSON.self, from: Data(response.body)) else {
            throw A2AError(code: nil, message: "no agent card at \(url) (HTTP \(response.status))")
        }
        let interfaces = card["supportedInterfaces"]?.arrayValue ?? []
        guard let endpoint = interfaces.first(where: {
            $0["protocolBinding"]?.stringValue == "JSONRPC" && ($0["protocolVersion"]?.stringValue).map { $0 == "1.0" || $0.hasPrefix("1.0.") } == true
        })?["url"]?.stringValue else {
            throw A2AError(code: nil, message: "the agent card at \(url) offers no JSON-RPC interface at A2A 1.0")
        }
        return A2AAgent(card: card, endpoint: endpoint, transport: transport, headers: headers, requestTimeout: requestTimeout)
    }

    /// What the agent answered: the final state and its output (artifact parts, or the parts of a
    /// direct reply message).
    public struct Reply: Sendable {
        public var taskID: String?
        /// A TASK_STATE_* name (`TASK_STATE_COMPLETED`), or nil for a direct message reply.
        public var state: String?
        public var texts: [String]
        public var data: [JSON]

        /// One value for a Workhive submission: the single data part, else `{"text", "data"}`.
        public var result: JSON {
            if data.count == 1, texts.isEmpty { return data[0] }
            return .object(["text": .string(texts.joined(separator: "\n")), "data": .array(data)])
        }
    }

    /// Sends a message (text and/or a data part) and waits until the task the agent makes of it is
    /// final, polling `GetTask`; throws `A2AError` for a JSON-RPC error or a task that did not complete.
    public func send(text: String? = nil, data: JSON? = nil, metadata: [String: JSON] = [:], messageID: String = UUID().uuidString,
                     pollInterval: Duration = .milliseconds(500), timeout: Duration = .seconds(600)) async throws -> Reply {
        var parts: [JSON] = []
        if let text { parts.append(["text": .string(text)]) }
        if let data { parts.append(["data": data]) }
        let message: JSON = ["messageId": .string(messageID), "role": "ROLE_USER", "parts": .array(parts), "metadata": .object(metadata)]
        let sent = try await call("SendMessage", ["message": message])
        if let reply = sent["message"] { return Self.reply(parts: reply["parts"], taskID: nil, state: nil) }
        guard var task = sent["task"], let id = task["id"]?.stringValue else { throw A2AError(code: nil, message: "SendMessage answered neither a task nor a message") }
        let deadline = ContinuousClock.now + timeout
        while !Self.terminal.contains(task["status"]?["state"]?.stringValue ?? "") {
            guard ContinuousClock.now < deadline else { throw A2AError(code: nil, message: "A2A task \(id) did not finish in time") }
            try await Task.sleep(for: pollInterval)
            task = try await call("GetTask", ["id": .string(id)])
        }
        let state = task["status"]?["state"]?.stringValue
        guard state == "TASK_STATE_COMPLETED" else {
            let why = task["status"]?["message"]?["parts"]?[0]?["text"]?.stringValue ?? ""
            throw A2AError(code: nil, message: "A2A task \(id) ended \(state ?? "?") \(why)")
        }
        let output = (task["artifacts"]?.arrayValue ?? []).flatMap { $0["parts"]?.arrayValue ?? [] }
        return Self.reply(parts: .array(output), taskID: id, state: state)
    }

    /// `GetTask`: the agent's task as it is now (proto-JSON).
    public func task(id: String) async throws -> JSON { try await call("GetTask", ["id": .string(id)]) }

    static let terminal: Set<String> = ["TASK_STATE_COMPLETED", "TASK_STATE_FAILED", "TASK_STATE_CANCELED", "TASK_STATE_REJECTED",
                                        "TASK_STATE_INPUT_REQUIRED", "TASK_STATE_AUTH_REQUIRED"]

    static func reply(parts: JSON?, taskID: String?, state: String?) -> Reply {
        let all = parts?.arrayValue ?? []
        return Reply(taskID: taskID, state: state, texts: all.compactMap { $0["text"]?.stringValue }, data: all.compactMap { $0["data"] })
    }

    /// One JSON-RPC call; returns `result` or throws the error the agent answered.
    func call(_ method: String, _ params: JSON) async throws -> JSON {
        let body: JSON = ["jsonrpc": "2.0", "id": .string(UUID().uuidString), "method": .string(method), "params": params]
        let request = WorkhiveHTTPRequest(method: "POST", url: endpoint,
                                          headers: headers + [("Content-Type", "application/json"), ("Accept", "application/json")],
                                          body: Array(try JSONEncoder().encode(body)))
        let response = try await transport.send(request, timeout: requestTimeout)
        guard let answer = try? JSONDecoder().decode(JSON.self, from: Data(response.body)) else {
            throw A2AError(code: nil, message: "\(method): HTTP \(response.status) without a JSON-RPC answer")
        }
        if let error = answer["error"] {
            throw A2AError(code: error["code"]?.intValue.map(Int.init), message: error["message"]?.stringValue ?? "\(error)")
        }
        guard let result = answer["result"] else { throw A2AError(code: nil, message: "\(method): HTTP \(response.status), no result") }
        return result
    }
}

/// An A2A agent refused or failed: `code` is the JSON-RPC error code when it answered one.
public struct A2AError: Error, Sendable, CustomStringConvertible {
    public var code: Int?
    public var message: String
    public var description: String { code.map { "A2A error \($0): \(message)" } ?? "A2A: \(message)" }
}
