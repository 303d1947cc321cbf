import Hummingbird
import Logging
import WorkhiveCore

/// Turns what page handlers throw into pages: a redirect for `WebRedirect`, the login page for an
/// ended session, and an error page with the API's status for everything else. The page's scripts,
/// which ask for JSON, get the API's error body instead.
struct WebErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    let renderer: PageRenderer

    struct ErrorPage {
        let heading: String
        let message: String
        let loginLink: Bool
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let redirect as WebRedirect {
            return WorkhiveWeb.redirect(redirect.location)
        } catch let error as WorkhiveError {
            return page(request, status: error.code.httpStatus, code: error.code.rawValue, heading: Self.heading(error.code),
                        message: WebInput.sentence(error.message), loginLink: error.code == .unauthenticated)
        } catch is CSRFRefused {
            return page(request, status: 403, code: ErrorCode.forbidden.rawValue, heading: "This form has expired",
                        message: "The form was not accepted: it expired, or it was sent from another site. Go back, reload the page and try again.",
                        loginLink: false)
        } catch let refused as FormRefused {
            return page(request, status: 400, code: ErrorCode.invalidRequest.rawValue, heading: "The form could not be read",
                        message: WebInput.sentence(refused.message), loginLink: false)
        } catch let error as any HTTPResponseError {
            let status = Int(error.status.code)
            let heading = status == 404 ? "Page not found" : status == 413 ? "That upload is too large" : "The request was refused"
            let message = status == 413 ? "Files may be at most 10 MiB in all." : status == 404 ? "There is nothing at this address." : "Please go back and try again."
            return page(request, status: status, code: status == 404 ? "not_found" : status == 413 ? "payload_too_large" : "invalid_request",
                        heading: heading, message: message, loginLink: false)
        } catch {
            context.logger.error("web page failed: \(String(reflecting: error))")
            return page(request, status: 500, code: ErrorCode.internalError.rawValue, heading: "Something went wrong",
                        message: "The server could not show this page. Please try again.", loginLink: false)
        }
    }

    static func heading(_ code: ErrorCode) -> String {
        switch code {
        case .unauthenticated: "Please log in"
        case .forbidden: "Not allowed"
        case .workerSuspended: "Your worker account is suspended"
        case .notFound: "Not found"
        case .conflict, .taskNotOpen, .claimExpired, .verificationClosed, .idempotencyKeyReused: "That can no longer be done"
        case .insufficientFunds: "Not enough funds"
        case .rateLimited: "Too many requests"
        default: "The request was refused"
        }
    }

    func page(_ request: Request, status: Int, code: String, heading: String, message: String, loginLink: Bool) -> Response {
        let httpStatus = HTTPResponse.Status(code: status)
        if request.headers[.accept]?.contains("application/json") == true {
            return (try? jsonResponse(["error": .object(["code": .string(code), "message": .string(message)])], status: httpStatus))
                ?? Response(status: httpStatus)
        }
        let body = ErrorPage(heading: heading, message: message, loginLink: loginLink)
        return (try? renderer.page("error", title: heading, user: nil, status: httpStatus, accountLinks: false, body)) ?? Response(status: httpStatus)
    }
}
