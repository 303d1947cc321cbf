import Foundation
import Testing
import WorkhiveCore
import WorkhiveEngine

@Suite("Web: tasks, claims, verification and authorization")
struct WebWorkflowTests {
    @Test("bad task forms: a message next to each wrong field, values kept, no task and no escrow written")
    func badTaskForm() async throws {
        try await withWebApp { market, client in
            let rita = Browser(client)
            try await rita.signUp(name: "Rita", email: "rita@example.com", role: "requester")
            try await rita.get("/wallet")
            #expect(try await rita.post("/wallet/deposit", [("amount", "10")]).status == 303)
            let transfers = try await market.count("transfers")

            let page = try await rita.postTask([
                ("task_type", "Not A Type"), ("title", ""), ("payload", "{\"url\": "), ("reward", "abc"), ("lease_seconds", "2"),
                ("max_attempts", "x"), ("verifiers", "3"), ("quorum", "5"), ("spot_check_rate", "1.5"), ("deadline", "2001-01-01T00:00"),
                ("verifier_reward", "0.0000001"), ("required_capabilities", "ok, Not-ok!"),
            ])
            #expect(page.status == 400)
            #expect(page.html.contains("The task was not posted"))
            #expect(page.fieldError("task_type")?.contains("a-z, 0-9") == true)
            #expect(page.fieldError("title") == "Enter a title of 1 to 200 characters.")
            #expect(page.fieldError("payload")?.hasPrefix("This is not valid JSON") == true)
            #expect(page.fieldError("reward")?.contains("digits and one decimal point") == true)
            #expect(page.fieldError("lease_seconds") == "The lease must be between 5 and 86400.")
            #expect(page.fieldError("max_attempts") == "Enter a whole number.")
            #expect(page.fieldError("quorum")?.contains("between 1 and the number of verifiers (3)") == true)
            #expect(page.fieldError("spot_check_rate") != nil)
            #expect(page.fieldError("deadline") == "The deadline must be in the future.")
            #expect(page.fieldError("verifier_reward") == "USDT has at most 6 decimal places.")
            #expect(page.fieldError("required_capabilities") != nil)
            #expect(page.html.contains(#"value="Not A Type""#))
            #expect(try await market.count("tasks") == 0)
            #expect(try await market.count("transfers") == transfers)

            // Valid on its own, but more than the balance: the reward field says why.
            let poor = try await rita.postTask([("task_type", "social.like"), ("title", "Like it"), ("reward", "100")])
            #expect(poor.status == 402)
            #expect(poor.fieldError("reward")?.contains("you have 10.00 USDT available") == true)
            #expect(try await market.count("tasks") == 0)
            #expect(try await market.count("transfers") == transfers)

            let badDeposit = try await rita.post("/wallet/deposit", [("amount", "-5")])
            #expect(badDeposit.status == 400)
            #expect(badDeposit.fieldError("amount") != nil)
            #expect(try await market.count("transfers") == transfers)

            // A good form posts once, however often it is sent.
            let fields = [("task_type", "social.like"), ("title", "Like it"), ("reward", "1.5"), ("payload", #"{"url": "https://example.com/p/1"}"#)]
            let form = try await rita.get("/tasks/new")
            let key = String(try #require(form.html.range(of: #"name="idempotency_key" value="[^"]+""#, options: .regularExpression).map { form.html[$0] }))
                .components(separatedBy: "value=\"")[1].dropLast()
            let defaults = [("lease_seconds", "300"), ("max_attempts", "3"), ("priority", "0"), ("visibility", "public"), ("verifiers", "3"),
                            ("spot_check_rate", "0")]
            let first = try await rita.post("/tasks/new", fields + defaults + [("idempotency_key", String(key))])
            let second = try await rita.post("/tasks/new", fields + defaults + [("idempotency_key", String(key))])
            #expect(first.status == 303 && first.location == second.location)
            #expect(try await market.count("tasks") == 1)
            let task = try await rita.get(try #require(first.location))
            #expect(task.html.contains("Like it") && task.html.contains("1.50 USDT"))
        }
    }

    @Test("post → claim → submit with a proof → two human verifiers approve → paid; authorization enforced at every step")
    func lifecycleAndAuthorization() async throws {
        try await withWebApp { market, client in
            let rita = Browser(client)
            try await rita.signUp(name: "Rita", email: "rita@example.com", role: "requester")
            try await rita.get("/wallet")
            #expect(try await rita.post("/wallet/deposit", [("amount", "50")]).status == 303)
            let posted = try await rita.postTask([
                ("task_type", "moderation.image"), ("title", "Is this image safe?"), ("instructions", "Answer safe or unsafe."),
                ("payload", #"{"image_url": "https://example.com/cat.png"}"#), ("required_capabilities", "moderation"), ("reward", "2"),
                ("spot_check_rate", "1"),
            ])
            #expect(posted.status == 303)
            let taskID = try #require(trailingID(posted.location))

            // Another requester can neither read the results nor cancel.
            let bob = Browser(client)
            try await bob.signUp(name: "Bob", email: "bob@example.com", role: "requester")
            #expect(try await bob.get("/tasks/\(taskID)").status == 403)
            try await bob.get("/tasks")
            #expect(try await bob.post("/tasks/\(taskID)/cancel").status == 403)
            #expect(try await bob.get("/admin").status == 403)

            // A worker without the skill does not see it and cannot claim it.
            let unskilled = Browser(client)
            try await unskilled.signUp(name: "Uma", email: "uma@example.com", role: "worker")
            #expect(!(try await unskilled.get("/work").html.contains("Is this image safe?")))
            #expect(try await unskilled.post("/work/claim", [("task_type", "moderation.image")]).location == "/work?notice=taken")

            let wes = Browser(client)
            try await wes.signUp(name: "Wes", email: "wes@example.com", role: "worker", capabilities: "moderation")
            let feed = try await wes.get("/work")
            #expect(feed.html.contains("Is this image safe?") && feed.html.contains("2.00 USDT"))
            let claimed = try await wes.post("/work/claim", [("task_type", "moderation.image")])
            let claimID = try #require(trailingID(claimed.location))
            let claimPage = try await wes.get("/work/claims/\(claimID)")
            #expect(claimPage.html.contains(#"<img src="https://example.com/cat.png""#))
            #expect(claimPage.html.contains("Answer safe or unsafe."))
            #expect(try await unskilled.get("/work/claims/\(claimID)").status == 403)

            // Bad submissions write nothing: no blob, no submission.
            let noText = try await wes.postMultipart("/work/claims/\(claimID)/submit", [("result", " ")], files: [("proof", "p.png", "image/png", onePixelPNG)])
            #expect(noText.status == 400)
            #expect(noText.fieldError("result") == "Describe your result before submitting.")
            let badFile = try await wes.postMultipart("/work/claims/\(claimID)/submit", [("result", "safe")],
                                                      files: [("proof", "tool.exe", "application/x-msdownload", [0x4d, 0x5a])])
            #expect(badFile.status == 400)
            #expect(badFile.fieldError("proof")?.contains("tool.exe") == true)
            #expect(try await market.count("blobs") == 0)
            #expect(try await market.count("submissions") == 0)

            let submitted = try await wes.postMultipart("/work/claims/\(claimID)/submit", [("result", "safe")],
                                                        files: [("proof", "shot.png", "image/png", onePixelPNG), ("proof", "", "application/octet-stream", [])])
            #expect(submitted.status == 303 && submitted.location == "/work?notice=submitted")
            #expect(try await market.count("blobs") == 1)
            let digest = sha256Hex(onePixelPNG)
            #expect(try await wes.get("/files/\(digest)").status == 200)
            #expect(try await bob.get("/files/\(digest)").status == 404)
            #expect(try await rita.get("/files/\(digest)").status == 200)

            // The submitter never verifies itself.
            let mine = try await wes.get("/verify")
            #expect(mine.html.contains("Nothing is waiting"))

            var verifiers: [Browser] = []
            for (i, name) in ["Vera", "Vic"].enumerated() {
                let v = Browser(client)
                try await v.signUp(name: name, email: "v\(i)@example.com", role: "worker", capabilities: "moderation")
                let queue = try await v.get("/verify")
                #expect(queue.html.contains("Is this image safe?"))
                let claimedSlot = try await v.post("/verify/claim")
                let slot = try #require(trailingID(claimedSlot.location))
                let review = try await v.get("/work/claims/\(slot)")
                #expect(review.html.contains("Answer safe or unsafe.") && review.html.contains("/files/\(digest)"))
                #expect(try await v.get("/files/\(digest)").status == 200)
                if i == 0 {
                    let noReason = try await v.post("/work/claims/\(slot)/vote", [("verdict", "reject"), ("reason", "")])
                    #expect(noReason.status == 400)
                    #expect(noReason.fieldError("reason") != nil)
                    #expect(try await market.m.database.read { try await $0.queryOne("SELECT COUNT(*) FROM votes", [])!.int(0) } == 0)
                }
                let voted = try await v.post("/work/claims/\(slot)/vote", [("verdict", "approve"), ("reason", "")])
                #expect(voted.status == 303 && voted.location == "/verify?notice=voted")
                verifiers.append(v)
            }
            // The spot-check slot was human-only; both votes came from humans and approved.
            let wallet = try await wes.get("/wallet")
            #expect(wallet.html.contains("Task reward"))
            #expect(wallet.html.contains("+2.00 USDT"))
            let taskPage = try await rita.get("/tasks/\(taskID)")
            #expect(taskPage.html.contains("state-approved"))
            #expect(taskPage.html.contains("2 approve, 0 reject"))
            #expect(try await verifiers[0].get("/wallet").html.contains("Verification reward"))

            // Suspension through the admin page stops the worker at once.
            let root = try await market.m.createOwner(name: "root", admin: true)
            let admin = Browser(client)
            try await admin.get("/login")
            #expect(try await admin.post("/login/key", [("api_key", root.apiKey)]).status == 303)
            let overview = try await admin.get("/admin")
            #expect(overview.html.contains("Wes"))
            let wesID = try #require(try await market.m.database.read { try await $0.queryOne("SELECT id FROM workers WHERE name = 'Wes'", []) }).int(0)
            #expect(try await rita.post("/admin/workers/\(wesID)/suspend").status == 403)
            #expect(try await admin.post("/admin/workers/\(wesID)/suspend").location == "/admin?notice=suspended")
            let suspended = try await wes.get("/work")
            #expect(suspended.html.contains("Your worker account is suspended"))
            #expect(try await wes.post("/work/claim", [("task_type", "moderation.image")]).status == 403)
            #expect(try await wes.get("/wallet").status == 200, "the wallet stays open to a suspended worker")
        }
    }
}
