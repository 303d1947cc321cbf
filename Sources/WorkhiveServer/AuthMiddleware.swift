import Hummingbird
import WorkhiveCore
import WorkhiveEngine

/// Resolves `Authorization: Bearer <key>` (or `?api_key=` on the events WebSocket, for browser
/// clients that cannot set headers) to a principal, and spends a rate-limit token for the key, or for
/// the client address when there is no key. Routes decide for themselves whether they need a
/// principal; a bad key is refused here with 401.
struct AuthMiddleware: RouterMiddleware {
    typealias Context = WorkhiveRequestContext
    let marketplace: Marketplace
    let limiter: RateLimiter

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        // /healthz and /openapi.yaml are anonymous: whatever credentials a probe sends are not looked at.
        guard request.uri.path.hasPrefix("/v1/") else { return try await next(request, context) }
        var context = context
        if let key = try Self.apiKey(request) {
            try limiter.acquire(key)
            context.principal = try await marketplace.authenticate(apiKey: key)
        } else {
            try limiter.acquire("address:" + (context.remoteAddress?.ipAddress ?? "unknown"))
        }
        return try await next(request, context)
    }

    static func apiKey(_ request: Request) throws -> String? {
        if let header = request.headers[.authorization] {
            let parts = header.split(separator: " ", maxSplits: 1)
            guard parts.count == 2, parts[0].lowercased() == "bearer" else {
                throw WorkhiveError(.unauthenticated, "the Authorization header must be 'Bearer <api key>'")
            }
            return String(parts[1])
        }
        if request.uri.path == "/v1/events" { return request.uri.queryParameters["api_key"].map(String.init) }
        return nil
    }
}
