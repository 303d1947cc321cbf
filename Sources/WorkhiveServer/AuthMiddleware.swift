import Hummingbird
import WorkhiveCore
import WorkhiveEngine

/// Resolves `Authorization: Bearer <key>` (or `?api_key=` for WebSocket clients that cannot set
/// headers) to a principal, and spends a rate-limit token for the key. Routes decide for themselves
/// whether they need a principal; a bad key is refused here with 401.
struct AuthMiddleware: RouterMiddleware {
    typealias Context = WorkhiveRequestContext
    let marketplace: Marketplace
    let limiter: RateLimiter

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        if let key = Self.apiKey(request) {
            try limiter.acquire(key)
            context.principal = try await marketplace.authenticate(apiKey: key)
        } else if request.uri.path.hasPrefix("/v1/") {
            try limiter.acquire("anonymous")
        }
        return try await next(request, context)
    }

    static func apiKey(_ request: Request) -> String? {
        if let header = request.headers[.authorization] {
            let parts = header.split(separator: " ", maxSplits: 1)
            if parts.count == 2, parts[0].lowercased() == "bearer" { return String(parts[1]) }
            return header
        }
        return request.uri.queryParameters["api_key"].map(String.init)
    }
}
