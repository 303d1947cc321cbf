import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing
import WorkhiveChains
import WorkhiveCore
import WorkhiveEngine
@testable import WorkhiveWeb

/// USDT's own contracts: real, valid addresses of each format (docs/chains.md, /work/shared/reference/chains.md).
enum USDTContract {
    static let bep20 = "0x55d398326f99059fF775485246999027B3197955"
    /// One letter's case flipped: the EIP-55 checksum no longer matches.
    static let bep20NearMiss = "0x55d398326f99059ff775485246999027B3197955"
    static let tron = "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"
    static let tronNearMiss = "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6u"
    static let ton = "EQCxE6mUtQJKFnGfaROTKOt1lZbDiiX1kCixRv7Nw2Id_sDs"
    static let tonNearMiss = "EQCxE6mUtQJKFnGfaROTKOt1lZbDiiX1kCixRv7Nw2Id_sDt"
}

/// Gives the browser's worker `reward` micro-USDT of approved earnings: a requester posts a task without
/// verifiers, and the worker claims and submits it through the pages (approved on submission).
func earn(_ market: WebMarket, _ worker: Browser, _ reward: Int64, sourceLocation: SourceLocation = #_sourceLocation) async throws {
    let type = "pay.t\(UUID().uuidString.prefix(6).lowercased())"
    let requester = try await market.m.createOwner(name: "payer")
    let owner = try await market.m.authenticate(apiKey: requester.apiKey)
    _ = try await market.m.deposit(owner, amountMicroUSDT: reward * 2)
    _ = try await market.m.postTask(owner, try TaskSpec(
        taskType: type, title: "Paid work", instructions: "", payloadJSON: "{}", requiredCapabilities: .none, rewardMicroUSDT: reward,
        leaseSeconds: 60, maxAttempts: 3, deadlineAtMillis: nil, priority: 0, visibility: .public,
        verification: VerificationPolicy(verifiers: 0, quorum: 0, spotCheckRate: 0, verifierRewardMicroUSDT: 0), nowMillis: market.m.now()))
    try await worker.get("/work")
    let claimed = try await worker.post("/work/claim", [("task_type", type)])
    let claim = try #require(trailingID(claimed.location), sourceLocation: sourceLocation)
    try await worker.get("/work/claims/\(claim)")
    let submitted = try await worker.postMultipart("/work/claims/\(claim)/submit", [("result", "done")],
                                                   files: [("proof", "p.png", "image/png", onePixelPNG)])
    #expect(submitted.status == 303, sourceLocation: sourceLocation)
}

/// A signed-up human worker with `earned` micro-USDT of approved earnings, on its wallet page; with
/// USDT's BEP-20 contract as its payout address when `bep20Address`.
func paidWorker(_ market: WebMarket, _ client: any TestClientProtocol, earned: Int64, bep20Address: Bool = false,
                sourceLocation: SourceLocation = #_sourceLocation) async throws -> Browser {
    let worker = Browser(client)
    try await worker.signUp(name: "Wes", email: "wes@example.com", role: "worker", sourceLocation: sourceLocation)
    try await earn(market, worker, earned, sourceLocation: sourceLocation)
    if bep20Address {
        try await worker.get("/wallet")
        #expect(try await worker.post("/wallet/addresses/bep20", [("address_bep20", USDTContract.bep20)]).status == 303, sourceLocation: sourceLocation)
    }
    try await worker.get("/wallet")
    return worker
}

/// The payout dispatcher on an in-memory devnet whose clock moves on a second per pass, driven by the test.
struct WebDevnet {
    let devnet: Devnet
    let dispatcher: PayoutDispatcher
    let market: WebMarket

    static func make(_ market: WebMarket) async throws -> WebDevnet {
        let fees = market.m.configuration.payouts.fees
        let devnet = Devnet(fees: FeeModel(schedule: fees))
        var rails: [PayoutNetwork: PayoutRail] = [:]
        for network in PayoutNetwork.allCases {
            let wallet = DevnetPayoutSigner(network: network, fees: fees)
            await devnet.mint(1_000_000_000_000, to: wallet.address, on: network)
            rails[network] = PayoutRail(settlement: await devnet.settlement(network), wallets: [wallet])
        }
        let dispatcher = PayoutDispatcher(market: market.m, rails: rails) { await devnet.advance(byMillis: 1_000) }
        try await dispatcher.prepare()
        return WebDevnet(devnet: devnet, dispatcher: dispatcher, market: market)
    }

    /// Passes until no payout is queued, signed or broadcast.
    func drain(sourceLocation: SourceLocation = #_sourceLocation) async throws {
        for _ in 0..<200 {
            try await dispatcher.runOnce()
            let open = try await market.m.database.read {
                try await $0.queryOne("SELECT COUNT(*) FROM payouts WHERE state IN ('queued','signed','broadcast')", [])!.int(0)
            }
            if open == 0 { return }
        }
        Issue.record("payouts still open after 200 passes", sourceLocation: sourceLocation)
    }
}

/// The text of the element with `id` up to its closing tag (enough for a list item or a card).
func fragment(_ html: String, id: String) -> String? {
    guard let start = html.range(of: "id=\"\(id)\"") else { return nil }
    let rest = html[start.lowerBound...]
    let end = rest.range(of: "</li>") ?? rest.range(of: "</section>")
    return String(end.map { rest[..<$0.upperBound] } ?? rest)
}

@Suite("Web: payout addresses, withdrawals and the payout list")
struct WebPayoutTests {
    @Test("payout addresses: a near miss is refused next to its field and nothing is stored; valid ones are saved, replaced and removed")
    func addresses() async throws {
        try await withWebApp { market, client in
            let wes = Browser(client)
            try await wes.signUp(name: "Wes", email: "wes@example.com", role: "worker")
            let empty = try await wes.get("/wallet")
            #expect(empty.html.contains("Payout addresses"))
            for n in ["trc20", "bep20", "arbitrum", "ton"] {
                #expect(empty.html.contains("action=\"/wallet/addresses/\(n)\""), "a form for \(n)")
                #expect(empty.html.contains("<label for=\"f-address_\(n)\">"), "a label for \(n)")
            }
            #expect(empty.html.contains("Set a payout address"))
            #expect(!empty.html.contains("action=\"/wallet/withdraw\""), "no withdraw form without an address")

            for (network, address, words) in [("bep20", USDTContract.bep20NearMiss, "checksum"), ("trc20", USDTContract.tronNearMiss, "checksum"),
                                               ("ton", USDTContract.tonNearMiss, "checksum"), ("arbitrum", "0x55d398326f99059fF775485246999027B31979", "38 hex digits, expected 40"),
                                               ("ton", USDTContract.bep20, "")] {
                let page = try await wes.post("/wallet/addresses/\(network)", [("address_\(network)", address)])
                #expect(page.status == 400, "\(network) \(address)")
                let message = try #require(page.fieldError("address_\(network)"), "no message next to the \(network) field")
                #expect(words.isEmpty || message.lowercased().contains(words), "\(network): \(message)")
                #expect(!message.contains("_"), "no error code in the message: \(message)")
                #expect(page.html.contains("value=\"\(address)\""), "the typed address is kept")
                #expect(page.html.contains("id=\"f-address_\(network)\" name=\"address_\(network)\" type=\"text\" value=\"\(address)\" autocomplete=\"off\" aria-describedby=\"address_\(network)-hint address_\(network)-error\" aria-invalid=\"true\""))
                #expect(page.html.contains("was not saved"))
            }
            #expect(try await market.count("payout_addresses") == 0)

            // Valid: USDT's own contract addresses, typed in lower case and with spaces around.
            let saved = try await wes.post("/wallet/addresses/bep20", [("address_bep20", " " + USDTContract.bep20.lowercased() + " ")])
            #expect(saved.status == 303 && saved.location == "/wallet?notice=address-saved#addresses")
            #expect(try await wes.post("/wallet/addresses/trc20", [("address_trc20", USDTContract.tron)]).status == 303)
            let page = try await wes.get("/wallet?notice=address-saved")
            #expect(page.html.contains("Your payout address is saved."))
            #expect(page.html.contains("value=\"\(USDTContract.bep20)\""), "stored in its EIP-55 form")
            #expect(page.html.contains("action=\"/wallet/withdraw\""))
            let stored = { try await market.m.database.read { try await $0.query("SELECT network, address FROM payout_addresses ORDER BY network", []) }
                .map { "\($0.text(0))=\($0.text(1))" } }
            #expect(try await stored() == ["bep20=\(USDTContract.bep20)", "trc20=\(USDTContract.tron)"])

            // Replacing keeps one address per network; removing takes it away.
            #expect(try await wes.post("/wallet/addresses/bep20", [("address_bep20", "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed")]).status == 303)
            let removed = try await wes.post("/wallet/addresses/trc20/remove", [("address_trc20", USDTContract.tron)])
            #expect(removed.status == 303 && removed.location == "/wallet?notice=address-removed#addresses")
            #expect(try await stored() == ["bep20=0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"])
            #expect(try await wes.post("/wallet/addresses/trc20/remove").status == 303, "removing twice is harmless")
            #expect(try await wes.post("/wallet/addresses/solana", [("address_solana", USDTContract.bep20)]).status == 404)

            // The network preference the chooser uses.
            try await wes.get("/wallet")
            #expect(try await wes.post("/wallet/preference", [("preference", "low_fee")]).location == "/wallet?notice=preference-saved#addresses")
            let preference = try await wes.get("/wallet")
            #expect(preference.html.contains("<option value=\"low_fee\" selected>"))
            let bad = try await wes.post("/wallet/preference", [("preference", "cheapest please")])
            #expect(bad.status == 400)
            #expect(bad.fieldError("preference") == "Choose one of the listed preferences.")
            #expect(try await market.m.database.read { try await $0.queryOne("SELECT preference FROM payout_preferences", [])!.text(0) } == "low_fee")

            // A requester has no worker: no payout section, and the forms are refused.
            let rita = Browser(client)
            try await rita.signUp(name: "Rita", email: "rita@example.com", role: "requester")
            let ritaWallet = try await rita.get("/wallet")
            #expect(!ritaWallet.html.contains("Payout addresses"))
            #expect(try await rita.post("/wallet/addresses/bep20", [("address_bep20", USDTContract.bep20)]).status == 403)
            #expect(try await rita.post("/wallet/withdraw", [("withdraw_amount", "1"), ("idempotency_key", "k")]).status == 403)
            #expect(try await market.count("payout_addresses") == 1)
        }
    }

    @Test("withdrawals: a bad amount, more than the balance, under the minimum or no address is refused next to the field and writes nothing; a good one shows network, fee and reason once")
    func withdrawals() async throws {
        try await withWebApp { market, client in
            let wes = try await paidWorker(market, client, earned: 30_000_000)
            #expect(try await wes.get("/wallet").html.contains("30.00 USDT"))
            let transfers = try await market.count("transfers")
            func refused(_ fields: [(String, String)], status: Int, field: String, _ check: (String) -> Bool,
                         sourceLocation: SourceLocation = #_sourceLocation) async throws {
                let page = try await wes.post("/wallet/withdraw", fields + [("idempotency_key", UUID().uuidString)])
                #expect(page.status == status, "\(fields): \(page.status)", sourceLocation: sourceLocation)
                let message = page.fieldError(field)
                #expect(message.map(check) == true, "\(fields): \(String(describing: message))", sourceLocation: sourceLocation)
                #expect(page.html.contains("Nothing was withdrawn"), sourceLocation: sourceLocation)
                #expect(try await market.count("payouts") == 0, sourceLocation: sourceLocation)
                #expect(try await market.count("transfers") == transfers, sourceLocation: sourceLocation)
            }
            // No address yet.
            try await refused([("withdraw_amount", "5")], status: 409, field: "withdraw") { $0 == "Set a payout address below first." }
            #expect(try await wes.post("/wallet/addresses/bep20", [("address_bep20", USDTContract.bep20)]).status == 303)
            try await wes.get("/wallet")

            try await refused([("withdraw_amount", "five")], status: 400, field: "withdraw_amount") { $0.contains("digits and one decimal point") }
            try await refused([("withdraw_amount", "0")], status: 400, field: "withdraw_amount") { $0 == "Enter an amount above 0." }
            try await refused([("withdraw_amount", "-3")], status: 400, field: "withdraw_amount") { $0.contains("digits") }
            try await refused([("withdraw_amount", "1.0000001")], status: 400, field: "withdraw_amount") { $0 == "USDT has at most 6 decimal places." }
            try await refused([("withdraw_amount", "30.01")], status: 402, field: "withdraw_amount") {
                $0 == "That is more than you have: 30.00 USDT is available to withdraw."
            }
            try await refused([("withdraw_amount", "0.5")], status: 400, field: "withdraw_amount") { $0 == "The smallest payout to your addresses is 1.00 USDT." }
            try await refused([("withdraw_amount", "5"), ("withdraw_network", "ton")], status: 409, field: "withdraw_network") {
                $0 == "You have no TON address. Set one below, or choose another network."
            }
            try await refused([("withdraw_amount", "5"), ("withdraw_network", "solana")], status: 400, field: "withdraw_network") {
                $0 == "Choose a network from the list."
            }
            let noKey = try await wes.post("/wallet/withdraw", [("withdraw_amount", "5")])
            #expect(noKey.status == 400 && noKey.html.contains("The form is incomplete"))
            #expect(try await market.count("payouts") == 0)

            // A good withdrawal, sent twice from the same form: one payout.
            let form = try await wes.get("/wallet")
            let key = try #require(form.html.range(of: #"name="idempotency_key" value="([^"]+)""#, options: .regularExpression).map {
                String(form.html[$0]).components(separatedBy: "value=\"")[1].dropLast().description
            })
            let fields = [("withdraw_amount", "12.5"), ("withdraw_network", ""), ("idempotency_key", key)]
            let first = try await wes.post("/wallet/withdraw", fields)
            let second = try await wes.post("/wallet/withdraw", fields)
            #expect(first.status == 303 && first.location == second.location)
            #expect(try await market.count("payouts") == 1)
            let payout = try await market.m.database.read { try await $0.queryOne("SELECT id, fee, network, state FROM payouts", [])! }
            let id = payout.int(0)
            #expect(first.location == "/wallet?payout=\(id)#withdraw-result")
            #expect(payout.text(2) == "bep20" && payout.text(3) == "queued")
            let fee = USDT.format(payout.int(1))

            let result = try await wes.get("/wallet?payout=\(id)")
            let card = try #require(fragment(result.html, id: "withdraw-result"))
            #expect(card.contains("Payout #\(id) of 12.50 USDT"))
            #expect(card.contains("BNB Smart Chain (BEP-20)") && card.contains(USDTContract.bep20))
            #expect(card.contains("<dt>Network fee</dt><dd>\(fee)</dd>"))
            #expect(card.contains("<dt>Arrives</dt><dd>\(USDT.format(12_500_000 - payout.int(1)))</dd>"))
            // The seed rule sends 1-100 USDT to TON, but Wes has only a BEP-20 address: the reason says so.
            #expect(card.contains("Amounts from 1 to 100 USDT go to TON but you have no TON address"), "\(card)")
            #expect(card.contains("state-pending\">Queued"))
            let item = try #require(fragment(result.html, id: "payout-\(id)"))
            #expect(item.contains("#\(id) · 12.50 USDT") && item.contains("Queued") && item.contains(fee))
            #expect(result.html.contains("data-live-url=\"/wallet/progress\""), "a payout in flight is followed live")
            #expect(result.html.contains("Available</dt><dd class=\"amount\">17.50 USDT"))
            #expect(result.html.contains("Payout to your address"), "the ledger leg is in the history")

            let progress = try await wes.get("/wallet/progress", headers: [.accept: "application/json"])
            #expect(progress.headers[.contentType]?.hasPrefix("application/json") == true)
            #expect(progress.html.contains("\"live\":true") && progress.html.contains("17500000;\(id)/queued"))

            // The form from the first page cannot be reused for another amount.
            let reused = try await wes.post("/wallet/withdraw", [("withdraw_amount", "2"), ("idempotency_key", key)])
            #expect(reused.status == 409 && reused.html.contains("already used"))
            #expect(try await market.count("payouts") == 1)
        }
    }

    @Test("wallet forms without this session's CSRF token, or from another origin, are refused and write nothing")
    func csrf() async throws {
        try await withWebApp { market, client in
            let wes = try await paidWorker(market, client, earned: 10_000_000)
            let mallory = Browser(client)
            try await mallory.signUp(name: "Mallory", email: "m@example.com", role: "worker")
            let foreign = try #require(mallory.csrf)
            for (path, fields) in [("/wallet/addresses/bep20", [("address_bep20", USDTContract.bep20)]),
                                   ("/wallet/preference", [("preference", "low_fee")]),
                                   ("/wallet/withdraw", [("withdraw_amount", "5"), ("idempotency_key", "k1")])] {
                #expect(try await wes.post(path, fields, csrf: false).status == 403, "\(path) without a token")
                #expect(try await wes.post(path, fields + [("_csrf", foreign)], csrf: false).status == 403, "\(path) with another's token")
                #expect(try await wes.post(path, fields, headers: [.origin: "http://evil.example"]).status == 403, "\(path) cross-site")
            }
            #expect(try await market.count("payout_addresses") == 0)
            #expect(try await market.count("payout_preferences") == 0)
            #expect(try await market.count("payouts") == 0)
            #expect(try await wes.post("/wallet/addresses/bep20", [("address_bep20", USDTContract.bep20)]).status == 303)
            #expect(try await wes.post("/wallet/addresses/bep20/remove", csrf: false).status == 403)
            #expect(try await market.count("payout_addresses") == 1)
        }
    }

    @Test("a worker sees only its own payouts: not another worker's, by list, by id or by the live endpoint")
    func ownPayoutsOnly() async throws {
        try await withWebApp { market, client in
            let wes = try await paidWorker(market, client, earned: 10_000_000, bep20Address: true)
            let done = try await wes.post("/wallet/withdraw", [("withdraw_amount", "4"), ("idempotency_key", "wes-1")])
            let id = try #require(try await market.m.database.read { try await $0.queryOne("SELECT id FROM payouts", []) }).int(0)
            #expect(done.location == "/wallet?payout=\(id)#withdraw-result")

            let ann = Browser(client)
            try await ann.signUp(name: "Ann", email: "ann@example.com", role: "worker")
            let page = try await ann.get("/wallet?payout=\(id)")
            #expect(page.status == 200)
            #expect(!page.html.contains("Payout #\(id)") && !page.html.contains("withdraw-result"))
            #expect(!page.html.contains(USDTContract.bep20) && !page.html.contains("4.00 USDT"))
            #expect(page.html.contains("No payouts yet."))
            let progress = try await ann.get("/wallet/progress", headers: [.accept: "application/json"])
            #expect(progress.html.contains("\"payouts\":[]") && progress.html.contains("\"live\":false"))
            #expect(try await ann.get("/admin").status == 403)
            // A requester, too, sees no payouts.
            let rita = Browser(client)
            try await rita.signUp(name: "Rita", email: "rita@example.com", role: "requester")
            #expect(!(try await rita.get("/wallet?payout=\(id)").html.contains("Payout #")))
            // Wes still sees it.
            #expect(try await wes.get("/wallet?payout=\(id)").html.contains("Payout #\(id) of 4.00 USDT"))
        }
    }

    @Test("the dispatcher moves payouts to confirmed or failed-and-refunded; the wallet, the live endpoint and the admin overview show it; a suspended worker cannot withdraw")
    func statesThroughTheDispatcher() async throws {
        try await withWebApp(market: { $0.payouts.maxBatchAgeMillis = 0; $0.payouts.maxAttempts = 1 }) { market, client in
            let chain = try await WebDevnet.make(market)
            let wes = try await paidWorker(market, client, earned: 30_000_000, bep20Address: true)
            #expect(try await wes.post("/wallet/withdraw", [("withdraw_amount", "10"), ("idempotency_key", "a")]).status == 303)
            try await chain.drain()
            let confirmedID = try await market.m.database.read { try await $0.queryOne("SELECT id, tx_hash FROM payouts", [])! }
            let hash = try #require(confirmedID.optionalText(1))

            // The next transaction on BEP-20 reverts; with one attempt allowed, the payout fails and is refunded.
            await chain.devnet.inject(.revertNextTransaction, on: .bep20)
            try await wes.get("/wallet")
            #expect(try await wes.post("/wallet/withdraw", [("withdraw_amount", "5"), ("idempotency_key", "b")]).status == 303)
            try await chain.drain()

            let page = try await wes.get("/wallet")
            let confirmed = try #require(fragment(page.html, id: "payout-\(confirmedID.int(0))"))
            #expect(confirmed.contains("state-approved\">Confirmed") && confirmed.contains("<code class=\"hash\">\(hash)</code>"))
            #expect(confirmed.contains("<dt>Confirmed</dt>"))
            let failedID = confirmedID.int(0) + 1
            let failed = try #require(fragment(page.html, id: "payout-\(failedID)"))
            #expect(failed.contains("state-failed\">Failed, refunded") && failed.contains("The transaction reverted in block"), "\(failed)")
            #expect(page.html.contains("Payout refunded") && page.html.contains("Payout sent") == false)
            // 30 earned, 10 paid out; the 5 came back.
            #expect(page.html.contains("Available</dt><dd class=\"amount\">20.00 USDT"))
            #expect(!page.html.contains("data-live-url"), "nothing in flight: the page stops following")
            let progress = try await wes.get("/wallet/progress", headers: [.accept: "application/json"])
            #expect(progress.html.contains("\"live\":false") && progress.html.contains("\(failedID)/failed"))

            // The admin overview counts them by network and state, with the totals.
            let root = try await market.m.createOwner(name: "root", admin: true)
            let admin = Browser(client)
            try await admin.get("/login")
            #expect(try await admin.post("/login/key", [("api_key", root.apiKey)]).status == 303)
            let overview = try await admin.get("/admin")
            #expect(overview.html.contains("<h2 id=\"payouts-heading\">Payouts</h2>"))
            let fee = try await market.m.database.read { try await $0.queryOne("SELECT fee FROM payouts WHERE state = 'confirmed'", [])!.int(0) }
            #expect(overview.html.contains("<th scope=\"row\">BEP-20</th><td class=\"num\">0</td><td class=\"num\">0</td><td class=\"num\">0</td><td class=\"num\">1</td><td class=\"num\">1</td><td class=\"num\">\(USDT.format(10_000_000 - fee))</td><td class=\"num\">\(USDT.format(fee))</td>"))
            #expect(overview.html.contains("<dt>Refunded</dt><dd class=\"amount\">5.00 USDT</dd>"))
            #expect(overview.html.contains("<dt>Paid out</dt><dd class=\"amount\">\(USDT.format(10_000_000 - fee))</dd>"))
            #expect(overview.html.contains("<td>Wes</td>"))
            let ledger = try await market.m.ledgerTotals()
            #expect(ledger.balanced)

            // Suspended: the wallet stays readable, withdrawing is refused as by the API.
            let wesID = try await market.m.database.read { try await $0.queryOne("SELECT id FROM workers WHERE name = 'Wes'", [])!.int(0) }
            #expect(try await admin.post("/admin/workers/\(wesID)/suspend").status == 303)
            let suspended = try await wes.get("/wallet")
            #expect(suspended.status == 200 && suspended.html.contains("you cannot withdraw for now"))
            #expect(!suspended.html.contains("action=\"/wallet/withdraw\""))
            #expect(try await wes.post("/wallet/withdraw", [("withdraw_amount", "5"), ("idempotency_key", "c")]).status == 403)
            #expect(try await wes.post("/wallet/addresses/ton", [("address_ton", USDTContract.ton)]).status == 403)
            #expect(try await market.count("payouts") == 2)
        }
    }
}
