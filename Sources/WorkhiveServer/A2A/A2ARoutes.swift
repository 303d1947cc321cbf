import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import WorkhiveCore
import WorkhiveEngine

/// A2A 1.0 over JSON-RPC: the agent card at `/.well-known/agent-card.json` (anonymous) and the
/// JSON-RPC endpoint `POST /v1/a2a` (authenticated like every /v1 route). Each method is one engine
/// operation with the caller's principal, so A2A follows the REST API's authorization rules.
struct A2ARoutes {
    let marketplace: Marketplace
    let configuration: A2AConfiguration
    /// Open streams per key and in all, shared with the event WebSockets.
    let streams: ConnectionQuota
    /// How often a stream looks at its task.
    var pollInterval: Duration = .milliseconds(200)

    func register(on router: Router<WorkhiveRequestContext>) {
        router.get("/.well-known/agent-card.json") { request, _ in
            rawJSON(configuration.card(baseURL: Self.baseURL(request)))
        }
        router.post("/v1/a2a") { request, context in
            let principal = try context.requirePrincipal()
            var request = request
            let bytes = try await request.collectBody(upTo: TaskSpec.maxPayloadBytes + 64 * 1024)
            return await handle(bytes, request: request, principal: principal)
        }
    }

    private func handle(_ bytes: ByteBuffer, request: Request, principal: Principal) async -> Response {
        guard let envelope = try? JSONValue.parse(String(buffer: bytes)) else {
            return rawJSON(A2AError.parse("the request body is not valid JSON").response(id: .null))
        }
        let id = envelope["id"] ?? .null
        do {
            guard case .object = envelope, envelope["jsonrpc"]?.stringValue == "2.0", let method = envelope["method"]?.stringValue else {
                throw A2AError.invalidRequest("a JSON-RPC 2.0 request object with a method is required")
            }
            if let version = request.headers[.a2aVersion], !version.isEmpty, !(version == "1.0" || version.hasPrefix("1.0.")) {
                throw A2AError.versionNotSupported(version)
            }
            let params = envelope["params"] ?? .object([:])
            guard case .object = params else { throw A2AError.invalidParams("params must be an object") }
            let call = A2ACall(marketplace: marketplace, configuration: configuration, principal: principal,
                               baseURL: Self.baseURL(request), pollInterval: pollInterval)
            switch method {
            case "SendMessage": return rawJSON(success(id, try await call.sendMessage(params)))
            case "GetTask": return rawJSON(success(id, try await call.getTask(params)))
            case "ListTasks": return rawJSON(success(id, try await call.listTasks(params)))
            case "CancelTask": return rawJSON(success(id, try await call.cancelTask(params)))
            case "SendStreamingMessage", "SubscribeToTask":
                let key = principal.quotaKey
                try streams.enter(key)
                do {
                    let first = try await method == "SendStreamingMessage" ? call.startStreaming(params) : call.startSubscription(params)
                    return stream(id, first, call, onEnd: { streams.leave(key) })
                } catch {
                    streams.leave(key)
                    throw error
                }
            case "CreateTaskPushNotificationConfig", "GetTaskPushNotificationConfig", "ListTaskPushNotificationConfigs",
                 "DeleteTaskPushNotificationConfig":
                throw A2AError.pushNotSupported()
            case "GetExtendedAgentCard": throw A2AError.extendedCardNotConfigured()
            default: throw A2AError.methodNotFound("unknown method '\(method)'")
            }
        } catch let error as A2AError {
            return rawJSON(error.response(id: id))
        } catch let error as WorkhiveError {
            return rawJSON(A2AError(error).response(id: id))
        } catch {
            return rawJSON(A2AError.internalError("internal error").response(id: id))
        }
    }

    private func success(_ id: JSONValue, _ result: JSONValue) -> JSONValue {
        .object(["jsonrpc": .string("2.0"), "id": id, "result": result])
    }

    /// Server-sent events: one JSON-RPC response per event (a StreamResponse as its result), ending
    /// after the task's final status; an error after the stream began is sent as an `error` event.
    private func stream(_ id: JSONValue, _ first: A2ACall.Watch, _ call: A2ACall, onEnd: @escaping @Sendable () -> Void) -> Response {
        let body = ResponseBody { writer in
            defer { onEnd() }
            func send(_ value: JSONValue, event: String? = nil) async throws {
                let prefix = event.map { "event: \($0)\n" } ?? ""
                try await writer.write(ByteBuffer(string: prefix + "data: \(value.jsonText)\n\n"))
            }
            do {
                try await call.watch(first, keepAlive: { try await writer.write(ByteBuffer(string: ": keep-alive\n\n")) }) { event in
                    try await send(success(id, event))
                }
            } catch let error as A2AError {
                try await send(error.response(id: id), event: "error")
            } catch let error as WorkhiveError {
                try await send(A2AError(error).response(id: id), event: "error")
            }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-store"], body: body)
    }

    /// Where clients reach this server, from the Host header (and X-Forwarded-Proto behind a proxy).
    static func baseURL(_ request: Request) -> String {
        let host = request.head.authority ?? "127.0.0.1"
        let scheme = request.headers[.xForwardedProto] ?? "http"
        return "\(scheme)://\(host)"
    }
}

func rawJSON(_ value: JSONValue, status: HTTPResponse.Status = .ok) -> Response {
    Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: value.jsonText)))
}

extension HTTPField.Name {
    static let a2aVersion = Self("A2A-Version")!
    static let xForwardedProto = Self("X-Forwarded-Proto")!
}
