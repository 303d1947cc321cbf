import Foundation
import MCP
import WorkhiveAgent

/// Runs a tool by calling the REST API with the worker's or requester's own key, so every tool
/// follows the API's authorization rules and validation.
struct MCPToolCalls: Sendable {
    let client: WorkhiveClient

    /// An argument that is missing or of the wrong type: reported to the model as a tool error.
    struct ArgumentError: Error { let message: String }

    func call(_ name: String, _ arguments: [String: Value]) async throws -> CallTool.Result {
        let args = Arguments(values: arguments)
        do {
            return Self.success(try await run(name, args))
        } catch let error as ArgumentError {
            return Self.failure(code: "invalid_arguments", error.message)
        } catch let error as WorkhiveAPIError {
            return Self.failure(code: error.code, error.message)
        } catch let error as WorkhiveTransportError {
            return Self.failure(code: "unreachable", "the Workhive server did not answer: \(error)")
        }
    }

    private func run(_ name: String, _ args: Arguments) async throws -> JSON {
        switch name {
        case "list_tasks":
            return try await client.requestJSON("GET", "/v1/tasks", query: [
                ("task_type", try args.string("task_type")), ("state", try args.string("state")),
                ("limit", String(try args.int("limit") ?? 20)),
            ])
        case "claim_task":
            let wait = try args.number("wait_seconds") ?? 5
            var body: [String: JSON] = ["task_type": .string(try args.require(args.string("task_type"), "task_type")), "wait_seconds": .double(wait)]
            if let capabilities = try args.strings("capabilities") { body["capabilities"] = .array(capabilities.map(JSON.string)) }
            let claim = try await client.requestJSON("POST", "/v1/claims", json: .object(body), extraTimeout: .seconds(wait))
            return claim == .null ? ["claimed": false] : ["claimed": true, "claim": claim]
        case "submit_work":
            let claim = try args.require(args.int("claim_id"), "claim_id")
            guard let result = args.values["result"] else { throw ArgumentError(message: "missing required argument 'result'") }
            var body: [String: JSON] = ["result": Self.json(result)]
            if let proofs = try args.strings("proofs") { body["proofs"] = .array(proofs.map(JSON.string)) }
            return try await client.requestJSON("POST", "/v1/claims/\(claim)/submit", json: .object(body))
        case "heartbeat":
            let claim = try args.int("claim_id")
            let status = try args.string("status") ?? (claim == nil ? "idle" : "busy")
            var out: [String: JSON] = ["worker": try await client.requestJSON("POST", "/v1/workers/heartbeat", json: ["status": .string(status)])]
            if let claim { out["lease"] = try await client.requestJSON("POST", "/v1/claims/\(claim)/heartbeat") }
            return .object(out)
        case "get_balance":
            return try await client.requestJSON("GET", "/v1/wallet", query: [("limit", String(try args.int("history_limit") ?? 10))])
        case "post_task":
            var body = args.values
            let key = try args.string("idempotency_key")
            body["idempotency_key"] = nil
            for required in ["task_type", "title", "reward_micro_usdt"] where body[required] == nil {
                throw ArgumentError(message: "missing required argument '\(required)'")
            }
            return try await client.requestJSON("POST", "/v1/tasks", json: Self.json(.object(body)), headers: key.map { [("Idempotency-Key", $0)] } ?? [])
        case "get_task":
            let id = try args.require(args.int("task_id"), "task_id")
            var out: [String: JSON] = ["task": try await client.requestJSON("GET", "/v1/tasks/\(id)")]
            // Submissions are the requester's to read; others see the task alone.
            if let submissions = try? await client.requestJSON("GET", "/v1/tasks/\(id)/submissions") {
                out["submissions"] = submissions["submissions"] ?? .array([])
            }
            return .object(out)
        default:
            throw MCPError.invalidParams("Unknown tool: \(name)")
        }
    }

    static func success(_ value: JSON) -> CallTool.Result {
        CallTool.Result(content: [.text(text: text(value), annotations: nil, _meta: nil)], structuredContent: Optional<Value>.some(Self.value(value)), isError: false)
    }

    static func failure(code: String, _ message: String) -> CallTool.Result {
        let error: JSON = ["error": ["code": .string(code), "message": .string(message)]]
        return CallTool.Result(content: [.text(text: "\(code): \(message)", annotations: nil, _meta: nil)], structuredContent: Optional<Value>.some(value(error)), isError: true)
    }

    /// The result as JSON text, for clients that read only `content`.
    static func text(_ value: JSON) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "null"
    }

    static func json(_ value: Value) -> JSON {
        switch value {
        case .null: .null
        case .bool(let b): .bool(b)
        case .int(let i): .int(Int64(i))
        case .double(let d): .double(d)
        case .string(let s): .string(s)
        case .data(let mimeType, let data): .string("data:\(mimeType ?? "application/octet-stream");base64,\(data.base64EncodedString())")
        case .array(let items): .array(items.map(json))
        case .object(let members): .object(members.mapValues(json))
        }
    }

    static func value(_ json: JSON) -> Value {
        switch json {
        case .null: .null
        case .bool(let b): .bool(b)
        case .int(let i): .int(Int(i))
        case .double(let d): .double(d)
        case .string(let s): .string(s)
        case .array(let items): .array(items.map(value))
        case .object(let members): .object(members.mapValues(value))
        }
    }
}

/// Typed reads of tool arguments; a wrong type is an `ArgumentError` naming the argument.
struct Arguments {
    let values: [String: Value]

    func string(_ name: String) throws -> String? {
        guard let v = values[name], !v.isNull else { return nil }
        guard let s = v.stringValue else { throw MCPToolCalls.ArgumentError(message: "argument '\(name)' must be a string") }
        return s
    }
    func int(_ name: String) throws -> Int? {
        guard let v = values[name], !v.isNull else { return nil }
        if let i = v.intValue { return i }
        if let d = v.doubleValue, d.rounded() == d, abs(d) < 0x1p53 { return Int(d) }
        throw MCPToolCalls.ArgumentError(message: "argument '\(name)' must be an integer")
    }
    func number(_ name: String) throws -> Double? {
        guard let v = values[name], !v.isNull else { return nil }
        if let d = v.doubleValue { return d }
        if let i = v.intValue { return Double(i) }
        throw MCPToolCalls.ArgumentError(message: "argument '\(name)' must be a number")
    }
    func strings(_ name: String) throws -> [String]? {
        guard let v = values[name], !v.isNull else { return nil }
        guard let items = v.arrayValue, items.allSatisfy({ $0.stringValue != nil }) else {
            throw MCPToolCalls.ArgumentError(message: "argument '\(name)' must be an array of strings")
        }
        return items.compactMap(\.stringValue)
    }
    func require<T>(_ value: T?, _ name: String) throws -> T {
        guard let value else { throw MCPToolCalls.ArgumentError(message: "missing required argument '\(name)'") }
        return value
    }
}
