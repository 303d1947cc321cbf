import Foundation
import Logging
import ServiceLifecycle
import WorkhiveEngine
import WorkhiveServer

/// A server running in this process on a free loopback port, for `demo` and `bench`.
struct LiveServer {
    let url: String
    private let group: ServiceGroup
    private let task: Task<Void, any Error>

    static func start(_ market: Marketplace, configure: (inout ServerConfiguration) -> Void = { _ in }) async throws -> LiveServer {
        var configuration = ServerConfiguration()
        configuration.port = 0
        configure(&configuration)
        var logger = Logger(label: "workhive.server")
        logger.logLevel = .warning
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let app = buildApplication(configuration, marketplace: market, logger: logger) { port in continuation.yield(port) }
        let group = ServiceGroup(configuration: .init(services: [app], logger: logger))
        let task = Task { try await group.run() }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else { throw BenchError("server did not start") }
        return LiveServer(url: "http://127.0.0.1:\(port)", group: group, task: task)
    }

    func stop() async {
        await group.triggerGracefulShutdown()
        _ = try? await task.value
    }
}
