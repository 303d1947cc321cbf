import AsyncHTTPClient
import Foundation

/// A typed async client of the Workhive REST API.
///
/// ```swift
/// let owner = try await WorkhiveClient(baseURL: "http://localhost:8080").createOwner(name: "acme")
/// let client = WorkhiveClient(baseURL: "http://localhost:8080", apiKey: owner.apiKey)
/// let task = try await client.postTask(NewTask(taskType: "summarize", title: "Summarize", rewardMicroUSDT: 1_000_000))
/// ```
///
/// Non-2xx answers throw `WorkhiveAPIError`; requests that got no answer throw
/// `WorkhiveTransportError`; undecodable answers throw `WorkhiveDecodingError`; a cancelled task
/// throws `CancellationError`. The client does not retry by itself: `RetryPolicy` and `AgentRunner` do.
public struct WorkhiveClient: Sendable {
    /// Scheme, host and port of the server, e.g. `http://localhost:8080` (no trailing `/v1`).
    public let baseURL: String
    /// The key sent as `Authorization: Bearer <key>`; nil for anonymous calls (creating an owner).
    public let apiKey: String?
    /// What carries the requests.
    public let transport: any WorkhiveTransport
    /// How long a request may take before it fails with a transport error. Long-poll claims get their
    /// wait on top.
    public var requestTimeout: Duration

    /// A client over AsyncHTTPClient (`HTTPClient.shared` unless one is given).
    public init(baseURL: String, apiKey: String? = nil, httpClient: HTTPClient = .shared, requestTimeout: Duration = .seconds(30)) {
        self.init(baseURL: baseURL, apiKey: apiKey, transport: AsyncHTTPClientTransport(httpClient: httpClient), requestTimeout: requestTimeout)
    }

    /// A client over any transport (for example one that injects faults in tests).
    public init(baseURL: String, apiKey: String? = nil, transport: any WorkhiveTransport, requestTimeout: Duration = .seconds(30)) {
        var base = baseURL
        while base.hasSuffix("/") { base.removeLast() }
        self.baseURL = base
        self.apiKey = apiKey
        self.transport = transport
        self.requestTimeout = requestTimeout
    }

    /// The same server and transport with another API key.
    public func withAPIKey(_ apiKey: String?) -> WorkhiveClient {
        WorkhiveClient(baseURL: baseURL, apiKey: apiKey, transport: transport, requestTimeout: requestTimeout)
    }

    // MARK: - Request plumbing

    /// Sends a request and decodes a 2xx JSON answer as `T`.
    func call<T: Decodable>(
        _ method: String, _ path: String, query: [(String, String?)] = [], json body: (any Encodable)? = nil,
        headers: [(String, String)] = [], extraTimeout: Duration = .zero, as type: T.Type = T.self
    ) async throws -> T {
        let response = try await callRaw(method, path, query: query, body: try body.map(Self.encode), contentType: "application/json",
                                         headers: headers, extraTimeout: extraTimeout)
        return try Self.decode(T.self, from: response)
    }

    /// Sends a request and returns the 2xx answer undecoded, or throws `WorkhiveAPIError`.
    func callRaw(
        _ method: String, _ path: String, query: [(String, String?)] = [], body: [UInt8]? = nil, contentType: String = "application/json",
        headers: [(String, String)] = [], extraTimeout: Duration = .zero
    ) async throws -> WorkhiveHTTPResponse {
        var all = headers
        all.append(("Accept", "application/json"))
        if let apiKey { all.append(("Authorization", "Bearer \(apiKey)")) }
        if body != nil { all.append(("Content-Type", contentType)) }
        let request = WorkhiveHTTPRequest(method: method, url: url(path, query: query), headers: all, body: body)
        let response: WorkhiveHTTPResponse
        do {
            try Task.checkCancellation()
            response = try await transport.send(request, timeout: requestTimeout + extraTimeout)
        } catch let error as CancellationError {
            throw error
        } catch {
            if Task.isCancelled { throw CancellationError() }
            throw WorkhiveTransportError(error)
        }
        guard (200..<300).contains(response.status) else { throw Self.apiError(from: response) }
        return response
    }

    func url(_ path: String, query: [(String, String?)]) -> String {
        let items = query.compactMap { name, value in value.map { "\(Self.escape(name))=\(Self.escape($0))" } }
        return baseURL + path + (items.isEmpty ? "" : "?" + items.joined(separator: "&"))
    }

    static func escape(_ s: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return s.addingPercentEncoding(withAllowedCharacters: allowed) ?? s
    }

    static func encode(_ value: any Encodable) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Array(try encoder.encode(value))
    }

    static func decode<T: Decodable>(_ type: T.Type, from response: WorkhiveHTTPResponse) throws -> T {
        do {
            return try JSONDecoder().decode(T.self, from: Data(response.body))
        } catch {
            throw WorkhiveDecodingError(status: response.status, type: String(describing: T.self), underlying: error,
                                        body: String(decoding: response.body, as: UTF8.self))
        }
    }

    /// The error of a non-2xx answer, from its `{"error": {...}}` body when it has one.
    static func apiError(from response: WorkhiveHTTPResponse) -> WorkhiveAPIError {
        struct Body: Decodable {
            struct Inner: Decodable {
                var code: String?
                var message: String?
            }
            var error: Inner
        }
        let retryAfter = response.header("Retry-After").flatMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        let inner = (try? JSONDecoder().decode(Body.self, from: Data(response.body)))?.error
        let text = String(decoding: response.body.prefix(500), as: UTF8.self)
        return WorkhiveAPIError(
            status: response.status,
            code: inner?.code ?? (response.status == 429 ? WorkhiveAPIError.Codes.rateLimited : "http_\(response.status)"),
            message: inner?.message ?? (text.isEmpty ? "HTTP \(response.status)" : text),
            retryAfterSeconds: retryAfter)
    }
}
