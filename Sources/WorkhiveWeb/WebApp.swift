import Foundation
import Hummingbird
import Logging
import WorkhiveCore
import WorkhiveEngine

/// Settings of the web app.
public struct WebConfiguration: Sendable {
    /// Mark cookies `Secure`. Browsers accept Secure cookies from http://localhost and 127.0.0.1, so this
    /// stays on for local use too; only a deployment on plain HTTP under another name needs it off.
    public var secureCookies = true
    /// How long a login lasts.
    public var sessionLifetimeSeconds: Int64 = 7 * 24 * 3600
    /// scrypt cost (log2 N) for new password hashes.
    public var passwordCostLog2 = 15
    /// Whether anyone may sign up (the API's `--closed-signup` closes both).
    public var allowSignup = true
    /// Sign-up and login attempts per client address per minute.
    public var loginAttemptsPerMinute: Double = 30

    public init() {}
}

/// The human web app: server-rendered pages for workers, verifiers, requesters and admins, on the same
/// server and the same engine operations as the API, signed in with a password (or an API key) and a
/// session cookie. Every page acts as the session's owner or its human worker, so the engine applies
/// exactly the API's authorization rules.
public struct WebApp: Sendable {
    let marketplace: Marketplace
    let configuration: WebConfiguration
    let renderer: PageRenderer
    let hasher: PasswordHasher
    let throttle: AttemptThrottle

    public init(marketplace: Marketplace, configuration: WebConfiguration = WebConfiguration()) {
        self.marketplace = marketplace
        self.configuration = configuration
        self.renderer = PageRenderer.shared
        self.hasher = PasswordHasher(logN: configuration.passwordCostLog2)
        self.throttle = AttemptThrottle(perMinute: configuration.loginAttemptsPerMinute)
    }

    /// Adds the pages and their assets to `router`. They live outside /v1, answer HTML (or JSON to the
    /// page's own scripts), and render their own errors.
    public func register<Context: RemoteAddressRequestContext>(on router: Router<Context>) {
        let web = router.group().add(middleware: WebErrorMiddleware<Context>(renderer: renderer))
        func on(_ method: HTTPRequest.Method, _ path: RouterPath, _ handler: @escaping @Sendable (WebCall) async throws -> Response) {
            web.on(path, method: method, use: { request, context -> Response in
                try await handler(WebCall(request: request, parameters: context.parameters,
                                          address: context.remoteAddress?.ipAddress ?? "unknown", logger: context.logger))
            })
        }
        on(.get, "/static/:file", StaticAssets.serve)

        on(.get, "/", home)
        on(.get, "/signup", signupPage)
        on(.post, "/signup", signup)
        on(.get, "/login", loginPage)
        on(.post, "/login", login)
        on(.post, "/login/key", loginWithKey)
        on(.post, "/logout", logout)

        on(.get, "/work", workFeed)
        on(.post, "/work/claim", claimWork)
        on(.get, "/work/claims/:claim", claimPage)
        on(.post, "/work/claims/:claim/heartbeat", heartbeat)
        on(.post, "/work/claims/:claim/release", release)
        on(.post, "/work/claims/:claim/submit", submit)
        on(.post, "/work/claims/:claim/vote", vote)
        on(.get, "/verify", verifyQueue)
        on(.post, "/verify/claim", claimVerification)
        on(.get, "/files/:sha256", blob)

        on(.get, "/wallet", walletPage)
        on(.post, "/wallet/deposit", deposit)
        on(.get, "/wallet/progress", walletProgress)
        on(.post, "/wallet/withdraw", withdraw)
        on(.post, "/wallet/preference", setPayoutPreference)
        on(.post, "/wallet/addresses/:network", setPayoutAddress)
        on(.post, "/wallet/addresses/:network/remove", removePayoutAddress)

        on(.get, "/tasks", tasksPage)
        on(.get, "/tasks/new", newTaskPage)
        on(.post, "/tasks/new", postTask)
        on(.get, "/tasks/:id", taskPage)
        on(.get, "/tasks/:id/progress", taskProgress)
        on(.post, "/tasks/:id/cancel", cancelTask)

        on(.get, "/admin", adminPage)
        on(.post, "/admin/workers/:id/suspend", { try await setSuspended($0, true) })
        on(.post, "/admin/workers/:id/unsuspend", { try await setSuspended($0, false) })
    }
}

/// What a page handler gets from Hummingbird, without the generic context type.
struct WebCall: Sendable {
    var request: Request
    var parameters: Parameters
    var address: String
    var logger: Logger

    /// A typed id from the path, or 404 (a page address that cannot name anything).
    func id<T>(_ name: String) throws -> ID<T> {
        guard let raw = parameters.get(name), let value = Int64(raw) else { throw WorkhiveError.notFound("page") }
        return ID(rawValue: value)
    }

    func query(_ name: String) -> String? { request.uri.queryParameters[Substring(name)].map(String.init) }

    /// The page's scripts ask for JSON; forms and links get HTML.
    var wantsJSON: Bool { request.headers[.accept]?.contains("application/json") == true }
}

/// Sends the browser elsewhere with 303 See Other (after a form post, the next load is a GET).
struct WebRedirect: Error {
    let location: String
}

func redirect(_ location: String, cookies: [Cookie] = []) -> Response {
    var response = Response(status: .seeOther, headers: [.location: location])
    for cookie in cookies { response.setCookie(cookie) }
    return response
}
