import HTTPTypes
import HummingbirdWSClient
import Logging

/// The server's push events (`GET /v1/events` over a WebSocket), as an `AsyncSequence`.
///
/// ```swift
/// let stream = EventStream(client: workerClient)
/// for await event in stream {
///     if case .taskAvailable(let t) = event { print("task \(t.taskId) is up for grabs") }
/// }
/// ```
///
/// The stream connects at once and reconnects with backoff when the connection drops (events sent
/// while disconnected are lost: the API has no replay). It ends on `close()`, when the consumer stops
/// iterating, or when reconnecting gives up. It is meant for one consumer.
public final class EventStream: AsyncSequence, Sendable {
    public typealias Element = WorkhiveEvent

    /// How the stream connects.
    public struct Configuration: Sendable {
        /// Whether to reconnect after the connection drops or cannot be made.
        public var reconnect: Bool
        /// Backoff between reconnection attempts (its `maxAttempts` bounds them).
        public var retry: RetryPolicy
        /// Largest frame accepted.
        public var maxFrameSize: Int
        /// Send the key as `?api_key=` instead of an `Authorization` header.
        public var keyInQuery: Bool
        /// Events buffered for a slow consumer; older ones are dropped beyond this.
        public var bufferSize: Int

        public init(reconnect: Bool = true, retry: RetryPolicy = RetryPolicy(initialDelay: .milliseconds(500), maxDelay: .seconds(30)),
                    maxFrameSize: Int = 1 << 16, keyInQuery: Bool = false, bufferSize: Int = 1000) {
            self.reconnect = reconnect
            self.retry = retry
            self.maxFrameSize = maxFrameSize
            self.keyInQuery = keyInQuery
            self.bufferSize = bufferSize
        }
    }

    struct State {
        var connected = false
        var finished = false
        var waiters: [CheckedContinuation<Void, Never>] = []
        var task: Task<Void, Never>?
        var connections = 0
    }

    /// The decoded events.
    public let events: AsyncStream<WorkhiveEvent>
    /// The WebSocket URL connected to.
    public let url: String
    private let state = Locked(State())

    /// Opens the stream for `client`'s key.
    public init(client: WorkhiveClient, configuration: Configuration = .init(), logger: Logger = Logger(label: "workhive.events")) {
        let (events, continuation) = AsyncStream.makeStream(of: WorkhiveEvent.self, bufferingPolicy: .bufferingNewest(configuration.bufferSize))
        self.events = events
        var base = client.baseURL
        if base.hasPrefix("https://") { base = "wss://" + base.dropFirst("https://".count) }
        else if base.hasPrefix("http://") { base = "ws://" + base.dropFirst("http://".count) }
        let key = client.apiKey
        self.url = base + "/v1/events" + (configuration.keyInQuery ? key.map { "?api_key=\(WorkhiveClient.escape($0))" } ?? "" : "")
        let url = self.url
        let task = Task { [state] in
            await Self.maintain(url: url, apiKey: configuration.keyInQuery ? nil : key, configuration: configuration,
                                continuation: continuation, state: state, logger: logger)
        }
        state.withLock { $0.task = task }
        continuation.onTermination = { _ in task.cancel() }
    }

    deinit { state.withLock { $0.task }?.cancel() }

    public func makeAsyncIterator() -> AsyncStream<WorkhiveEvent>.Iterator { events.makeAsyncIterator() }

    /// Whether the WebSocket is open right now.
    public var isConnected: Bool { state.withLock { $0.connected } }

    /// Returns once the WebSocket is open (or the stream has ended). The server subscribes the
    /// connection to events just after the upgrade, so an event published in the same instant may
    /// still be missed.
    public func waitUntilConnected() async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let ready = state.withLock { s in
                if s.connected || s.finished { return true }
                s.waiters.append(c)
                return false
            }
            if ready { c.resume() }
        }
    }

    /// Closes the connection and ends the stream.
    public func close() {
        state.withLock { $0.task }?.cancel()
    }

    /// Connects, forwards frames, and reconnects until cancelled or out of attempts.
    private static func maintain(url: String, apiKey: String?, configuration: Configuration,
                                 continuation: AsyncStream<WorkhiveEvent>.Continuation, state: Locked<State>, logger: Logger) async {
        var headers = HTTPFields()
        if let apiKey { headers[.authorization] = "Bearer \(apiKey)" }
        let wsConfiguration = WebSocketClientConfiguration(maxFrameSize: configuration.maxFrameSize, additionalHeaders: headers)
        var failures = 0
        while !Task.isCancelled {
            let before = state.withLock { $0.connections }
            do {
                try await WebSocketClient.connect(url: url, configuration: wsConfiguration, logger: logger) { inbound, _, _ in
                    Self.setConnected(true, state)
                    for try await message in inbound.messages(maxSize: configuration.maxFrameSize) {
                        guard case .text(let text) = message else { continue }
                        if let event = WorkhiveEvent(frame: text) { continuation.yield(event) }
                    }
                }
            } catch {
                if !Task.isCancelled { logger.debug("event stream connection failed", metadata: ["error": "\(error)"]) }
            }
            Self.setConnected(false, state)
            guard configuration.reconnect, !Task.isCancelled else { break }
            // A connection that got through resets the backoff.
            failures = state.withLock { $0.connections } > before ? 1 : failures + 1
            if let max = configuration.retry.maxAttempts, failures >= max { break }
            do {
                try await Task.sleep(for: configuration.retry.backoff(attempt: failures))
            } catch {
                break
            }
        }
        let waiters = state.withLock { s in
            s.finished = true
            defer { s.waiters = [] }
            return s.waiters
        }
        waiters.forEach { $0.resume() }
        continuation.finish()
    }

    private static func setConnected(_ connected: Bool, _ state: Locked<State>) {
        let waiters = state.withLock { s in
            s.connected = connected
            guard connected else { return [CheckedContinuation<Void, Never>]() }
            s.connections += 1
            defer { s.waiters = [] }
            return s.waiters
        }
        waiters.forEach { $0.resume() }
    }
}
