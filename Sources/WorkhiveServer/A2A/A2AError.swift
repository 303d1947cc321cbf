import WorkhiveCore

/// A JSON-RPC error as A2A 1.0 defines it: the JSON-RPC code, and a `google.rpc.ErrorInfo` detail
/// whose `reason` names the A2A error (`TASK_NOT_FOUND`, ...). Marketplace refusals that A2A has
/// no code for (insufficient funds, forbidden, rate limited) use the implementation-defined server
/// error -32000 with the Workhive code as the reason and "workhive" as the domain.
struct A2AError: Error, Equatable {
    var code: Int
    var reason: String
    var message: String
    var domain = "a2a-protocol.org"

    static func parse(_ m: String) -> Self { .init(code: -32700, reason: "JSON_PARSE", message: m) }
    static func invalidRequest(_ m: String) -> Self { .init(code: -32600, reason: "INVALID_REQUEST", message: m) }
    static func methodNotFound(_ m: String) -> Self { .init(code: -32601, reason: "METHOD_NOT_FOUND", message: m) }
    static func invalidParams(_ m: String) -> Self { .init(code: -32602, reason: "INVALID_PARAMS", message: m) }
    static func internalError(_ m: String) -> Self { .init(code: -32603, reason: "INTERNAL", message: m) }
    static func taskNotFound(_ m: String) -> Self { .init(code: -32001, reason: "TASK_NOT_FOUND", message: m) }
    static func taskNotCancelable(_ m: String) -> Self { .init(code: -32002, reason: "TASK_NOT_CANCELABLE", message: m) }
    static func pushNotSupported() -> Self {
        .init(code: -32003, reason: "PUSH_NOTIFICATION_NOT_SUPPORTED", message: "push notifications are not supported; stream with SendStreamingMessage or SubscribeToTask")
    }
    static func unsupported(_ m: String) -> Self { .init(code: -32004, reason: "UNSUPPORTED_OPERATION", message: m) }
    static func contentTypeNotSupported(_ m: String) -> Self { .init(code: -32005, reason: "CONTENT_TYPE_NOT_SUPPORTED", message: m) }
    static func extendedCardNotConfigured() -> Self {
        .init(code: -32007, reason: "EXTENDED_AGENT_CARD_NOT_CONFIGURED", message: "this agent has no extended agent card")
    }
    static func versionNotSupported(_ version: String) -> Self {
        .init(code: -32009, reason: "VERSION_NOT_SUPPORTED", message: "A2A-Version \(version) is not supported; this agent speaks 1.0")
    }

    /// The A2A error for a marketplace error raised by an engine operation.
    init(_ error: WorkhiveError) {
        switch error.code {
        case .notFound: self = .taskNotFound(error.message)
        case .taskNotOpen: self = .taskNotCancelable(error.message)
        case .invalidRequest, .invalidJSON, .payloadTooLarge: self = .invalidParams(error.message)
        case .unsupportedMediaType: self = .contentTypeNotSupported(error.message)
        case .internalError: self = .internalError(error.message)
        default: self.init(code: -32000, reason: error.code.rawValue.uppercased(), message: error.message, domain: "workhive")
        }
    }

    init(code: Int, reason: String, message: String, domain: String = "a2a-protocol.org") {
        self.code = code
        self.reason = reason
        self.message = message
        self.domain = domain
    }

    /// The JSON-RPC error response for the request `id`.
    func response(id: JSONValue) -> JSONValue {
        let info: JSONValue = .object([
            "@type": .string("type.googleapis.com/google.rpc.ErrorInfo"), "reason": .string(reason),
            "domain": .string(domain), "metadata": .object([:]),
        ])
        return .object([
            "jsonrpc": .string("2.0"), "id": id,
            "error": .object(["code": .int(Int64(code)), "message": .string(message), "data": .array([info])]),
        ])
    }
}
