import AsyncHTTPClient
import NIOCore

/// One HTTP request as `WorkhiveClient` builds it.
public struct WorkhiveHTTPRequest: Sendable {
    public var method: String
    public var url: String
    public var headers: [(String, String)]
    public var body: [UInt8]?

    public init(method: String, url: String, headers: [(String, String)] = [], body: [UInt8]? = nil) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
    }

    /// The request's path and query, from the URL (for logging and test hooks).
    public var path: String {
        guard let scheme = url.range(of: "://") else { return url }
        let rest = url[scheme.upperBound...]
        return rest.firstIndex(of: "/").map { String(rest[$0...]) } ?? "/"
    }
}

/// One HTTP answer.
public struct WorkhiveHTTPResponse: Sendable {
    public var status: Int
    public var headers: [(String, String)]
    public var body: [UInt8]

    public init(status: Int, headers: [(String, String)] = [], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The first header named `name` (case-insensitive).
    public func header(_ name: String) -> String? {
        let lower = name.lowercased()
        return headers.first { $0.0.lowercased() == lower }?.1
    }
}

/// What carries `WorkhiveClient`'s requests. `AsyncHTTPClientTransport` is the real one; tests can
/// wrap it to inject faults (a lost response, a reset connection).
public protocol WorkhiveTransport: Sendable {
    /// Sends the request and returns the whole answer, or throws when no answer arrived in `timeout`.
    func send(_ request: WorkhiveHTTPRequest, timeout: Duration) async throws -> WorkhiveHTTPResponse
}

/// The transport over an AsyncHTTPClient `HTTPClient` (`HTTPClient.shared` by default).
public struct AsyncHTTPClientTransport: WorkhiveTransport {
    public let httpClient: HTTPClient
    /// Largest answer body read.
    public var maxResponseBytes: Int

    public init(httpClient: HTTPClient = .shared, maxResponseBytes: Int = 32 << 20) {
        self.httpClient = httpClient
        self.maxResponseBytes = maxResponseBytes
    }

    public func send(_ request: WorkhiveHTTPRequest, timeout: Duration) async throws -> WorkhiveHTTPResponse {
        var r = HTTPClientRequest(url: request.url)
        r.method = .init(rawValue: request.method)
        for (name, value) in request.headers { r.headers.add(name: name, value: value) }
        if let body = request.body { r.body = .bytes(ByteBuffer(bytes: body)) }
        let millis = Int64(timeout.components.seconds) * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000
        let response = try await httpClient.execute(r, timeout: .milliseconds(millis))
        let body = try await response.body.collect(upTo: maxResponseBytes)
        return WorkhiveHTTPResponse(
            status: Int(response.status.code),
            headers: response.headers.map { ($0.name, $0.value) },
            body: Array(buffer: body))
    }
}
