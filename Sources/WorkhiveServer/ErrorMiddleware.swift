import HTTPTypes
import Hummingbird
import Logging
import WorkhiveCore

/// Turns every error into `{"error": {"code", "message"}}` with the status its code maps to. Errors
/// that are not ours become `internal_error` (and are logged), so no stack detail leaks out.
struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as WorkhiveError {
            return Self.response(error, retryAfter: nil)
        } catch let limited as RateLimited {
            return Self.response(WorkhiveError(.rateLimited, "too many requests; retry after \(limited.retryAfterSeconds) s"), retryAfter: limited.retryAfterSeconds)
        } catch let error as HTTPError {
            return Self.response(Self.translate(error), retryAfter: nil)
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
