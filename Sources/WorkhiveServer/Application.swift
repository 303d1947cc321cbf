import Foundation
import Hummingbird
import HummingbirdWebSocket
import Logging
import ServiceLifecycle
import WorkhiveCore
import WorkhiveEngine
import WorkhiveWeb

/// How the server listens and what it allows.
public struct ServerConfiguration: Sendable {
    public var host = "127.0.0.1"
    public var port = 8080
    /// Requests per second per API key, and the burst a key may spend at once (0 turns limits off).
    public var rateLimitPerSecond: Double = 200
    public var rateLimitBurst: Double = 400
    /// Whether anyone may create an owner account with POST /v1/owners.
    public var allowSignup = true
    /// How often the lease rescuer runs.
    public var rescueInterval: Duration = .seconds(1)
    /// The web app's settings (cookies, sessions, password cost); `allowSignup` above closes its
    /// sign-up too.
    public var web = WebConfiguration()
    /// Sends queued payouts (the embedded devnet by default in `workhive serve`); nil runs no dispatcher.
    public var payoutDispatcher: PayoutDispatcher?
    public var payoutInterval: Duration = .milliseconds(500)
    /// Open event streams (WebSockets and A2A SSE) per API key, and for the whole server.
    public var maxEventStreamsPerKey = 8
    public var maxEventStreams = 10_000
    /// Claims long-polling (`wait_seconds` > 0) at once per API key, and for the whole server.
    public var maxLongPollsPerKey = 16
    public var maxLongPolls = 10_000
    /// Where request counts and latencies are recorded; `GET /metrics` serves them (admin key).
    public var metrics = ServerMetrics()
    /// `GET /metrics` without a key from a loopback peer that no proxy forwarded (a local Prometheus).
    public var metricsOpenToLoopback = true
    /// The A2A agent card's skills (one per task type offered) and name.
    public var a2a = A2AConfiguration()

    public init() {}
}

/// Builds the HTTP + WebSocket application around a marketplace, with the lease rescuer as a service
/// of the same service group. Tests run it in-process (`app.test(.router)`) or live.
public func buildApplication(
    _ configuration: ServerConfiguration, marketplace: Marketplace, logger: Logger = Logger(label: "workhive"),
    onServerRunning: @escaping @Sendable (_ port: Int) async -> Void = { _ in }
) -> some ApplicationProtocol {
    let router = buildRouter(configuration, marketplace: marketplace)
    var app = Application(
        router: router,
        server: .http1WebSocketUpgrade(webSocketRouter: router),
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "workhive"),
        onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? configuration.port) },
        logger: logger)
    app.addServices(LeaseRescuerService(marketplace: marketplace, interval: configuration.rescueInterval, metrics: configuration.metrics))
    if let dispatcher = configuration.payoutDispatcher {
        app.addServices(PayoutDispatcherService(dispatcher: dispatcher, interval: configuration.payoutInterval))
    }
    return app
}

/// Runs the lease rescuer until the service group shuts down.
struct LeaseRescuerService: Service {
    let marketplace: Marketplace
    let interval: Duration
    let metrics: ServerMetrics

    func run() async throws {
        await cancelWhenGracefulShutdown {
            await marketplace.runRescuer(every: interval, onReport: metrics.rescued)
        }
    }
}

/// Runs the payout dispatcher until the service group shuts down.
struct PayoutDispatcherService: Service {
    let dispatcher: PayoutDispatcher
    let interval: Duration

    func run() async throws {
        await cancelWhenGracefulShutdown {
            await dispatcher.run(every: interval)
        }
    }
}
