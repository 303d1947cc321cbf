import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import Synchronization
import WorkhiveCore
import WorkhiveEngine

/// Cookie names. The session cookie holds a random token whose SHA-256 is the server's key for the
/// session; the anonymous cookie only anchors the CSRF token of the sign-up and login forms.
enum WebCookie {
    static let session = "wh_session"
    static let anonymous = "wh_anon"
}

enum WebTokens {
    /// 256 random bits, base64url (valid in a cookie without quoting).
    static func random() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        return base64url(bytes)
    }

    static func hash(_ token: String) -> String { sha256Hex(token) }

    /// The CSRF token of forms served to the holder of `secret` (its session or anonymous cookie):
    /// an HMAC of that secret, so it needs no storage and a page from another site cannot know it.
    static func csrf(for secret: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Data("workhive-csrf-v1".utf8), using: SymmetricKey(data: Data(secret.utf8)))
        return base64url(Array(mac))
    }

    static func equal(_ a: String, _ b: String) -> Bool { constantTimeEquals(Array(a.utf8), Array(b.utf8)) }

    static func base64url(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}

/// A signed-in browser: its session and the principals it acts as.
struct WebUser: Sendable {
    let session: WebSessionView
    let token: String

    var csrf: String { WebTokens.csrf(for: token) }
    var name: String { session.ownerName }
    var isAdmin: Bool { session.isAdmin }

    /// The owner: posts tasks, holds funds, and (for an admin) administers.
    var owner: Principal { .owner(session.ownerId, isAdmin: session.isAdmin) }

    /// The session's worker, when it has one that is not suspended.
    var activeWorker: Principal? {
        guard let w = session.worker, !w.suspended else { return nil }
        return .worker(w.id, owner: w.ownerId, kind: w.kind)
    }
    var hasWorker: Bool { session.worker != nil }

    /// The worker for claiming, submitting and voting; the API's answers when there is none or it is
    /// suspended.
    func requireWorker() throws -> Principal {
        guard let w = session.worker else {
            throw WorkhiveError.forbidden("this account has no worker: sign up as a worker to claim and verify tasks")
        }
        guard !w.suspended else { throw WorkhiveError(.workerSuspended, "your worker account is suspended") }
        return .worker(w.id, owner: w.ownerId, kind: w.kind)
    }
}

extension WebApp {
    /// The signed-in user of this request, or nil.
    func currentUser(_ call: WebCall) async throws -> WebUser? {
        guard let token = call.request.cookies[WebCookie.session]?.value, !token.isEmpty, token.utf8.count <= 100 else { return nil }
        guard let session = try await marketplace.webSession(tokenHash: WebTokens.hash(token)) else { return nil }
        return WebUser(session: session, token: token)
    }

    /// The signed-in user, or a redirect to the login page that comes back here.
    func requireUser(_ call: WebCall) async throws -> WebUser {
        if let user = try await currentUser(call) { return user }
        if call.wantsJSON { throw WorkhiveError(.unauthenticated, "your session has ended: log in again") }
        let back = call.request.method == .get ? call.request.uri.description : "/"
        throw WebRedirect(location: "/login?next=" + (back.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "/"))
    }

    /// Refuses a state-changing request whose CSRF token is not the one this browser's pages carry
    /// (from the form field `_csrf`, or the `X-CSRF-Token` header for the page's scripts), or that a
    /// browser says came from another origin.
    func checkCSRF(_ call: WebCall, form: FormData?, user: WebUser?) throws {
        if let origin = call.request.headers[.origin], origin != "null" {
            let host = URLComponents(string: origin).map { c in c.host.map { h in c.port.map { "\(h):\($0)" } ?? h } } ?? nil
            guard let host, let authority = call.request.head.authority, host == authority else {
                throw CSRFRefused()
            }
        }
        let secret = user?.token ?? call.request.cookies[WebCookie.anonymous]?.value
        let sent = form?["_csrf"] ?? call.request.headers[.csrfToken]
        guard let secret, !secret.isEmpty, let sent, WebTokens.equal(sent, WebTokens.csrf(for: secret)) else { throw CSRFRefused() }
    }

    /// The anonymous cookie of a visitor who is not signed in, made when missing, with the CSRF token
    /// its forms carry.
    func anonymousCSRF(_ call: WebCall) -> (token: String, cookie: Cookie?) {
        if let existing = call.request.cookies[WebCookie.anonymous]?.value, existing.utf8.count >= 32, existing.utf8.count <= 100 {
            return (WebTokens.csrf(for: existing), nil)
        }
        let secret = WebTokens.random()
        return (WebTokens.csrf(for: secret), cookie(WebCookie.anonymous, secret, maxAge: 24 * 3600))
    }

    func cookie(_ name: String, _ value: String, maxAge: Int) -> Cookie {
        Cookie(name: name, value: value, maxAge: maxAge, path: "/", secure: configuration.secureCookies, httpOnly: true, sameSite: .lax)
    }

    /// Opens a session for an owner (and its worker) and returns the cookie that carries it.
    func openSession(owner: OwnerID, worker: WorkerID?, email: String?) async throws -> Cookie {
        let token = WebTokens.random()
        let expires = marketplace.now() + configuration.sessionLifetimeSeconds * 1000
        try await marketplace.startWebSession(tokenHash: WebTokens.hash(token), owner: owner, worker: worker, email: email, expiresAtMillis: expires)
        return cookie(WebCookie.session, token, maxAge: Int(configuration.sessionLifetimeSeconds))
    }
}

/// A form or script request without the right CSRF token.
struct CSRFRefused: Error {}

extension HTTPField.Name {
    static let csrfToken = Self("X-CSRF-Token")!
}

/// A token bucket per client address for sign-up and login attempts, so passwords cannot be guessed
/// at the speed of the server.
final class AttemptThrottle: Sendable {
    private let perMinute: Double
    private let buckets = Mutex([String: (tokens: Double, at: Double)]())

    init(perMinute: Double) { self.perMinute = perMinute }

    func allow(_ address: String, now: Double = ProcessInfo.processInfo.systemUptime) -> Bool {
        guard perMinute > 0 else { return true }
        return buckets.withLock { buckets in
            if buckets.count > 10_000 { buckets.removeAll() }
            var b = buckets[address] ?? (perMinute, now)
            b.tokens = min(perMinute, b.tokens + (now - b.at) * perMinute / 60)
            b.at = now
            defer { buckets[address] = b }
            guard b.tokens >= 1 else { return false }
            b.tokens -= 1
            return true
        }
    }
}
