import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Testing
import WorkhiveCore
import WorkhiveEngine
@testable import WorkhiveServer

// A harness for driving the REST API over HTTP in-process: a fresh marketplace per test (temp dir,
// SQLite, ManualClock, SeededRandom), a client wrapper that checks EVERY answer against
// Resources/openapi.yaml and never accepts a 500, and helpers for the usual set-up calls.

/// The OpenAPI document, parsed once for the whole suite.
let apiSpec: OpenAPISpec = {
    do { return try OpenAPISpec() } catch { fatalError("openapi.yaml does not load: \(error)") }
}()

/// One marketplace on its own temporary directory, with a clock that moves only when told.
struct TestMarket: Sendable {
    let marketplace: Marketplace
    let clock: ManualClock
    let database: SQLiteDatabase
    let directory: String
}

/// Runs `body` with a fresh marketplace and removes it afterwards.
@discardableResult
func withMarket<T: Sendable>(seed: UInt64 = 42, _ body: (TestMarket) async throws -> T) async throws -> T {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("workhive-api-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let db = try SQLiteDatabase(path: dir + "/db.sqlite")
    let clock = ManualClock()
    var logger = Logger(label: "workhive-api-test")
    logger.logLevel = .critical
    let m = try await Marketplace.open(
        database: db, configuration: MarketplaceConfiguration(blobDirectory: dir + "/blobs"),
        clock: clock, random: SeededRandom(seed: seed), logger: logger)
    let market = TestMarket(marketplace: m, clock: clock, database: db, directory: dir)
    do {
        let value = try await body(market)
        await db.close()
        return value
    } catch {
        await db.close()
        throw error
    }
}

/// The server configuration tests use: no background rescuer getting in the way (tests call
/// `m.rescue()` themselves), default limits unless a test says otherwise.
func testServerConfiguration(_ configure: (inout ServerConfiguration) -> Void = { _ in }) -> ServerConfiguration {
    var cfg = ServerConfiguration()
    cfg.port = 0
    cfg.rescueInterval = .seconds(3600)
    configure(&cfg)
    return cfg
}

/// The server logger: only errors (an "unhandled error" line is worth seeing when a test fails).
func testServerLogger() -> Logger {
    var logger = Logger(label: "workhive-api-server")
    logger.logLevel = .error
    return logger
}

/// Builds the application on a fresh marketplace and runs `body` against it in-process
/// (`.router`) or on a real socket (`.live`).
@discardableResult
func withAPI<T: Sendable>(
    _ mode: TestingSetup = .router, seed: UInt64 = 42,
    configure: (inout ServerConfiguration) -> Void = { _ in },
    _ body: @escaping @Sendable (API) async throws -> T
) async throws -> T {
    let cfg = testServerConfiguration(configure)
    return try await withMarket(seed: seed) { market in
        let app = buildApplication(cfg, marketplace: market.marketplace, logger: testServerLogger())
        return try await app.test(mode) { client in
            try await body(API(client: client, market: market))
        }
    }
}

// MARK: - Responses

/// An HTTP answer, with its body as JSON when it is JSON.
struct APIResponse: Sendable {
    let method: String
    let path: String
    let status: Int
    let headers: HTTPFields
    let body: Data

    var json: JSONValue? { try? JSONDecoder().decode(JSONValue.self, from: body) }
    var text: String { String(decoding: body, as: UTF8.self) }

    /// `{"error": {"code", "message"}}`, when the body is that.
    var error: APIErrorBody? {
        guard let inner = json?["error"], let code = inner["code"]?.stringValue, let message = inner["message"]?.stringValue else { return nil }
        return APIErrorBody(code: code, message: message)
    }

    subscript(key: String) -> JSONValue? { json?[key] }
}

struct APIErrorBody: Sendable, Equatable, CustomStringConvertible {
    let code: String
    let message: String
    var description: String { "\(code): \(message)" }
}

extension JSONValue {
    var asInt: Int64? {
        switch self {
        case .int(let i): i
        case .double(let d) where d.rounded() == d: Int64(d)
        default: nil
        }
    }
    var asBool: Bool? { if case .bool(let b) = self { b } else { nil } }
    /// A JSON number as a Double, whether it was written as an integer or not.
    var number: Double? {
        switch self {
        case .int(let i): Double(i)
        case .double(let d): d
        default: nil
        }
    }
    var asArray: [JSONValue]? { if case .array(let a) = self { a } else { nil } }
    var asObject: [String: JSONValue]? { if case .object(let o) = self { o } else { nil } }
}

/// A JSON request body from a JSON value.
func jsonText(_ value: JSONValue) -> String { value.jsonText }

// MARK: - The client

/// The test client, checking every answer against the OpenAPI document.
struct API: Sendable {
    let client: any TestClientProtocol
    let market: TestMarket
    var m: Marketplace { market.marketplace }
    var clock: ManualClock { market.clock }
    var port: Int? { client.port }

    /// Sends a request; `key` becomes `Authorization: Bearer <key>`, `json` the body with
    /// Content-Type application/json. The answer is checked: never a 500, the body matches the
    /// OpenAPI operation of `path` for its status (or, for a route the spec does not have, the Error
    /// schema), and every error is JSON with a code and a message.
    @discardableResult
    func send(
        _ method: HTTPRequest.Method, _ path: String, key: String? = nil, json: String? = nil,
        body: ByteBuffer? = nil, headers extra: HTTPFields = [:], documented: Bool = true,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> APIResponse {
        var headers = HTTPFields()
        if let key { headers[.authorization] = "Bearer \(key)" }
        var payload = body
        if let json {
            headers[.contentType] = "application/json"
            payload = ByteBuffer(string: json)
        }
        for field in extra { headers[field.name] = field.value }
        let response = try await client.execute(uri: path, method: method, headers: headers, body: payload)
        let answer = APIResponse(
            method: method.rawValue, path: path, status: Int(response.status.code), headers: response.headers,
            body: Data(response.body.readableBytesView))
        check(answer, documented: documented, sourceLocation: sourceLocation)
        return answer
    }

    /// The checks every answer gets.
    func check(_ r: APIResponse, documented: Bool, sourceLocation: SourceLocation) {
        let label = "\(r.method) \(r.path) → \(r.status) \(r.text.prefix(300))"
        #expect(r.status < 500, "server error: \(label)", sourceLocation: sourceLocation)
        if documented {
            let problems = apiSpec.validate(method: r.method, path: r.path, status: r.status, body: r.body)
            #expect(problems == [], "does not match openapi.yaml: \(label)", sourceLocation: sourceLocation)
        }
        if r.status >= 400 {
            let problems = apiSpec.validate(json: r.body, schema: "Error")
            #expect(problems == [], "not an Error body: \(label)", sourceLocation: sourceLocation)
            #expect(r.headers[.contentType]?.hasPrefix("application/json") == true, "error without a JSON content type: \(label)",
                    sourceLocation: sourceLocation)
            if let error = r.error {
                #expect(ErrorCode(rawValue: error.code)?.httpStatus == r.status, "code \(error.code) does not map to \(r.status)",
                        sourceLocation: sourceLocation)
                #expect(!error.message.isEmpty, "empty error message: \(label)", sourceLocation: sourceLocation)
            }
        }
    }

    /// Expects an error answer of `status` and `code`, and returns it.
    @discardableResult
    func expectError(
        _ r: APIResponse, _ status: Int, _ code: String, sourceLocation: SourceLocation = #_sourceLocation
    ) -> APIErrorBody? {
        #expect(r.status == status, "\(r.method) \(r.path): expected \(status) \(code), got \(r.status) \(r.text.prefix(300))",
                sourceLocation: sourceLocation)
        #expect(r.error?.code == code, "\(r.method) \(r.path): expected code \(code), got \(r.text.prefix(300))",
                sourceLocation: sourceLocation)
        return r.error
    }

    // MARK: Set-up helpers

    /// Signs up an owner with POST /v1/owners.
    func signUp(_ name: String, sourceLocation: SourceLocation = #_sourceLocation) async throws -> Owner {
        let r = try await send(.post, "/v1/owners", json: jsonText(.object(["name": .string(name)])), sourceLocation: sourceLocation)
        try #require(r.status == 201, "sign-up: \(r.status) \(r.text)", sourceLocation: sourceLocation)
        let key = try #require(r["api_key"]?.stringValue, sourceLocation: sourceLocation)
        let id = try #require(r["subject"]?["id"]?.asInt, sourceLocation: sourceLocation)
        #expect(r["subject"]?["role"]?.stringValue == "member", sourceLocation: sourceLocation)
        return Owner(key: key, id: id)
    }

    /// An admin owner, made directly on the marketplace (admins cannot sign up).
    func admin(_ name: String = "admin") async throws -> Owner {
        let credentials = try await m.createOwner(name: name, admin: true)
        return Owner(key: credentials.apiKey, id: credentials.subject.id.rawValue)
    }

    /// Registers a worker under `owner` with POST /v1/workers.
    func createWorker(
        _ owner: Owner, _ name: String, kind: String = "agent", capabilities: [String] = [],
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> WorkerAccount {
        let body: JSONValue = .object(["name": .string(name), "kind": .string(kind), "capabilities": .array(capabilities.map(JSONValue.string))])
        let r = try await send(.post, "/v1/workers", key: owner.key, json: jsonText(body), sourceLocation: sourceLocation)
        try #require(r.status == 201, "create worker: \(r.status) \(r.text)", sourceLocation: sourceLocation)
        let key = try #require(r["api_key"]?.stringValue, sourceLocation: sourceLocation)
        let id = try #require(r["subject"]?["id"]?.asInt, sourceLocation: sourceLocation)
        #expect(r["subject"]?["owner_id"]?.asInt == owner.id, sourceLocation: sourceLocation)
        return WorkerAccount(key: key, id: id, owner: owner)
    }

    /// A worker under an owner of its own (so verifiers never share the submitter's owner).
    func soloWorker(_ name: String, kind: String = "agent", capabilities: [String] = [],
                    sourceLocation: SourceLocation = #_sourceLocation) async throws -> WorkerAccount {
        let owner = try await signUp("\(name)-owner", sourceLocation: sourceLocation)
        return try await createWorker(owner, name, kind: kind, capabilities: capabilities, sourceLocation: sourceLocation)
    }

    /// Credits `owner` with POST /v1/wallet/deposits and returns the new available balance.
    @discardableResult
    func deposit(_ owner: Owner, _ amount: Int64, sourceLocation: SourceLocation = #_sourceLocation) async throws -> Int64 {
        let r = try await send(.post, "/v1/wallet/deposits", key: owner.key,
                               json: #"{"amount_micro_usdt": \#(amount)}"#, sourceLocation: sourceLocation)
        try #require(r.status == 201, "deposit: \(r.status) \(r.text)", sourceLocation: sourceLocation)
        return try #require(r["available_micro_usdt"]?.asInt, sourceLocation: sourceLocation)
    }

    /// A requester: signed up and funded.
    func requester(_ name: String = "requester", funds: Int64 = 100_000_000,
                   sourceLocation: SourceLocation = #_sourceLocation) async throws -> Owner {
        let owner = try await signUp(name, sourceLocation: sourceLocation)
        try await deposit(owner, funds, sourceLocation: sourceLocation)
        return owner
    }

    /// Posts a task (201 expected) and returns its JSON.
    @discardableResult
    func postTask(
        _ owner: Owner, taskType: String = "social.like", title: String = "Like a post", reward: Int64 = 1_000_000,
        capabilities: [String] = [], extra: [String: JSONValue] = [:], sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> JSONValue {
        var fields: [String: JSONValue] = [
            "task_type": .string(taskType), "title": .string(title), "reward_micro_usdt": .int(reward),
            "payload": .object(["url": .string("https://example.com/post/1")]),
            "required_capabilities": .array(capabilities.map(JSONValue.string)),
        ]
        for (k, v) in extra { fields[k] = v }
        let r = try await send(.post, "/v1/tasks", key: owner.key, json: jsonText(.object(fields)), sourceLocation: sourceLocation)
        try #require(r.status == 201, "post task: \(r.status) \(r.text)", sourceLocation: sourceLocation)
        return try #require(r.json, sourceLocation: sourceLocation)
    }

    /// POST /v1/claims for `taskType`; returns the answer (201 with a claim or 204).
    func claim(_ worker: WorkerAccount, _ taskType: String, sourceLocation: SourceLocation = #_sourceLocation) async throws -> APIResponse {
        try await send(.post, "/v1/claims", key: worker.key, json: #"{"task_type": "\#(taskType)"}"#, sourceLocation: sourceLocation)
    }

    /// The wallet of `key` (GET /v1/wallet).
    func wallet(_ key: String, sourceLocation: SourceLocation = #_sourceLocation) async throws -> JSONValue {
        let r = try await send(.get, "/v1/wallet", key: key, sourceLocation: sourceLocation)
        try #require(r.status == 200, "wallet: \(r.status) \(r.text)", sourceLocation: sourceLocation)
        return try #require(r.json, sourceLocation: sourceLocation)
    }

    /// The balance of the account of `kind` in a wallet (the first one of that kind).
    func balance(_ wallet: JSONValue, kind: String, field: String = "available_micro_usdt") -> Int64? {
        wallet["accounts"]?.asArray?.first { $0["kind"]?.stringValue == kind }?[field]?.asInt
    }
}

struct Owner: Sendable {
    let key: String
    let id: Int64
}

struct WorkerAccount: Sendable {
    let key: String
    let id: Int64
    let owner: Owner
}

/// Polls `condition` until it holds, or fails after `timeout`.
func waitUntil(_ what: String, timeout: Duration = .seconds(10), _ condition: () async throws -> Bool) async throws {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(10))
    }
    Issue.record("timed out waiting for \(what)")
    throw WaitTimedOut(what: what)
}

struct WaitTimedOut: Error, CustomStringConvertible {
    let what: String
    var description: String { "timed out waiting for \(what)" }
}
