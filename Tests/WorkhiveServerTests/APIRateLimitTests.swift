import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import Testing
import WorkhiveCore
import WorkhiveEngine
import WorkhiveTestSupport
@testable import WorkhiveServer

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Token buckets per API key, and per client address for anonymous calls.
@Suite("API: rate limits")
struct APIRateLimitTests {
    static func tight(_ cfg: inout ServerConfiguration) {
        cfg.rateLimitPerSecond = 1
        cfg.rateLimitBurst = 2
    }

    /// A bucket that does not refill within a test, for checks that follow the limited answer with
    /// more calls (a busy machine could otherwise refill a token in between).
    static func noRefill(_ cfg: inout ServerConfiguration) {
        cfg.rateLimitPerSecond = 0.01
        cfg.rateLimitBurst = 2
    }

    /// Sends `send` until it answers 429 (at most `attempts` times) and returns the answers. The
    /// third call is expected to be the limited one, unless the machine stalled long enough for the
    /// bucket to refill (then a later one is).
    static func spend(_ attempts: Int = 6, _ send: () async throws -> APIResponse) async throws -> (answers: [APIResponse], quick: Bool) {
        let start = ContinuousClock.now
        var answers: [APIResponse] = []
        for _ in 0..<attempts {
            answers.append(try await send())
            if answers.last?.status == 429 { break }
        }
        return (answers, ContinuousClock.now - start < .milliseconds(900))
    }

    static func expectLimited(_ api: API, _ answers: [APIResponse], quick: Bool, sourceLocation: SourceLocation = #_sourceLocation) {
        guard let limited = answers.last, limited.status == 429 else {
            Issue.record("never limited: \(answers.map(\.status))", sourceLocation: sourceLocation)
            return
        }
        if quick { #expect(answers.count == 3, "the third quick request is the limited one: \(answers.map(\.status))", sourceLocation: sourceLocation) }
        #expect(answers.dropLast().allSatisfy { $0.status < 400 }, "\(answers.map(\.status))", sourceLocation: sourceLocation)
        api.expectError(limited, 429, "rate_limited", sourceLocation: sourceLocation)
        let retryAfter = limited.headers[.retryAfter].flatMap { Int($0) }
        #expect(retryAfter != nil, "no Retry-After: \(limited.headers)", sourceLocation: sourceLocation)
        #expect((retryAfter ?? 0) >= 1, sourceLocation: sourceLocation)
    }

    @Test("a key past its burst gets 429 rate_limited with Retry-After ≥ 1; other keys are not affected")
    func perKey() async throws {
        try await withAPI(configure: Self.noRefill) { api in
            let alice = try await api.m.createOwner(name: "alice")
            let bob = try await api.m.createOwner(name: "bob")
            let (answers, quick) = try await Self.spend { try await api.send(.get, "/v1/me", key: alice.apiKey) }
            Self.expectLimited(api, answers, quick: quick)
            // Every route answers the limit the same way, with the documented 429.
            api.expectError(try await api.send(.get, "/v1/wallet", key: alice.apiKey), 429, "rate_limited")
            api.expectError(try await api.send(.post, "/v1/tasks", key: alice.apiKey, json: "{}"), 429, "rate_limited")
            // Another key has its own bucket.
            #expect(try await api.send(.get, "/v1/me", key: bob.apiKey).status == 200)
            // A worker key too.
            let worker = try await api.m.createWorker(try await api.m.authenticate(apiKey: bob.apiKey), name: "w", kind: .agent, capabilities: [])
            #expect(try await api.send(.get, "/v1/me", key: worker.apiKey).status == 200)
        }
    }

    @Test("anonymous calls share a bucket per client address; keyed calls and /healthz are not charged to it")
    func anonymous() async throws {
        try await withAPI(configure: Self.noRefill) { api in
            let owner = try await api.m.createOwner(name: "keyed")
            let (answers, quick) = try await Self.spend { try await api.send(.post, "/v1/owners", json: #"{"name": "anon"}"#) }
            Self.expectLimited(api, answers, quick: quick)
            // Any anonymous /v1 call is refused now, even one that would be a 401.
            api.expectError(try await api.send(.get, "/v1/me"), 429, "rate_limited")
            // A keyed caller (same address) is not.
            #expect(try await api.send(.get, "/v1/me", key: owner.apiKey).status == 200)
            // Meta routes are not limited.
            #expect(try await api.send(.get, "/healthz").status == 200)
            #expect(try await api.send(.get, "/openapi.yaml").status == 200)
        }
    }

    @Test("live: another client address has its own anonymous bucket")
    func perAddress() async throws {
        try await withAPI(.live, configure: Self.noRefill) { api in
            let port = try #require(api.port)
            // The test client, from 127.0.0.1, spends the anonymous budget of its address.
            let (answers, quick) = try await Self.spend { try await api.send(.post, "/v1/owners", json: #"{"name": "anon"}"#) }
            Self.expectLimited(api, answers, quick: quick)
            let again = try await rawHTTP(port: port, from: "127.0.0.1", method: "GET", path: "/v1/me")
            #expect(again.status == 429, "\(again.status) \(again.body)")
            // A client on another loopback address is not limited by it.
            let other: RawHTTPResponse
            do {
                other = try await rawHTTP(port: port, from: "127.0.0.2", method: "GET", path: "/v1/me")
            } catch let error as RawHTTPError where error.step == "bind" {
                // No second loopback address in this sandbox: nothing more to check here.
                print("skipping the second-address check: \(error)")
                return
            }
            #expect(other.status == 401, "\(other.status) \(other.body)")
            #expect(apiSpec.validate(method: "GET", path: "/v1/me", status: other.status, body: Data(other.body.utf8)) == [])
            let signUp = try await rawHTTP(port: port, from: "127.0.0.2", method: "POST", path: "/v1/owners", body: #"{"name": "elsewhere"}"#)
            #expect(signUp.status == 201, "\(signUp.status) \(signUp.body)")
            #expect(apiSpec.validate(method: "POST", path: "/v1/owners", status: signUp.status, body: Data(signUp.body.utf8)) == [])
        }
    }
}

// MARK: - A bare HTTP/1.1 client that can choose its source address

struct RawHTTPResponse {
    let status: Int
    let headers: [String: String]
    let body: String
}

struct RawHTTPError: Error, CustomStringConvertible {
    let step: String
    let code: Int32
    var description: String { "\(step) failed: \(String(cString: strerror(code)))" }
}

/// One request on a fresh TCP connection from `source` to 127.0.0.1:`port`, read to the end.
/// Blocking socket calls, so on a thread of their own: on the cooperative pool they would hold one of
/// its (on 2 cores, two) threads, which the server under test needs to answer.
func rawHTTP(port: Int, from source: String, method: String, path: String, body: String? = nil) async throws -> RawHTTPResponse {
    try await offCooperativePool { try rawHTTPBlocking(port: port, from: source, method: method, path: path, body: body) }
}

func rawHTTPBlocking(port: Int, from source: String, method: String, path: String, body: String? = nil) throws -> RawHTTPResponse {
    #if canImport(Glibc)
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    #else
    let fd = socket(AF_INET, SOCK_STREAM, 0)
    #endif
    guard fd >= 0 else { throw RawHTTPError(step: "socket", code: errno) }
    defer { close(fd) }
    var timeout = timeval(tv_sec: 5, tv_usec: 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))

    func address(_ host: String, _ port: Int) -> sockaddr_in {
        var a = sockaddr_in()
        a.sin_family = sa_family_t(AF_INET)
        a.sin_port = in_port_t(UInt16(port).bigEndian)
        inet_pton(AF_INET, host, &a.sin_addr)
        return a
    }
    var local = address(source, 0)
    let bound = withUnsafePointer(to: &local) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard bound == 0 else { throw RawHTTPError(step: "bind", code: errno) }
    var remote = address("127.0.0.1", port)
    let connected = withUnsafePointer(to: &remote) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard connected == 0 else { throw RawHTTPError(step: source == "127.0.0.1" ? "connect" : "bind", code: errno) }

    var request = "\(method) \(path) HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
    if let body { request += "Content-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n" }
    request += "\r\n" + (body ?? "")
    let bytes = Array(request.utf8)
    var sent = 0
    while sent < bytes.count {
        let n = bytes[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
        guard n > 0 else { throw RawHTTPError(step: "send", code: errno) }
        sent += n
    }
    var received: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 16 * 1024)
    while true {
        let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if n < 0 { throw RawHTTPError(step: "recv", code: errno) }
        if n == 0 { break }
        received += buffer[0..<n]
    }
    let text = String(decoding: received, as: UTF8.self)
    guard let split = text.range(of: "\r\n\r\n") else { throw RawHTTPError(step: "parse", code: 0) }
    let head = text[..<split.lowerBound].components(separatedBy: "\r\n")
    let status = Int(head.first?.split(separator: " ").dropFirst().first ?? "") ?? 0
    var headers: [String: String] = [:]
    for line in head.dropFirst() {
        if let colon = line.firstIndex(of: ":") {
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
    }
    return RawHTTPResponse(status: status, headers: headers, body: String(text[split.upperBound...]))
}
