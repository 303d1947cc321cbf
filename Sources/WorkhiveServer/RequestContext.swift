import Hummingbird
import HummingbirdWebSocket
import NIOCore
import WorkhiveCore

/// Per-request state: who is calling (set by `AuthMiddleware`) and the WebSocket handler slot the
/// upgrade route needs.
public struct WorkhiveRequestContext: RequestContext, WebSocketRequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let webSocket: WebSocketHandlerReference<Self>
    public var principal: Principal?
    public let remoteAddress: SocketAddress?

    public init(source: Source) {
        coreContext = .init(source: source)
        webSocket = .init()
        principal = nil
        remoteAddress = source.channel.remoteAddress
    }

    /// The caller, or 401 when the request carried no valid API key.
    public func requirePrincipal() throws -> Principal {
        guard let principal else {
            throw WorkhiveError(.unauthenticated, "send an API key as 'Authorization: Bearer <key>'")
        }
        return principal
    }
}
