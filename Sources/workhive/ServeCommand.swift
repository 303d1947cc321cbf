import ArgumentParser
import Foundation
import Logging
import ServiceLifecycle
import WorkhiveEngine
import WorkhiveServer

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the marketplace server: on the embedded SQLite database in a data directory, or on PostgreSQL.",
        discussion: "Several servers may share one PostgreSQL database; each needs a data directory of its own for proof blobs unless they share one.")

    @Option(help: "Address to listen on.") var host = "127.0.0.1"
    @Option(help: "Port to listen on.") var port = 8080
    @OptionGroup var database: DatabaseOptions
    @Option(help: "Requests per second per API key (0 turns rate limits off).") var rateLimit: Double = 200
    @Flag(help: "Refuse POST /v1/owners (sign-up) from anyone.") var closedSignup = false
    @OptionGroup var payouts: PayoutOptions
    @Option(name: .customLong("a2a-skill"), help: "A task type the A2A agent card offers as a skill (repeatable; the first is the default for messages that name none; default: general).")
    var a2aSkills: [String] = []

    func run() async throws {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardOutput(label: label)
            handler.logLevel = .info
            return handler
        }
        let market = try await database.open(payouts: try payouts.configuration())
        var configuration = ServerConfiguration()
        configuration.host = host
        configuration.port = port
        configuration.rateLimitPerSecond = rateLimit
        configuration.rateLimitBurst = max(1, rateLimit * 2)
        configuration.allowSignup = !closedSignup
        configuration.payoutDispatcher = try await payouts.dispatcher(for: market, dataDir: database.dataDir)
        if !a2aSkills.isEmpty { configuration.a2a.skills = a2aSkills.map { A2AConfiguration.Skill(taskType: $0) } }
        let adminNote = try await ensureAdmin(market)
        let app = buildApplication(configuration, marketplace: market) { actualPort in
            print("Workhive is listening on http://\(host):\(actualPort) (\(database.summary))")
            print(adminNote)
        }
        let group = ServiceGroup(configuration: .init(services: [app], gracefulShutdownSignals: [.sigterm, .sigint], logger: Logger(label: "workhive")))
        try await group.run()
        await market.database.close()
    }

    /// On a new data directory, creates the first admin (also a requester) and shows its key once;
    /// the key is also left in DATA_DIR/admin-key (mode 0600) for local use.
    func ensureAdmin(_ market: Marketplace) async throws -> String {
        if try await market.hasAdmin() {
            return "Admin key: see \(database.dataDir)/admin-key (keys are shown only when created)."
        }
        let admin = try await market.createOwner(name: "admin", admin: true)
        let path = database.dataDir + "/admin-key"
        FileManager.default.createFile(atPath: path, contents: Data((admin.apiKey + "\n").utf8), attributes: [.posixPermissions: 0o600])
        return """
            First admin and requester key (shown once, also saved to \(path)):
              \(admin.apiKey)
            Try: curl -H 'Authorization: Bearer \(admin.apiKey)' http://\(host):\(port)/v1/wallet
            """
    }
}
