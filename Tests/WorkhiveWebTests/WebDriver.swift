import AsyncHTTPClient
import Foundation
import WorkhiveTestSupport
import NIOCore
import Testing
import WorkhiveCore

/// A headless Chromium driven through chromedriver's W3C WebDriver HTTP API, plus Chrome DevTools
/// commands (through chromedriver) for full-page screenshots.
final class WebDriver: @unchecked Sendable {
    static let chromium = ProcessInfo.processInfo.environment["CHROMIUM"] ?? "/usr/bin/chromium"
    static let chromedriver = ProcessInfo.processInfo.environment["CHROMEDRIVER"] ?? "/usr/bin/chromedriver"
    static var installed: Bool {
        FileManager.default.isExecutableFile(atPath: chromium) && FileManager.default.isExecutableFile(atPath: chromedriver)
    }
    /// Run where the browser is installed, and always under CI, where a missing browser is a failure.
    static var shouldRun: Bool { installed || ProcessInfo.processInfo.environment["CI"] != nil }

    private let process: Process
    private let http: HTTPClient
    private let base: String
    private let profile: String
    private(set) var session = ""

    private init(process: Process, http: HTTPClient, base: String, profile: String) {
        self.process = process
        self.http = http
        self.base = base
        self.profile = profile
    }

    /// Starts chromedriver on a free loopback port and opens a browser with a phone-sized window.
    static func start(width: Int = 390, height: Int = 844) async throws -> WebDriver {
        let port = try PostgresCluster.freePort()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: chromedriver)
        process.arguments = ["--port=\(port)", "--allowed-ips=127.0.0.1"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.runChild()
        let profile = FileManager.default.temporaryDirectory.appendingPathComponent("workhive-chromium-\(UUID().uuidString)").path
        let driver = WebDriver(process: process, http: HTTPClient(eventLoopGroupProvider: .singleton), base: "http://127.0.0.1:\(port)", profile: profile)
        do {
            var ready = false
            // Up to 30 s: a loaded 2-core machine can be slow to start chromedriver.
            for _ in 0..<300 where !ready {
                ready = ((try? await driver.call("GET", "/status"))?["ready"]).map { $0 == .bool(true) } ?? false
                if !ready { try await Task.sleep(for: .milliseconds(100)) }
            }
            guard ready else { throw WebDriverError(message: "chromedriver did not start on port \(port)") }
            // Nothing outside this machine is contacted: no sync, updates, metrics or default apps.
            let args = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=\(width),\(height)",
                        "--no-first-run", "--no-default-browser-check", "--disable-background-networking", "--disable-component-update",
                        "--disable-sync", "--disable-default-apps", "--disable-extensions", "--metrics-recording-only",
                        "--user-data-dir=\(profile)"]
            let capabilities: JSONValue = .object(["capabilities": .object(["alwaysMatch": .object([
                "browserName": .string("chrome"),
                "goog:chromeOptions": .object(["binary": .string(chromium), "args": .array(args.map(JSONValue.string))]),
            ])])])
            let created = try await driver.call("POST", "/session", capabilities)
            guard let id = created["sessionId"]?.stringValue else { throw WebDriverError(message: "no session: \(created)") }
            driver.session = id
            // Desktop Chrome keeps windows at least ~500 px wide; emulate the phone's viewport instead.
            try await driver.emulate(width: width, height: height)
            return driver
        } catch {
            await driver.stop()
            throw error
        }
    }

    /// Quits the browser and chromedriver. chromedriver is sent SIGKILL: a child spawned from a Swift
    /// process can inherit a mask that blocks SIGTERM. Any browser process still running on this
    /// session's own profile directory is then killed by its id.
    func stop() async {
        if !session.isEmpty { _ = try? await call("DELETE", "/session/\(session)") }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        for pid in Self.processes(withArgument: "--user-data-dir=\(profile)") { kill(pid, SIGKILL) }
        try? await http.shutdown()
        try? FileManager.default.removeItem(atPath: profile)
    }

    /// Ids of processes whose command line has `argument` (read from /proc).
    static func processes(withArgument argument: String) -> [pid_t] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { entry in
            guard let pid = pid_t(entry), let data = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline") else { return nil }
            let args = data.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
            return args.contains(argument) ? pid : nil
        }
    }

    // MARK: Commands

    /// Sets the page's viewport: a phone's (mobile) below 600 px wide, a desktop's otherwise.
    func emulate(width: Int, height: Int) async throws {
        _ = try await command("POST", "/goog/cdp/execute", ["cmd": .string("Emulation.setDeviceMetricsOverride"), "params": .object([
            "width": .int(Int64(width)), "height": .int(Int64(height)), "deviceScaleFactor": .int(1), "mobile": .bool(width < 600),
        ])])
    }

    func open(_ url: String) async throws { _ = try await command("POST", "/url", ["url": .string(url)]) }
    func currentURL() async throws -> String { try await command("GET", "/url").stringValue ?? "" }
    func deleteCookies() async throws { _ = try await command("DELETE", "/cookie") }

    /// The element matching `css`, waiting up to `timeout` for it to appear.
    func element(_ css: String, timeout: Duration = .seconds(10)) async throws -> String {
        let deadline = ContinuousClock.now + timeout
        while true {
            if let found = try? await command("POST", "/element", ["using": .string("css selector"), "value": .string(css)]),
               let id = found[Self.elementKey]?.stringValue { return id }
            guard ContinuousClock.now < deadline else { throw WebDriverError(message: "no element '\(css)' on \(try await currentURL())") }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    func type(_ css: String, _ text: String, clear: Bool = true) async throws {
        let id = try await element(css)
        if clear { _ = try await command("POST", "/element/\(id)/clear", .object([:])) }
        _ = try await command("POST", "/element/\(id)/value", ["text": .string(text)])
    }

    func click(_ css: String) async throws {
        let id = try await element(css)
        _ = try await command("POST", "/element/\(id)/click", .object([:]))
    }

    /// Runs JavaScript in the page and returns its result.
    func script(_ source: String) async throws -> JSONValue {
        try await command("POST", "/execute/sync", ["script": .string(source), "args": .array([])])
    }

    func text() async throws -> String { try await script("return document.body.innerText").stringValue ?? "" }

    /// Waits until the page's address contains `fragment` and its document has loaded.
    func waitForURL(_ fragment: String, timeout: Duration = .seconds(15)) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if try await currentURL().contains(fragment), try await script("return document.readyState").stringValue == "complete" { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw WebDriverError(message: "the page did not reach \(fragment); it is at \(try await currentURL())")
    }

    /// Waits until the page's text contains `text`.
    func waitForText(_ text: String, timeout: Duration = .seconds(15)) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if try await self.text().contains(text) { return }
            try await Task.sleep(for: .milliseconds(150))
        }
        throw WebDriverError(message: "'\(text)' never appeared on \(try await currentURL()): \(try await self.text().prefix(500))")
    }

    /// Waits until the JavaScript expression `condition` is true on the page.
    func waitFor(_ condition: String, timeout: Duration = .seconds(15)) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if (try? await script("return Boolean(\(condition))")) == .bool(true) { return }
            try await Task.sleep(for: .milliseconds(150))
        }
        throw WebDriverError(message: "'\(condition)' never became true on \(try await currentURL()): \(try await self.text().prefix(500))")
    }

    /// A PNG of the whole page (not just the window), through the DevTools protocol.
    func screenshot() async throws -> Data {
        let metrics = try await command("POST", "/goog/cdp/execute", ["cmd": .string("Page.getLayoutMetrics"), "params": .object([:])])
        let size = metrics["cssContentSize"]
        func number(_ v: JSONValue?) -> Double {
            switch v { case .int(let i): Double(i); case .double(let d): d; default: 0 }
        }
        let clip: JSONValue = .object(["x": .int(0), "y": .int(0), "width": .double(max(1, number(size?["width"]))),
                                       "height": .double(min(12000, max(1, number(size?["height"])))), "scale": .int(1)])
        let shot = try await command("POST", "/goog/cdp/execute", ["cmd": .string("Page.captureScreenshot"), "params": .object([
            "format": .string("png"), "captureBeyondViewport": .bool(true), "clip": clip,
        ])])
        guard let base64 = shot["data"]?.stringValue, let data = Data(base64Encoded: base64) else {
            throw WebDriverError(message: "no screenshot data")
        }
        return data
    }

    // MARK: Wire

    static let elementKey = "element-6066-11e4-a52e-4f735466cecf"

    private func command(_ method: String, _ path: String, _ body: [String: JSONValue]) async throws -> JSONValue {
        try await command(method, path, .object(body))
    }

    private func command(_ method: String, _ path: String, _ body: JSONValue? = nil) async throws -> JSONValue {
        try await call(method, "/session/\(session)\(path)", body)
    }

    /// One WebDriver call; answers its `value`, or throws the driver's error.
    private func call(_ method: String, _ path: String, _ body: JSONValue? = nil) async throws -> JSONValue {
        var request = HTTPClientRequest(url: base + path)
        request.method = .init(rawValue: method)
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: body.jsonText))
        } else if method == "POST" {
            request.body = .bytes(ByteBuffer(string: "{}"))
        }
        let response = try await http.execute(request, timeout: .seconds(method == "DELETE" ? 20 : 60))
        let bytes = try await response.body.collect(upTo: 64 << 20)
        let json = try JSONDecoder().decode(JSONValue.self, from: Data(buffer: bytes))
        if response.status.code >= 400 || json["value"]?["error"] != nil {
            throw WebDriverError(message: "\(method) \(path): \(json["value"]?["message"]?.stringValue ?? String(buffer: bytes).prefix(300).description)")
        }
        return json["value"] ?? .null
    }
}

struct WebDriverError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}
