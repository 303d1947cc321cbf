import Foundation
import HTTPTypes
import Testing
import WorkhiveCore
import WorkhiveEngine

@Suite("Web: CSRF protection")
struct WebCSRFTests {
    @Test("sign-up and login forms without their token, or with another browser's, are refused and write nothing")
    func anonymousForms() async throws {
        try await withWebApp { market, client in
            let browser = Browser(client)
            try await browser.get("/signup")
            let fields = [("name", "Eve"), ("email", "eve@example.com"), ("password", "a long passphrase"), ("role", "worker")]
            let missing = try await browser.post("/signup", fields, csrf: false)
            #expect(missing.status == 403)
            #expect(missing.html.contains("This form has expired"))
            let other = Browser(client)
            try await other.get("/signup")
            let foreign = try await browser.post("/signup", fields + [("_csrf", try #require(other.csrf))], csrf: false)
            #expect(foreign.status == 403)
            // A token without the cookie it was made for is worthless.
            let noCookie = Browser(client)
            let stolen = try await noCookie.post("/signup", fields + [("_csrf", try #require(browser.csrf))], csrf: false)
            #expect(stolen.status == 403)
            #expect(try await market.count("owners") == 0)
            #expect(try await browser.post("/login", [("email", "eve@example.com"), ("password", "x")], csrf: false).status == 403)
        }
    }

    @Test("signed-in forms and the heartbeat need this session's token and a same-origin request")
    func signedInForms() async throws {
        try await withWebApp { market, client in
            let rita = Browser(client)
            try await rita.signUp(name: "Rita", email: "rita@example.com", role: "requester")
            let mallory = Browser(client)
            try await mallory.signUp(name: "Mallory", email: "mallory@example.com", role: "requester")
            try await rita.get("/wallet")
            let funds = { try await market.m.database.read { try await $0.queryOne("SELECT COALESCE(SUM(credits_posted),0) FROM accounts WHERE kind = 'funds'", [])!.int(0) } }

            #expect(try await rita.post("/wallet/deposit", [("amount", "5")], csrf: false).status == 403)
            #expect(try await rita.post("/wallet/deposit", [("amount", "5"), ("_csrf", try #require(mallory.csrf))], csrf: false).status == 403)
            let crossSite = try await rita.post("/wallet/deposit", [("amount", "5")], headers: [.origin: "http://evil.example"])
            #expect(crossSite.status == 403)
            #expect(try await funds() == 0)
            let ok = try await rita.post("/wallet/deposit", [("amount", "5")])
            #expect(ok.status == 303 && ok.location == "/wallet?notice=deposited")
            #expect(try await funds() == 5_000_000)

            try await rita.get("/tasks/new")
            let posted = try await rita.post("/tasks/new", [("task_type", "a.b"), ("title", "t"), ("reward", "1"), ("idempotency_key", "k1")], csrf: false)
            #expect(posted.status == 403)
            #expect(try await market.count("tasks") == 0)

            // Logout without a token does not end the session.
            #expect(try await rita.post("/logout", csrf: false).status == 403)
            #expect(try await rita.get("/tasks").status == 200)
        }
    }

    @Test("the lease heartbeat endpoint needs the X-CSRF-Token header and answers JSON")
    func heartbeatNeedsHeader() async throws {
        try await withWebApp { market, client in
            let requester = try await market.m.createOwner(name: "req")
            let owner = try await market.m.authenticate(apiKey: requester.apiKey)
            _ = try await market.m.deposit(owner, amountMicroUSDT: 10_000_000)
            _ = try await market.m.postTask(owner, try TaskSpec(
                taskType: "social.like", title: "Like", instructions: "", payloadJSON: "{}", requiredCapabilities: .none, rewardMicroUSDT: 1_000_000,
                leaseSeconds: 60, maxAttempts: 3, deadlineAtMillis: nil, priority: 0, visibility: .public,
                verification: VerificationPolicy(verifiers: 0, quorum: 0, spotCheckRate: 0, verifierRewardMicroUSDT: 0), nowMillis: market.m.now()))
            let worker = Browser(client)
            try await worker.signUp(name: "Wes", email: "wes@example.com", role: "worker")
            let claimed = try await worker.post("/work/claim", [("task_type", "social.like")])
            let claim = try #require(trailingID(claimed.location))
            let page = try await worker.get("/work/claims/\(claim)")
            #expect(page.html.contains("data-heartbeat-url=\"/work/claims/\(claim)/heartbeat\""))
            let token = try #require(worker.csrf)
            let without = try await worker.send(.post, "/work/claims/\(claim)/heartbeat", headers: [.accept: "application/json"], body: nil)
            #expect(without.status == 403)
            #expect(without.headers[.contentType]?.hasPrefix("application/json") == true)
            let with = try await worker.send(.post, "/work/claims/\(claim)/heartbeat",
                                             headers: [.accept: "application/json", HTTPField.Name("X-CSRF-Token")!: token], body: nil)
            #expect(with.status == 200)
            #expect(with.html.contains("\"remaining_ms\":"))
        }
    }
}
