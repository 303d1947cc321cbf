import HTTPTypes
import Hummingbird
import Logging
import Synchronization
import WorkhiveCore

/// Turns every error into `{"error": {"code", "message"}}` with the status its code maps to. Errors
/// that are not ours become `internal_error` (and are logged), so no stack detail leaks out.
struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    /// The routes the router serves, to tell a wrong method (405) from an unknown path (404).
    var routes: RouteTable?

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as WorkhiveError {
            return Self.response(error, retryAfter: nil)
        } catch let limited as RateLimited {
            return Self.response(WorkhiveError(.rateLimited, "too many requests; retry after \(limited.retryAfterSeconds) s"), retryAfter: limited.retryAfterSeconds)
        } catch let error as HTTPError {
            // The router's own 404 (no route matched): a known path asked with another method is a 405.
            if error.status == .notFound, error.body == nil, let allowed = routes?.methods(for: request.uri.path), !allowed.isEmpty {
                var response = Self.response(WorkhiveError(
                    .methodNotAllowed, "\(request.method.rawValue) is not allowed on \(request.uri.path); allowed: \(allowed.joined(separator: ", "))"),
                    retryAfter: nil)
                response.headers[.allow] = allowed.joined(separator: ", ")
                return response
            }
            return Self.response(Self.translate(error), retryAfter: nil)
        } catch let error as any HTTPResponseError {
            // Errors Hummingbird maps to a status itself, such as NIOTooManyBytesError from
            // `collectBody(upTo:)` for a body over the route's limit (413).
            return Self.response(Self.translate(HTTPError(error.status)), retryAfter: nil)
        } catch {
            context.logger.error("unhandled error: \(String(reflecting: error))")
            return Self.response(WorkhiveError(.internalError, "internal error"), retryAfter: nil)
        }
    }

    static func translate(_ error: HTTPError) -> WorkhiveError {
        let message = error.body ?? ""
        switch error.status.code {
        case 413: return WorkhiveError(.payloadTooLarge, message.isEmpty ? "request body too large" : message)
        case 404: return WorkhiveError(.notFound, message.isEmpty ? "no such route" : message)
        case 405: return WorkhiveError(.methodNotAllowed, "method not allowed on this route")
        case 401: return WorkhiveError(.unauthenticated, message.isEmpty ? "authentication required" : message)
        case 403: return WorkhiveError(.forbidden, message.isEmpty ? "forbidden" : message)
        case 400..<500: return WorkhiveError(.invalidRequest, message.isEmpty ? "bad request" : message)
        default: return WorkhiveError(.internalError, "internal error")
        }
    }

    static func response(_ error: WorkhiveError, retryAfter: Int?) -> Response {
        var response = (try? JSONBody.response(ErrorBody(error: .init(code: error.code.rawValue, message: error.message)),
                                               status: .init(code: error.code.httpStatus)))
            ?? Response(status: .internalServerError)
        if let retryAfter { response.headers[.retryAfter] = String(retryAfter) }
        return response
    }
}

/// The one shape of every error answer.
struct ErrorBody: Codable {
    struct Inner: Codable {
        let code: String
        let message: String
    }
    let error: Inner
}

/// The paths the router serves and the methods of each, filled in once every route is registered
/// (the error middleware is added before the routes, so it cannot read them when it is made).
final class RouteTable: Sendable {
    private let routes = Mutex<[(segments: [Substring], methods: [String])]>([])

    /// Records the routes, as `(path, method)` with parameters written `{name}` or `:name`.
    func register(_ routes: [(path: String, method: String)]) {
        var byPath: [String: [String]] = [:]
        for route in routes { byPath[route.path, default: []].append(route.method) }
        let entries = byPath.map { (segments: $0.key.split(separator: "/"), methods: $0.value.sorted()) }
        self.routes.withLock { $0 = entries }
    }

    /// The methods served at the route a request for `path` would resolve to (literal segments are
    /// preferred over parameters, as the router does), or [] when no route has this path.
    func methods(for path: String) -> [String] {
        let concrete = path.split(separator: "/")
        func isParameter(_ s: Substring) -> Bool { s.hasPrefix(":") || (s.hasPrefix("{") && s.hasSuffix("}")) || s == "*" }
        let matching = routes.withLock { routes in
            routes.filter { route in
                route.segments.count == concrete.count
                    && zip(route.segments, concrete).allSatisfy { isParameter($0) || $0 == $1 }
            }
        }
        let best = matching.max { a, b in
            a.segments.filter { !isParameter($0) }.count < b.segments.filter { !isParameter($0) }.count
        }
        return best?.methods ?? []
    }
}
