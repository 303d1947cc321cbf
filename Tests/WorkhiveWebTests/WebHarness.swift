import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Synchronization
import Testing
import WorkhiveCore
import WorkhiveEngine
import WorkhiveServer

// Drives the web app in-process like a browser: a cookie jar, the CSRF token of the last page,
// form posts (urlencoded and multipart), and redirects reported rather than followed.

/// A marketplace on a fresh temporary directory with the whole application around it.
struct WebMarket: Sendable {
    let m: Marketplace
    let directory: String

    /// Rows of a table, counted in the database.
    func count(_ table: String) async throws -> Int64 {
        try await m.database.read { try await $0.queryOne("SELECT COUNT(*) FROM \(table)", [])!.int(0) }
    }
}

/// Runs `body` against the application in-process (`.router`) or on a real socket (`.live`).
/// `payoutDispatcher` runs the dispatcher on the embedded devnet as `workhive serve` does.
func withWebApp<T: Sendable>(
    _ mode: TestingSetup = .router, configure: @escaping @Sendable (inout ServerConfiguration) -> Void = { _ in },
    market configureMarket: @escaping @Sendable (inout MarketplaceConfiguration) -> Void = { _ in },
    payoutDispatcher: Bool = false,
    _ body: @escaping @Sendable (WebMarket, any TestClientProtocol) async throws -> T
) async throws -> T {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("workhive-web-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: dir) }
    var logger = Logger(label: "workhive-web-test")
    logger.logLevel = .error
    let db = try SQLiteDatabase(path: dir + "/db.sqlite")
    var marketConfiguration = MarketplaceConfiguration(blobDirectory: dir + "/blobs")
    configureMarket(&marketConfiguration)
    let m = try await Marketplace.open(database: db, configuration: marketConfiguration, logger: logger)
    var cfg = ServerConfiguration()
    if payoutDispatcher {
        cfg.payoutDispatcher = await PayoutDispatcher.devnet(market: m)
        cfg.payoutInterval = .milliseconds(250)
    }
    cfg.port = 0
    cfg.rescueInterval = .milliseconds(500)
    // Cheaper scrypt for in-process tests: the format and code path are the production ones.
    cfg.web.passwordCostLog2 = 10
    configure(&cfg)
    let app = buildApplication(cfg, marketplace: m, logger: logger)
    do {
        let value = try await app.test(mode) { client in try await body(WebMarket(m: m, directory: dir), client) }
        await db.close()
        return value
    } catch {
        await db.close()
        throw error
    }
}

/// An HTTP answer as a page.
struct Page: Sendable {
    let status: Int
    let headers: HTTPFields
    let html: String

    var location: String? { headers[.location] }
    var setCookies: [String] { headers[values: .setCookie] }

    /// The CSRF token the page's forms carry.
    var csrf: String? {
        guard let range = html.range(of: #"name="_csrf" value="([^"]+)""#, options: .regularExpression) else { return nil }
        return String(html[range]).components(separatedBy: "value=\"")[1].dropLast().description
    }

    /// The message shown next to a form field (`<p class="field-error" id="NAME-error">`), if any.
    func fieldError(_ name: String) -> String? {
        guard let start = html.range(of: "id=\"\(name)-error\">") else { return nil }
        let rest = html[start.upperBound...]
        guard let end = rest.range(of: "</p>") else { return nil }
        return String(rest[..<end.lowerBound])
    }
}

/// One browser: its cookies persist across requests.
final class Browser: @unchecked Sendable {
    let client: any TestClientProtocol
    private let jar = Mutex([String: String]())
    private let lastCSRF = Mutex<String?>(nil)

    init(_ client: any TestClientProtocol) { self.client = client }

    var csrf: String? { lastCSRF.withLock { $0 } }
    func cookie(_ name: String) -> String? { jar.withLock { $0[name] } }
    func setCookie(_ name: String, _ value: String?) { jar.withLock { $0[name] = value } }

    @discardableResult
    func get(_ path: String, headers extra: HTTPFields = [:]) async throws -> Page {
        try await send(.get, path, headers: extra, body: nil)
    }

    /// Posts a urlencoded form; `csrf: true` adds the token of the last page.
    @discardableResult
    func post(_ path: String, _ fields: [(String, String)] = [], csrf: Bool = true, headers extra: HTTPFields = [:]) async throws -> Page {
        var all = fields
        if csrf, let token = self.csrf { all.append(("_csrf", token)) }
        let body = all.map { "\(Self.encode($0.0))=\(Self.encode($0.1))" }.joined(separator: "&")
        var headers = extra
        headers[.contentType] = "application/x-www-form-urlencoded"
        return try await send(.post, path, headers: headers, body: ByteBuffer(string: body))
    }

    /// Posts a multipart form with files `(field, filename, media type, bytes)`.
    @discardableResult
    func postMultipart(_ path: String, _ fields: [(String, String)], files: [(String, String, String, [UInt8])], csrf: Bool = true) async throws -> Page {
        let boundary = "----workhive\(UUID().uuidString)"
        var body: [UInt8] = []
        var all = fields
        if csrf, let token = self.csrf { all.append(("_csrf", token)) }
        for (name, value) in all {
            body += Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n".utf8)
        }
        for (field, filename, type, bytes) in files {
            body += Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(field)\"; filename=\"\(filename)\"\r\nContent-Type: \(type)\r\n\r\n".utf8)
            body += bytes + Array("\r\n".utf8)
        }
        body += Array("--\(boundary)--\r\n".utf8)
        return try await send(.post, path, headers: [.contentType: "multipart/form-data; boundary=\(boundary)"], body: ByteBuffer(bytes: body))
    }

    func send(_ method: HTTPRequest.Method, _ path: String, headers extra: HTTPFields, body: ByteBuffer?) async throws -> Page {
        var headers = extra
        let cookieHeader = jar.withLock { $0.map { "\($0.key)=\($0.value)" }.sorted().joined(separator: "; ") }
        if !cookieHeader.isEmpty { headers[.cookie] = cookieHeader }
        let response = try await client.execute(uri: path, method: method, headers: headers, body: body)
        let page = Page(status: Int(response.status.code), headers: response.headers, html: String(buffer: response.body))
        for raw in page.setCookies {
            let pair = raw.split(separator: ";")[0].split(separator: "=", maxSplits: 1)
            let name = String(pair[0]), value = pair.count > 1 ? String(pair[1]) : ""
            let expired = raw.contains("Max-Age=0")
            jar.withLock { $0[name] = expired || value.isEmpty ? nil : value }
        }
        if let token = page.csrf { lastCSRF.withLock { $0 = token } }
        #expect(page.status < 500, "\(method) \(path) → \(page.status): \(page.html.prefix(400))")
        return page
    }

    static func encode(_ s: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return s.addingPercentEncoding(withAllowedCharacters: allowed) ?? s
    }

    // MARK: Journeys

    /// Signs up through the form and expects to land signed in.
    func signUp(name: String, email: String, role: String, capabilities: String = "", password: String = "correct horse battery",
                sourceLocation: SourceLocation = #_sourceLocation) async throws {
        try await get("/signup")
        let page = try await post("/signup", [("name", name), ("email", email), ("password", password), ("role", role), ("capabilities", capabilities)])
        try #require(page.status == 303, "sign-up: \(page.status) \(page.html.prefix(600))", sourceLocation: sourceLocation)
        #expect(cookie("wh_session") != nil, sourceLocation: sourceLocation)
        try await get(role == "worker" ? "/work" : "/tasks")
    }

    /// Posts the new-task form with `fields` over the form's defaults; returns the answer.
    func postTask(_ fields: [(String, String)]) async throws -> Page {
        let form = try await get("/tasks/new")
        let key = try #require(form.html.range(of: #"name="idempotency_key" value="([^"]+)""#, options: .regularExpression).map {
            String(form.html[$0]).components(separatedBy: "value=\"")[1].dropLast().description
        })
        let defaults: [String: String] = ["lease_seconds": "300", "max_attempts": "3", "priority": "0", "visibility": "public", "verifiers": "3",
                                          "spot_check_rate": "0", "payload": "{}"]
        var merged = defaults
        for (k, v) in fields { merged[k] = v }
        return try await post("/tasks/new", merged.map { ($0.key, $0.value) } + [("idempotency_key", key)])
    }
}

/// The id at the end of a redirect such as /tasks/12?notice=posted or /work/claims/1537.
func trailingID(_ location: String?) -> Int64? {
    guard let location else { return nil }
    let path = location.split(separator: "?")[0]
    return path.split(separator: "/").last.flatMap { Int64($0) }
}

/// A tiny valid PNG (1×1 pixel), as a proof file.
let onePixelPNG: [UInt8] = Array(Data(base64Encoded:
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==")!)
