import ArgumentParser
import Configuration
import Foundation
import Logging
import ServiceLifecycle
import WorkhiveEngine
import WorkhiveServer

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the marketplace server: on the embedded SQLite database in a data directory, or on PostgreSQL.",
        discussion: """
            Settings come from flags, then WORKHIVE_* environment variables, then the YAML file given with --config \
            (README "Operations" lists every key). Several servers may share one PostgreSQL database; each needs a data \
            directory of its own for proof blobs unless they share one.
            """)

    @Option(help: "YAML configuration file (see `workhive config check`).") var config: String?
    @Option(help: "Address to listen on (server.host).") var host: String?
    @Option(help: "Port to listen on (server.port).") var port: Int?
    @Option(help: "Data directory: SQLite database, proof blobs, the first admin key (data.dir).") var dataDir: String?
    @Option(help: ArgumentHelp("PostgreSQL URL (database.url, or $WORKHIVE_DATABASE_URL), else SQLite in the data directory.", valueName: "url"))
    var databaseURL: String?
    @Option(help: "Requests per second per API key, 0 turns rate limits off (server.rate_limit).") var rateLimit: Double?
    @Flag(inversion: .prefixedNo, help: "Refuse POST /v1/owners (server.closed_signup).") var closedSignup: Bool?
    @Option(help: "Seconds in-flight requests may take to finish after SIGTERM (server.shutdown_grace_seconds).") var shutdownGraceSeconds: Double?
    @Option(help: "Automatic payouts: off, immediate, or threshold:<micro-USDT> (payouts.auto).") var autoPayout: String?
    @Option(help: "Hot wallets per network on the embedded devnet (payouts.hot_wallets).") var hotWallets: Int?
    @Flag(inversion: .prefixedNo, help: "Accept testnet-flagged addresses (payouts.testnet_addresses).") var testnetAddresses: Bool?
    @Flag(inversion: .prefixedNo, help: "Run the payout dispatcher (payouts.dispatcher).") var payoutDispatcher: Bool?
    @Option(help: "Log lines as text or json (log.format).") var logFormat: String?
    @Option(help: "Lowest level logged (log.level).") var logLevel: String?
    @OptionGroup var nodes: EVMNodeOptions
    @Option(name: .customLong("a2a-skill"), help: "A task type the A2A agent card offers as a skill (repeatable; a2a.skills).")
    var a2aSkills: [String] = []

    /// The flags given on the command line, by configuration key.
    var flags: [String: ConfigValue] {
        var f: [String: ConfigValue] = [:]
        func put(_ key: String, _ value: ConfigContent?, secret: Bool = false) { if let value { f[key] = ConfigValue(value, isSecret: secret) } }
        put("server.host", host.map { .string($0) })
        put("server.port", port.map { .int($0) })
        put("data.dir", dataDir.map { .string($0) })
        put("database.url", databaseURL.map { .string($0) }, secret: true)
        put("server.rate_limit", rateLimit.map { .double($0) })
        put("server.closed_signup", closedSignup.map { .bool($0) })
        put("server.shutdown_grace_seconds", shutdownGraceSeconds.map { .double($0) })
        put("payouts.auto", autoPayout.map { .string($0) })
        put("payouts.hot_wallets", hotWallets.map { .int($0) })
        put("payouts.testnet_addresses", testnetAddresses.map { .bool($0) })
        put("payouts.dispatcher", payoutDispatcher.map { .bool($0) })
        put("log.format", logFormat.map { .string($0) })
        put("log.level", logLevel.map { .string($0) })
        for k in EVMNodeOptions.keys { put(k.key, nodes.given[k.key].map { .string($0) }, secret: k.secret) }
        if !a2aSkills.isEmpty { put("a2a.skills", .stringArray(a2aSkills)) }
        return f
    }

    func run() async throws {
        let s: ServeSettings
        do { s = try await ServeSettings.load(file: config, flags: flags) } catch { throw ValidationError("configuration: \(error)") }
        let level = Logger.Level(rawValue: s.logLevel) ?? .info
        LoggingSystem.bootstrap { label in
            if s.logFormat == "json" {
                var handler = JSONLogHandler(label: label)
                handler.logLevel = level
                return handler
            }
            var handler = StreamLogHandler.standardOutput(label: label)
            handler.logLevel = level
            return handler
        }
        let database = try DatabaseOptions.parse(["--data-dir", s.dataDir] + (s.databaseURL.map { ["--database-url", $0] } ?? []))
        var payoutArguments = ["--auto-payout", s.autoPayout, "--hot-wallets", String(s.hotWallets)]
        if s.testnetAddresses { payoutArguments.append("--testnet-addresses") }
        if !s.payoutDispatcher { payoutArguments.append("--no-payout-dispatcher") }
        let payouts = try PayoutOptions.parse(payoutArguments + EVMNodeOptions.arguments(s.evmNodes))

        let market = try await database.open(payouts: try payouts.configuration())
        var configuration = ServerConfiguration()
        configuration.host = s.host
        configuration.port = s.port
        configuration.rateLimitPerSecond = s.rateLimit
        configuration.rateLimitBurst = max(1, s.rateLimit * 2)
        configuration.allowSignup = !s.closedSignup
        configuration.maxEventStreamsPerKey = s.eventStreamsPerKey
        configuration.maxEventStreams = s.eventStreams
        configuration.maxLongPollsPerKey = s.longPollsPerKey
        configuration.maxLongPolls = s.longPolls
        configuration.metricsOpenToLoopback = s.metricsOpenToLoopback
        configuration.payoutDispatcher = try await payouts.dispatcher(for: market, dataDir: s.dataDir)
        if !s.a2aSkills.isEmpty { configuration.a2a.skills = s.a2aSkills.map { A2AConfiguration.Skill(taskType: $0) } }
        let adminNote = try await ensureAdmin(market, dataDir: s.dataDir, host: s.host, port: s.port)
        let app = buildApplication(configuration, marketplace: market) { actualPort in
            print("Workhive is listening on http://\(s.host):\(actualPort) (\(database.summary))")
            print(adminNote)
        }
        // SIGTERM/SIGINT: stop accepting, let in-flight requests finish for the grace period (event
        // WebSockets get a close frame), then cancel what is left. Open leases stay in the database
        // for the rescuer of this server when it restarts, or of another one.
        var group = ServiceGroupConfiguration(services: [app], gracefulShutdownSignals: [.sigterm, .sigint], logger: Logger(label: "workhive"))
        group.maximumGracefulShutdownDuration = .milliseconds(Int64(s.shutdownGraceSeconds * 1000))
        try await ServiceGroup(configuration: group).run()
        await market.database.close()
        Logger(label: "workhive").info("stopped")
    }

    /// On a new data directory, creates the first admin (also a requester) and shows its key once;
    /// the key is also left in DATA_DIR/admin-key (mode 0600) for local use.
    func ensureAdmin(_ market: Marketplace, dataDir: String, host: String, port: Int) async throws -> String {
        if try await market.hasAdmin() {
            return "Admin key: see \(dataDir)/admin-key (keys are shown only when created)."
        }
        let admin = try await market.createOwner(name: "admin", admin: true)
        let path = dataDir + "/admin-key"
        FileManager.default.createFile(atPath: path, contents: Data((admin.apiKey + "\n").utf8), attributes: [.posixPermissions: 0o600])
        return """
            First admin and requester key (shown once, also saved to \(path)):
              \(admin.apiKey)
            Try: curl -H 'Authorization: Bearer \(admin.apiKey)' http://\(host):\(port)/v1/wallet
            """
    }
}
