import Foundation
import Testing
import Hummingbird
import WorkhiveChains
@testable import WorkhiveWeb

@Suite("Web: money, forms, passwords, templates")
struct WebUnitTests {
    @Test("micro-USDT read as USDT: grouped, two decimals at least, never rounded")
    func formatting() {
        #expect(USDT.format(0) == "0.00 USDT")
        #expect(USDT.format(1) == "0.000001 USDT")
        #expect(USDT.format(1_500_000) == "1.50 USDT")
        #expect(USDT.format(1_234_567_890_123) == "1,234,567.890123 USDT")
        #expect(USDT.format(-50_000, unit: false) == "−0.05")
    }

    @Test("typed amounts parse exactly, or say what is wrong")
    func parsing() {
        #expect(USDT.parse("1.5") == .success(1_500_000))
        #expect(USDT.parse(" 1,000.25 USDT") == .success(1_000_250_000))
        #expect(USDT.parse(".5") == .success(500_000))
        #expect(USDT.parse("0.000001") == .success(1))
        for bad in ["", "abc", "1.2.3", "-5", "1e3", "."] {
            guard case .failure = USDT.parse(bad) else { Issue.record("'\(bad)' parsed"); continue }
        }
        #expect(USDT.parse("0.0000001") == .failure(InputProblem("USDT has at most 6 decimal places")))
    }

    @Test("multipart bodies: fields, files with their types, CRLF inside file bytes, quoted boundaries")
    func multipart() throws {
        let boundary = "XyZ"
        let bytes: [UInt8] = [0, 13, 10, 45, 45, 88, 255]  // includes "\r\n--X" but not the full delimiter
        var body = Array("--XyZ\r\nContent-Disposition: form-data; name=\"result\"\r\n\r\nline one\r\nline two\r\n".utf8)
        body += Array("--XyZ\r\nContent-Disposition: form-data; name=\"proof\"; filename=\"a \\\"b\\\".png\"\r\nContent-Type: image/png\r\n\r\n".utf8)
        body += bytes + Array("\r\n--XyZ--\r\n".utf8)
        #expect(Multipart.boundary(from: "multipart/form-data; boundary=\"XyZ\"") == boundary)
        let form = try Multipart.parse(body, boundary: boundary)
        #expect(form["result"] == "line one\r\nline two")
        #expect(form.files == [.init(field: "proof", filename: "a \"b\".png", mediaType: "image/png", bytes: bytes)])
        #expect(throws: FormRefused.self) { try Multipart.parse(Array("--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\ncut".utf8), boundary: boundary) }
        #expect(FormData.urlEncoded("a=1+2&b=%26x&a=3")["a"] == "1 2")
        #expect(FormData.urlEncoded("a=1+2&b=%26x&a=3").fields["a"] == ["1 2", "3"])
    }

    @Test("scrypt hashes verify only the right password, are salted, and refuse malformed records")
    func passwords() async throws {
        let hasher = PasswordHasher(logN: 10)
        let a = try await hasher.hash("correct horse battery")
        let b = try await hasher.hash("correct horse battery")
        #expect(a != b, "salted")
        #expect(a.hasPrefix("scrypt$10$8$1$"))
        #expect(await hasher.verify("correct horse battery", against: a))
        #expect(!(await hasher.verify("correct horse batterz", against: a)))
        #expect(!(await hasher.verify("correct horse battery", against: "scrypt$30$8$1$AAAA$AAAA")))
        #expect(!(await hasher.verify("x", against: "plain")))
    }

    @Test("every template parses and the layout renders a page with landmarks")
    func templates() throws {
        let renderer = try PageRenderer(directory: PageRenderer.templateDirectory)
        for name in ["layout", "home", "login", "signup", "work", "claim", "verify", "wallet", "tasks", "task-new", "task", "admin", "error", "field", "select", "account"] {
            #expect(renderer.library.getTemplate(named: name) != nil, "missing template \(name)")
        }
        let html = renderer.library.render(PageContext(title: "T", csrf: "tok", nav: nil, accountLinks: true, notice: "<b>hi</b>", alert: nil,
                                                       page: WebErrorMiddleware<BasicRequestContext>.ErrorPage(heading: "H", message: "M", loginLink: false)),
                                           withTemplate: "error") ?? ""
        #expect(html.contains("<main id=\"main\""))
        #expect(html.contains("<nav aria-label=\"Account\">"))
        #expect(html.contains("&lt;b&gt;hi&lt;/b&gt;"), "text is escaped")
        #expect(StaticAssets.assets.keys.sorted() == ["app.css", "app.js", "logo.svg"])
    }

    @Test("payout reasons and address problems read as sentences to the worker, with the networks' names")
    func payoutWording() {
        #expect(Display.payoutReason("amounts from 1 to 100 USDT go to TON but the worker has no ton address; bep20 is the cheapest network with an address (fee 0.0017 USDT)")
            == "Amounts from 1 to 100 USDT go to TON but you have no TON address; BEP-20 is the cheapest network with an address (fee 0.0017 USDT).")
        #expect(Display.payoutReason("the worker prefers trc20 (fee 1.2 USDT)") == "You prefer TRC-20 (fee 1.2 USDT).")
        #expect(Display.payoutReason("button tonality arbitrum") == "Button tonality Arbitrum.", "whole words only")
        #expect(WebApp.addressProblem("invalid BNB Smart Chain (BEP-20) address: the checksum does not match: a character is probably mistyped (bad_checksum)", network: .bep20)
            == "The checksum does not match: a character is probably mistyped. Check it against your BEP-20 wallet.")
        #expect(Display.shortened("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed") == "0x5aAe…1BeAed")
        #expect(Display.shortened("short") == "short")
        #expect(Display.payoutState(.broadcast) == "Sent to the network" && Display.payoutStateClass(.failed) == "failed")
    }
}
