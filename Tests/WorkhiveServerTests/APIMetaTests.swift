import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import Testing
import WorkhiveCore
import WorkhiveEngine
import Yams
@testable import WorkhiveServer

/// The anonymous routes: health and the API description.
@Suite("API: meta routes")
struct APIMetaTests {
    @Test("GET /healthz answers {\"status\": \"ok\"}")
    func health() async throws {
        try await withAPI { api in
            let r = try await api.send(.get, "/healthz")
            #expect(r.status == 200)
            #expect(r.json == .object(["status": .string("ok")]))
            #expect(r.headers[.contentType]?.hasPrefix("application/json") == true)
        }
    }

    @Test("GET /openapi.yaml serves the bundled document as YAML that parses")
    func openAPIDocument() async throws {
        try await withAPI { api in
            let r = try await api.send(.get, "/openapi.yaml")
            #expect(r.status == 200)
            let contentType = try #require(r.headers[.contentType])
            #expect(contentType.contains("yaml"), "\(contentType)")
            #expect(r.text == OpenAPIDocument.text)
            let parsed = try #require(try Yams.load(yaml: r.text) as? [String: Any])
            #expect((parsed["openapi"] as? String)?.hasPrefix("3.1") == true)
            #expect((parsed["paths"] as? [String: Any])?["/v1/tasks"] != nil)
            // And it is the document the checks of this suite use.
            let served = try OpenAPISpec(text: r.text)
            #expect(served.operations == apiSpec.operations)
        }
    }

    @Test("sign-up: 201 with a key that works; a blank or overlong name is 400")
    func signUp() async throws {
        try await withAPI { api in
            let r = try await api.send(.post, "/v1/owners", json: #"{"name": "  Ada  ", "ignored": true}"#)
            #expect(r.status == 201)
            #expect(r["subject"]?["name"]?.stringValue == "Ada")
            let key = try #require(r["api_key"]?.stringValue)
            #expect(key.hasPrefix("wh_"))
            #expect(try await api.send(.get, "/v1/me", key: key).status == 200)
            api.expectError(try await api.send(.post, "/v1/owners", json: #"{"name": "   "}"#), 400, "invalid_request")
            api.expectError(try await api.send(.post, "/v1/owners", json: #"{"name": "\#(String(repeating: "n", count: 101))"}"#), 400, "invalid_request")
        }
    }

    @Test("a bad key is refused on the anonymous routes too, with a documented 401")
    func badKeyOnAnonymousRoutes() async throws {
        try await withAPI { api in
            let junk: HTTPFields = [.authorization: "Bearer wh_1_nope"]
            api.expectError(try await api.send(.post, "/v1/owners", json: #"{"name": "x"}"#, headers: junk), 401, "unauthenticated")
            api.expectError(try await api.send(.post, "/v1/owners", json: #"{"name": "x"}"#, headers: [.authorization: "Basic eDp5"]), 401, "unauthenticated")
        }
    }

    @Test("/healthz and /openapi.yaml ignore credentials (security: []), good, bad or rate-limited")
    func metaRoutesIgnoreCredentials() async throws {
        try await withAPI(configure: { $0.rateLimitPerSecond = 1; $0.rateLimitBurst = 1 }) { api in
            let owner = try await api.m.createOwner(name: "prober")
            for authorization in ["Bearer wh_1_nope", "Basic eDp5", "garbage", "Bearer \(owner.apiKey)"] {
                for path in ["/healthz", "/openapi.yaml"] {
                    let r = try await api.send(.get, path, headers: [.authorization: authorization])
                    #expect(r.status == 200, "\(path) with '\(authorization)': \(r.status) \(r.text.prefix(200))")
                }
            }
            // The key's budget was not spent by the probes above.
            #expect(try await api.send(.get, "/v1/me", key: owner.apiKey).status == 200)
        }
    }
}
