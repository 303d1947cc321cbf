import Configuration
import Foundation
import WorkhiveCore

/// Every setting of `workhive serve`, read with swift-configuration from (highest precedence first)
/// command-line flags, WORKHIVE_* environment variables and a YAML file (`--config`). A key
/// `server.port` is `server: {port: ...}` in the file, WORKHIVE_SERVER_PORT in the environment and
/// `--port` on the command line. README "Operations" lists them; `workhive config check` validates a file.
struct ServeSettings: Sendable, Equatable {
    var host = "127.0.0.1"
    var port = 8080
    var rateLimit = 200.0
    var closedSignup = false
    var shutdownGraceSeconds = 10.0
    var dataDir = "./data"
    var databaseURL: String?
    var autoPayout = "off"
    var hotWallets = 2
    var testnetAddresses = false
    var payoutDispatcher = true
    var eventStreamsPerKey = 8
    var eventStreams = 10_000
    var longPollsPerKey = 16
    var longPolls = 10_000
    var logFormat = "text"
    var logLevel = "info"
    var metricsOpenToLoopback = true
    /// `payouts.bep20.*`, `payouts.arbitrum.*` and `payouts.keystore` as given (EVMNodeOptions checks them).
    var evmNodes: [String: String] = [:]
    var a2aSkills: [String] = []

    /// A key, its default (as the README shows it) and what it means.
    struct Key: Sendable {
        let name: String
        let flag: String?
        let defaultValue: String
        let help: String
    }

    static let keys: [Key] = [
        Key(name: "server.host", flag: "--host", defaultValue: "127.0.0.1", help: "listen address"),
        Key(name: "server.port", flag: "--port", defaultValue: "8080", help: "listen port"),
        Key(name: "server.rate_limit", flag: "--rate-limit", defaultValue: "200", help: "requests per second per API key (burst twice that; 0 turns limits off)"),
        Key(name: "server.closed_signup", flag: "--closed-signup", defaultValue: "false", help: "refuse POST /v1/owners"),
        Key(name: "server.shutdown_grace_seconds", flag: "--shutdown-grace-seconds", defaultValue: "10",
            help: "on SIGTERM/SIGINT: how long in-flight requests may finish before they are cancelled"),
        Key(name: "data.dir", flag: "--data-dir", defaultValue: "./data", help: "SQLite database, proof blobs, first admin key"),
        Key(name: "database.url", flag: "--database-url", defaultValue: "(none: SQLite)", help: "PostgreSQL URL (secret: never logged)"),
        Key(name: "payouts.auto", flag: "--auto-payout", defaultValue: "off", help: "off, immediate or threshold:<micro-USDT>"),
        Key(name: "payouts.hot_wallets", flag: "--hot-wallets", defaultValue: "2", help: "hot wallets per network on the embedded devnet"),
        Key(name: "payouts.testnet_addresses", flag: "--testnet-addresses", defaultValue: "false", help: "accept testnet-flagged payout addresses"),
        Key(name: "payouts.dispatcher", flag: "--no-payout-dispatcher", defaultValue: "true", help: "run the payout dispatcher"),
        Key(name: "limits.event_streams_per_key", flag: nil, defaultValue: "8", help: "open event streams (WebSockets, A2A SSE) per API key"),
        Key(name: "limits.event_streams", flag: nil, defaultValue: "10000", help: "open event streams in all"),
        Key(name: "limits.long_polls_per_key", flag: nil, defaultValue: "16", help: "long-polling claims per API key"),
        Key(name: "limits.long_polls", flag: nil, defaultValue: "10000", help: "long-polling claims in all"),
        Key(name: "metrics.loopback_open", flag: nil, defaultValue: "true",
            help: "GET /metrics needs no key from a loopback peer that no proxy forwarded; false: the admin key always"),
        Key(name: "log.format", flag: "--log-format", defaultValue: "text", help: "text or json (one JSON object per line)"),
        Key(name: "log.level", flag: "--log-level", defaultValue: "info", help: "trace, debug, info, notice, warning, error or critical"),
        Key(name: "a2a.skills", flag: "--a2a-skill", defaultValue: "[general]",
            help: "task types the A2A agent card offers as skills; the first is the default for messages that name none"),
    ] + EVMNodeOptions.keys.map { k in
        let setting = k.key.split(separator: ".").last.map(String.init) ?? k.key
        let (defaultValue, help): (String, String) = switch setting {
        case "rpc_url": ("(none: devnet)", "JSON-RPC node this network is paid through, from the keystore's hot wallets (secret: never logged)")
        case "token": ("mainnet USDT", "USDT contract address (EIP-55)")
        case "chain_id": ("mainnet", "chain id the node must report")
        case "token_decimals": ("mainnet USDT's", "decimals of that token")
        case "max_fee_wei": (k.key.contains("bep20") ? "10 gwei" : "2 gwei", "highest fee per gas ever bid")
        case "confirmations": ("(finalized block)", "blocks counted for finality instead of the node's finalized block")
        default: ("DATA_DIR/keystore", "hot-wallet keystore directory; its keys open with $WORKHIVE_WALLET_KEY")
        }
        return Key(name: k.key, flag: k.flag, defaultValue: defaultValue, help: help)
    }

    /// A setting that is there but wrong, named by its key.
    struct Invalid: Error, CustomStringConvertible {
        let key: String
        let problem: String
        var description: String { "\(key): \(problem)" }
    }

    /// Reads the settings: `flags` (key → value given on the command line) over `environment` over the file.
    static func load(file: String?, flags: [String: ConfigValue] = [:],
                     environment: [String: String] = ProcessInfo.processInfo.environment) async throws -> ServeSettings {
        var providers: [any ConfigProvider] = [
            InMemoryProvider(name: "flags", values: Dictionary(uniqueKeysWithValues: flags.map { (AbsoluteConfigKey(stringLiteral: $0.key), $0.value) })),
            EnvironmentVariablesProvider(environmentVariables: environment,
                                         secretsSpecifier: .specific(["WORKHIVE_DATABASE_URL", "WORKHIVE_PAYOUTS_BEP20_RPC_URL", "WORKHIVE_PAYOUTS_ARBITRUM_RPC_URL"]))
                .prefixKeys(with: "workhive"),
        ]
        if let file {
            let location = ConfigReader(provider: InMemoryProvider(values: ["filePath": ConfigValue(.string(file), isSecret: false)]))
            providers.append(try await FileProvider<YAMLSnapshot>(config: location))
        }
        let r = ConfigReader(providers: providers)
        /// Reads one key; a bad value is reported under that key.
        func read<T>(_ key: String, _ body: (ConfigKey) async throws -> T) async throws -> T {
            do { return try await body(ConfigKey(key)) } catch { throw Invalid(key: key, problem: "\(error)") }
        }
        var s = ServeSettings()
        let d = ServeSettings()
        s.host = try await read("server.host") { try await r.fetchString(forKey: $0, default: d.host) }
        s.port = try await read("server.port") { try await r.fetchInt(forKey: $0, default: d.port) }
        s.rateLimit = try await read("server.rate_limit") { try await r.fetchDouble(forKey: $0, default: d.rateLimit) }
        s.closedSignup = try await read("server.closed_signup") { try await r.fetchBool(forKey: $0, default: d.closedSignup) }
        s.shutdownGraceSeconds = try await read("server.shutdown_grace_seconds") {
            try await r.fetchDouble(forKey: $0, default: d.shutdownGraceSeconds)
        }
        s.dataDir = try await read("data.dir") { try await r.fetchString(forKey: $0, default: d.dataDir) }
        s.databaseURL = try await read("database.url") { try await r.fetchString(forKey: $0, isSecret: true) }
        s.autoPayout = try await read("payouts.auto") { try await r.fetchString(forKey: $0, default: d.autoPayout) }
        s.hotWallets = try await read("payouts.hot_wallets") { try await r.fetchInt(forKey: $0, default: d.hotWallets) }
        s.testnetAddresses = try await read("payouts.testnet_addresses") {
            try await r.fetchBool(forKey: $0, default: d.testnetAddresses)
        }
        s.payoutDispatcher = try await read("payouts.dispatcher") { try await r.fetchBool(forKey: $0, default: d.payoutDispatcher) }
        s.eventStreamsPerKey = try await read("limits.event_streams_per_key") {
            try await r.fetchInt(forKey: $0, default: d.eventStreamsPerKey)
        }
        s.eventStreams = try await read("limits.event_streams") { try await r.fetchInt(forKey: $0, default: d.eventStreams) }
        s.longPollsPerKey = try await read("limits.long_polls_per_key") { try await r.fetchInt(forKey: $0, default: d.longPollsPerKey) }
        s.longPolls = try await read("limits.long_polls") { try await r.fetchInt(forKey: $0, default: d.longPolls) }
        s.metricsOpenToLoopback = try await read("metrics.loopback_open") {
            try await r.fetchBool(forKey: $0, default: d.metricsOpenToLoopback)
        }
        s.logFormat = try await read("log.format") { try await r.fetchString(forKey: $0, default: d.logFormat) }
        s.logLevel = try await read("log.level") { try await r.fetchString(forKey: $0, default: d.logLevel) }
        for k in EVMNodeOptions.keys {
            s.evmNodes[k.key] = try await read(k.key) { try await r.fetchString(forKey: $0, isSecret: k.secret) }
        }
        s.a2aSkills = try await read("a2a.skills") { try await r.fetchStringArray(forKey: $0, default: []) }
        try s.validate()
        return s
    }

    /// Checks values that have the right type but not an allowed value.
    func validate() throws {
        func check(_ ok: Bool, _ key: String, _ problem: String) throws { if !ok { throw Invalid(key: key, problem: problem) } }
        try check((0...65535).contains(port), "server.port", "must be 0-65535, is \(port)")
        try check(rateLimit >= 0, "server.rate_limit", "must not be negative")
        try check(shutdownGraceSeconds >= 0, "server.shutdown_grace_seconds", "must not be negative")
        try check(!dataDir.isEmpty, "data.dir", "must not be empty")
        try check(hotWallets > 0, "payouts.hot_wallets", "must be positive")
        try check(AutomaticPayouts(autoPayout) != nil, "payouts.auto", "must be off, immediate or threshold:<micro-USDT>, is '\(autoPayout)'")
        for (key, n) in [("limits.event_streams_per_key", eventStreamsPerKey), ("limits.event_streams", eventStreams),
                         ("limits.long_polls_per_key", longPollsPerKey), ("limits.long_polls", longPolls)] {
            try check(n > 0, key, "must be positive")
        }
        try check(["text", "json"].contains(logFormat), "log.format", "must be text or json, is '\(logFormat)'")
        do { _ = try EVMNodeOptions.parse(EVMNodeOptions.arguments(evmNodes)).evmConfigurations() } catch {
            let message = EVMNodeOptions.message(for: error)
            // The key whose flag the message names (longest first: --bep20-token is in --bep20-token-decimals).
            let key = EVMNodeOptions.keys.sorted { $0.flag.count > $1.flag.count }.first { message.contains($0.flag) }?.key ?? "payouts"
            throw Invalid(key: key, problem: message)
        }
        try check(a2aSkills.allSatisfy { !$0.isEmpty }, "a2a.skills", "a skill's task type must not be empty")
        try check(["trace", "debug", "info", "notice", "warning", "error", "critical"].contains(logLevel), "log.level", "unknown level '\(logLevel)'")
    }
}
