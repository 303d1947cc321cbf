import Foundation
import Testing
import WorkhiveCore
import WorkhiveEngine

/// The web app in a real browser: headless Chromium (Debian's `chromium` and `chromium-driver`) against
/// a live server on a loopback port. Skipped where Chromium is not installed, except under CI
/// (`CI` set), where a missing browser fails the test. Screenshots of every page go to
/// `$WORKHIVE_SCREENSHOT_DIR`, or `.build/screenshots` in the package.
@Suite("Web: in a real browser", .serialized)
struct WebBrowserTests {
    static let screenshotDirectory: String = {
        if let dir = ProcessInfo.processInfo.environment["WORKHIVE_SCREENSHOT_DIR"], !dir.isEmpty { return dir }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return root.appendingPathComponent(".build/screenshots").path
    }()

    @Test("requester posts and funds; a human worker claims, uploads proof and submits; two humans approve; the worker is paid, sets a payout address, withdraws and follows the payout to confirmed; the admin sees it",
          .enabled(if: WebDriver.shouldRun), .timeLimit(.minutes(6)))
    func fullJourney() async throws {
        guard WebDriver.installed else {
            Issue.record("Chromium is required under CI: install it with .ci/install-browser (apt packages chromium chromium-driver)")
            return
        }
        try FileManager.default.createDirectory(atPath: Self.screenshotDirectory, withIntermediateDirectories: true)
        let proofPath = FileManager.default.temporaryDirectory.appendingPathComponent("workhive-proof-\(UUID().uuidString).png").path
        FileManager.default.createFile(atPath: proofPath, contents: Data(onePixelPNG))
        defer { try? FileManager.default.removeItem(atPath: proofPath) }

        // The payout dispatcher runs on the embedded devnet, as under `workhive serve`.
        try await withWebApp(.live, configure: { $0.web.passwordCostLog2 = 15; $0.host = "127.0.0.1" }, payoutDispatcher: true) { market, client in
            let site = "http://127.0.0.1:\(client.port!)"
            // Two browsers: the requester's stays on its task page to see progress arrive live.
            let requester = try await WebDriver.start()
            let worker: WebDriver
            do {
                worker = try await WebDriver.start()
            } catch {
                // A driver dropped without stop() would take its HTTP client down with a fatal error.
                await requester.stop()
                throw error
            }
            do {
                try await journey(site: site, market: market, requester: requester, worker: worker, proofPath: proofPath)
            } catch {
                try? await snap(worker, "zz-worker-at-failure")
                try? await snap(requester, "zz-requester-at-failure")
                await requester.stop()
                await worker.stop()
                throw error
            }
            await requester.stop()
            await worker.stop()
        }
    }

    func snap(_ driver: WebDriver, _ name: String) async throws {
        let png = try await driver.screenshot()
        #expect(png.count > 1000 && png.starts(with: [0x89, 0x50, 0x4e, 0x47]), "\(name) is not a PNG")
        try png.write(to: URL(fileURLWithPath: "\(Self.screenshotDirectory)/\(name).png"))
    }

    func signUp(_ b: WebDriver, site: String, name: String, email: String, role: String, capabilities: String = "") async throws {
        try await b.deleteCookies()
        try await b.open(site + "/signup")
        try await b.type("#f-name", name)
        try await b.type("#f-email", email)
        try await b.type("#f-password", "a long passphrase \(name)")
        try await b.click("input[name=role][value=\(role)]")
        if !capabilities.isEmpty { try await b.type("#f-capabilities", capabilities) }
        try await b.click("main form button[type=submit]")
        try await b.waitForURL(role == "worker" ? "/work" : "/tasks")
    }

    func journey(site: String, market: WebMarket, requester r: WebDriver, worker w: WebDriver, proofPath: String) async throws {
        // Requester: front page, sign up, fund, post (first with a bad reward).
        try await r.open(site + "/")
        try await r.waitForText("Log in")
        try await snap(r, "01-front-page")
        // The worker's proof will be a real screenshot: this one.
        try await r.screenshot().write(to: URL(fileURLWithPath: proofPath))
        try await r.click("a.button[href='/signup']")
        try await r.waitForURL("/signup")
        try await r.type("#f-name", "Rita Requester")
        try await snap(r, "02-sign-up")
        try await signUp(r, site: site, name: "Rita Requester", email: "rita@example.com", role: "requester")
        try await r.waitForText("Welcome to Workhive")
        try await snap(r, "03-my-tasks")
        try await r.open(site + "/wallet")
        try await r.type("#f-amount", "25")
        try await r.click("form[action='/wallet/deposit'] button")
        try await r.waitForText("Your balance has been credited")
        try await snap(r, "04-requester-wallet")

        try await r.open(site + "/tasks/new")
        try await r.type("#f-task_type", "moderation.image")
        try await r.type("#f-title", "Is this picture safe for work?")
        try await r.type("#f-instructions", "Look at the image. Answer safe or unsafe, and attach a screenshot of what you saw.")
        try await r.type("#f-payload", #"{"image_url": "\#(site)/static/logo.svg", "note": "company logo"}"#)
        try await r.type("#f-required_capabilities", "moderation")
        try await r.type("#f-reward", "two dollars")
        try await r.type("#f-spot_check_rate", "1")
        try await r.click("main form button[type=submit]")
        try await r.waitForText("The task was not posted")
        #expect(try await r.text().contains("Enter an amount in USDT using digits and one decimal point"))
        #expect(try await r.script("return document.getElementById('f-reward').getAttribute('aria-invalid')") == .string("true"))
        #expect(try await market.count("tasks") == 0)
        try await snap(r, "05-post-task-errors")
        try await r.type("#f-reward", "2")
        try await r.click("main form button[type=submit]")
        try await r.waitForText("Your task is posted")
        let taskURL = try await r.currentURL()
        #expect(try await r.text().contains("Open"))
        try await snap(r, "06-task-posted")

        // A human worker: sign up, see the task, claim it, watch the lease, upload proof, submit.
        try await signUp(w, site: site, name: "Wes Worker", email: "wes@example.com", role: "worker", capabilities: "moderation, english")
        try await w.waitForText("Is this picture safe for work?")
        #expect(try await w.text().contains("2.00 USDT"))
        try await snap(w, "07-work-feed")
        try await w.click("form[action='/work/claim'] button")
        try await w.waitForURL("/work/claims/")
        try await w.waitForText("Hold renewed")  // the page's script heartbeated the lease
        let timer = try await w.script("return document.querySelector('.lease-timer').textContent").stringValue ?? ""
        #expect(timer.contains("min"), "lease countdown shows \(timer)")
        let imageWidth = try await w.script("return document.querySelector('.gallery img').naturalWidth")
        #expect(imageWidth != .int(0) && imageWidth != .null, "the payload image loads")
        try await snap(w, "08-claim")
        try await w.type("#f-result", "safe — it is the Workhive logo")
        try await w.type("#f-proof", proofPath, clear: false)
        try await w.click("form[enctype='multipart/form-data'] button[type=submit]")
        try await w.waitForText("Submitted. Other workers will now verify")
        try await snap(w, "09-submitted")

        // Two other humans verify; the spot-check slot is reserved for humans.
        for (i, name) in ["Vera Verifier", "Vic Verifier"].enumerated() {
            try await signUp(w, site: site, name: name, email: "v\(i)@example.com", role: "worker", capabilities: "moderation")
            try await w.open(site + "/verify")
            try await w.waitForText("Is this picture safe for work?")
            if i == 0 {
                #expect(try await w.text().contains("Human spot-check"))
                try await snap(w, "10-verify-queue")
            }
            try await w.click("form[action='/verify/claim'] button")
            try await w.waitForURL("/work/claims/")
            try await w.waitForText("The submission")
            #expect(try await w.text().contains("safe — it is the Workhive logo"))
            let proofWidth = try await w.script("return document.querySelector('.proof img').naturalWidth")
            #expect(proofWidth == .int(390), "the proof image (a 390 px wide screenshot) loads for the verifier")
            if i == 0 { try await snap(w, "11-review") }
            try await w.click("button[value=approve]")
            try await w.waitForText("Your vote is in")
        }

        // The requester's open task page follows the verdict without being reloaded by hand.
        try await r.waitForText("2 approve, 0 reject", timeout: .seconds(20))
        #expect(try await r.currentURL() == taskURL)
        #expect(try await r.script("return document.querySelector('[data-progress-state]').textContent") == .string("Approved"))
        try await snap(r, "12-task-approved")

        // The worker logs back in and finds the reward in the wallet.
        try await w.deleteCookies()
        try await w.open(site + "/login")
        try await w.type("#f-email", "wes@example.com")
        try await w.type("#f-password", "a long passphrase Wes Worker")
        try await w.click("form[action='/login'] button")
        try await w.waitForURL("/work")
        try await w.open(site + "/wallet")
        try await w.waitForText("Task reward")
        #expect(try await w.text().contains("+2.00 USDT"))
        try await snap(w, "13-worker-wallet")

        // A payout address: first a near miss (one letter's case changed, so the EIP-55 checksum fails),
        // refused next to the field with nothing stored; then USDT's own BEP-20 contract address.
        try await w.type("#f-address_bep20", USDTContract.bep20NearMiss)
        try await w.click("form[action='/wallet/addresses/bep20'] button[type=submit]")
        try await w.waitForText("was not saved")
        #expect(try await w.script("return document.getElementById('f-address_bep20').getAttribute('aria-invalid')") == .string("true"))
        #expect(try await w.script("return document.getElementById('address_bep20-error').textContent").stringValue?
            .hasPrefix("The checksum does not match") == true)
        #expect(try await market.count("payout_addresses") == 0)
        _ = try await w.script("document.getElementById('f-address_bep20').scrollIntoView()")
        try await snap(w, "13a-payout-address-refused")
        try await w.type("#f-address_bep20", USDTContract.bep20)
        try await w.click("form[action='/wallet/addresses/bep20'] button[type=submit]")
        try await w.waitForText("Your payout address is saved")
        #expect(try await market.count("payout_addresses") == 1)

        // Withdraw the reward on "the best network": the page says which network, the fee and why.
        try await w.type("#f-withdraw_amount", "2")
        try await w.click("form[action='/wallet/withdraw'] button[type=submit]")
        try await w.waitForURL("/wallet?payout=")
        let result = try await w.script("return document.getElementById('withdraw-result').innerText").stringValue ?? ""
        #expect(result.contains("of 2.00 USDT") && result.contains("BNB Smart Chain (BEP-20)") && result.contains(USDTContract.bep20))
        #expect(result.contains("Network fee") && result.contains("but you have no TON address"), "\(result)")
        #expect(try await market.count("payouts") == 1)
        try await snap(w, "13b-withdrawal")

        // The dispatcher signs, broadcasts and confirms it on the devnet; the open page follows it there
        // without being reloaded (the marker set on this document survives).
        _ = try await w.script("window.stillThisPage = true")
        try await w.waitFor("document.querySelector('#payout-list .payout .state') && document.querySelector('#payout-list .payout .state').textContent === 'Confirmed'",
                            timeout: .seconds(60))
        #expect(try await w.script("return window.stillThisPage === true") == .bool(true))
        let hash = try await w.script("return document.querySelector('#payout-list code.hash').textContent").stringValue ?? ""
        let stored = try await market.m.database.read { try await $0.queryOne("SELECT state, tx_hash FROM payouts", [])! }
        #expect(stored.text(0) == "confirmed" && hash == stored.optionalText(1) && hash.hasPrefix("0x"))
        try await w.waitForText("Updated: every payout is final")
        try await snap(w, "13c-payout-confirmed")
        try await w.emulate(width: 1280, height: 900)
        try await snap(w, "13d-wallet-desktop")
        try await w.emulate(width: 390, height: 844)

        // An admin signs in with its key and suspends a worker.
        let root = try await market.m.createOwner(name: "root", admin: true)
        try await w.deleteCookies()
        try await w.open(site + "/login")
        try await w.click("details summary")
        try await w.type("#f-api_key", root.apiKey)
        try await w.click("form[action='/login/key'] button")
        try await w.waitForURL("/admin")
        try await w.click("button[aria-label='Suspend Vic Verifier']")
        try await w.waitForText("The worker is suspended")
        let payouts = try await w.script("return document.querySelector('section[aria-labelledby=payouts-heading]').innerText").stringValue ?? ""
        #expect(payouts.contains("Paid out") && payouts.contains("Wes Worker") && payouts.contains("Confirmed"), "\(payouts)")
        try await snap(w, "14-admin")
        try await w.emulate(width: 1280, height: 900)
        try await snap(w, "15-admin-desktop")
        let vic = try await market.m.database.read { try await $0.queryOne("SELECT suspended FROM workers WHERE name = 'Vic Verifier'", [])!.int(0) }
        #expect(vic == 1)
    }
}
