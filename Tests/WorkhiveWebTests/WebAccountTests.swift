import Foundation
import Testing
import WorkhiveCore
import WorkhiveEngine

@Suite("Web: sign-up, login, sessions")
struct WebAccountTests {
    @Test("signing up as a worker makes an owner and a human worker, signs in with a hashed server-side session, and logs out")
    func workerSignUpLoginLogout() async throws {
        try await withWebApp { market, client in
            let browser = Browser(client)
            let signup = try await browser.get("/signup")
            #expect(signup.status == 200)
            let anon = try #require(signup.setCookies.first { $0.hasPrefix("wh_anon=") })
            for flag in ["HttpOnly", "Secure", "SameSite=Lax", "Path=/"] { #expect(anon.contains(flag), "\(flag) missing: \(anon)") }

            let answer = try await browser.post("/signup", [("name", "Ada"), ("email", "Ada@Example.com"), ("password", "a long passphrase"),
                                                            ("role", "worker"), ("capabilities", "Moderation, english")])
            #expect(answer.status == 303)
            #expect(answer.location == "/work?notice=welcome")
            let sessionCookie = try #require(answer.setCookies.first { $0.hasPrefix("wh_session=") })
            for flag in ["HttpOnly", "Secure", "SameSite=Lax", "Path=/", "Max-Age="] { #expect(sessionCookie.contains(flag), "\(flag) missing") }
            let token = try #require(browser.cookie("wh_session"))

            // Stored as a hash only; the password as a salted scrypt hash.
            let sessions = try await market.m.database.read { try await $0.query("SELECT token_hash FROM web_sessions", []) }
            #expect(sessions.map { $0.text(0) } == [sha256Hex(token)])
            let login = try await market.m.database.read { try await $0.queryOne("SELECT email, password_hash, worker_id FROM web_logins", [])! }
            #expect(login.text(0) == "ada@example.com")
            #expect(login.text(1).hasPrefix("scrypt$10$8$1$") && !login.text(1).contains("passphrase"))
            let workerID: WorkerID = try #require(login.optionalID(2))
            let admin = try await market.m.createOwner(name: "root", admin: true)
            let worker = try await market.m.worker(try await market.m.authenticate(apiKey: admin.apiKey), id: workerID)
            #expect(worker.kind == .human)
            #expect(worker.capabilities == ["english", "moderation"])

            let work = try await browser.get("/work?notice=welcome")
            #expect(work.status == 200)
            #expect(work.html.contains("Welcome to Workhive"))
            #expect(work.html.contains("english, moderation"))

            let out = try await browser.post("/logout")
            #expect(out.status == 303 && out.location == "/")
            #expect(out.setCookies.contains { $0.hasPrefix("wh_session=;") && $0.contains("Max-Age=0") })
            #expect(try await market.count("web_sessions") == 0)
            // The old token is dead even if a browser kept it.
            browser.setCookie("wh_session", token)
            let after = try await browser.get("/work")
            #expect(after.status == 303)
            #expect(after.location == "/login?next=%2Fwork")

            try await browser.get("/login")
            let wrong = try await browser.post("/login", [("email", "ada@example.com"), ("password", "not the passphrase")])
            #expect(wrong.status == 401)
            #expect(wrong.fieldError("password") == "The e-mail or the password is wrong.")
            #expect(browser.cookie("wh_session") == token, "a failed login sets no session")
            let unknown = try await browser.post("/login", [("email", "nobody@example.com"), ("password", "a long passphrase")])
            #expect(unknown.status == 401)
            let right = try await browser.post("/login", [("email", "ADA@example.com "), ("password", "a long passphrase"), ("next", "/wallet")])
            #expect(right.status == 303 && right.location == "/wallet")
            #expect(try await browser.get("/wallet").status == 200)
            // The next address never leaves the site.
            let fresh = Browser(client)
            try await fresh.get("/login")
            let offsite = try await fresh.post("/login", [("email", "ada@example.com"), ("password", "a long passphrase"), ("next", "//evil.example/")])
            #expect(offsite.location == "/work")
        }
    }

    @Test("a requester account has no worker: worker pages answer 403")
    func requesterHasNoWorker() async throws {
        try await withWebApp { market, client in
            let browser = Browser(client)
            try await browser.signUp(name: "Rita", email: "rita@example.com", role: "requester")
            #expect(try await market.count("workers") == 0)
            #expect(try await browser.get("/tasks").status == 200)
            let work = try await browser.get("/work")
            #expect(work.status == 403)
            #expect(work.html.contains("no worker"))
            #expect(try await browser.get("/verify").status == 403)
            #expect(try await browser.post("/work/claim", [("task_type", "social.like")]).status == 403)
        }
    }

    @Test("bad sign-up input: a message next to each field, nothing written")
    func badSignUp() async throws {
        try await withWebApp { market, client in
            let browser = Browser(client)
            try await browser.get("/signup")
            let owners = try await market.count("owners")
            let page = try await browser.post("/signup", [("name", " "), ("email", "not-an-email"), ("password", "short"), ("role", "boss"),
                                                          ("capabilities", "Bad Skill!")])
            #expect(page.status == 400)
            #expect(page.fieldError("name") == "Enter a name of 1 to 100 characters.")
            #expect(page.fieldError("email") == "Enter an e-mail address like name@example.com.")
            #expect(page.fieldError("password")?.contains("at least 10 characters") == true)
            #expect(page.fieldError("role") != nil)
            #expect(page.fieldError("capabilities")?.contains("must be 1-64 characters") == true)
            #expect(page.html.contains(#"aria-invalid="true""#))
            #expect(page.html.contains(#"value="not-an-email""#), "typed values are kept")
            #expect(try await market.count("owners") == owners)
            #expect(try await market.count("web_logins") == 0)
            #expect(browser.cookie("wh_session") == nil)

            try await browser.signUp(name: "Bo", email: "bo@example.com", role: "requester")
            let again = Browser(client)
            try await again.get("/signup")
            let taken = try await again.post("/signup", [("name", "Bo 2"), ("email", "BO@example.com"), ("password", "another passphrase"),
                                                         ("role", "worker")])
            #expect(taken.status == 409)
            #expect(taken.fieldError("email")?.contains("already exists") == true)
            #expect(try await market.count("owners") == owners + 1)
            #expect(try await market.count("workers") == 0)
        }
    }

    @Test("an admin signs in with its API key and sees the admin page; closed sign-up closes the form too")
    func adminKeyLoginAndClosedSignup() async throws {
        try await withWebApp(configure: { $0.allowSignup = false }) { market, client in
            let admin = try await market.m.createOwner(name: "root", admin: true)
            let browser = Browser(client)
            #expect(try await browser.get("/signup").status == 403)
            try await browser.get("/login")
            let bad = try await browser.post("/login/key", [("api_key", "wh_1_nope")])
            #expect(bad.status == 401)
            #expect(bad.fieldError("api_key") == "That API key is not valid.")
            let ok = try await browser.post("/login/key", [("api_key", admin.apiKey)])
            #expect(ok.status == 303 && ok.location == "/admin")
            let page = try await browser.get("/admin")
            #expect(page.status == 200)
            #expect(page.html.contains("Workers") && page.html.contains("balanced"))
        }
    }
}
