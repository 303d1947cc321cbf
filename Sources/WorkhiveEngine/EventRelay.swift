import Foundation
import Logging
import Synchronization
import WorkhiveCore

/// Events between servers that share one PostgreSQL database: after a transaction commits, its
/// events are NOTIFYed on the database's channel, and every server LISTENs and publishes what other
/// servers sent to its own hub. So a task posted through one server wakes a worker long-polling or
/// listening on another.
///
/// The NOTIFY is not part of the operation's transaction: PostgreSQL serializes the commits of
/// notifying transactions on one global lock, which would serialize every write. Events are wake-up
/// hints (a woken worker reads the database), so a server that dies between commit and NOTIFY only
/// makes other servers' pollers wait for their poll timeout.
final class EventRelay: Sendable {
    static func channel(_ schema: String?) -> String { schema.map { "workhive_events_\($0)" } ?? "workhive_events" }
    /// NOTIFY payloads must stay under 8000 bytes.
    static let maxPayloadBytes = 7_000

    let database: PostgresDatabase
    let channel: String
    let node: String
    let logger: Logger
    /// How every envelope from this server begins. PostgreSQL delivers a server's notifications to
    /// its own listener too; these it drops by this prefix instead of decoding them.
    private let ownPrefix: String
    private let pending = Mutex<(events: [Event], flushing: Bool)>(([], false))

    init(database: PostgresDatabase, node: String, logger: Logger) {
        self.database = database
        self.channel = Self.channel(database.schema)
        self.node = node
        self.logger = logger
        self.ownPrefix = Self.prefix(node)
    }

    /// Queues committed events; one flusher at a time sends whatever has gathered, so under load
    /// many operations' events share one NOTIFY round trip.
    func send(_ events: [Event]) {
        guard !events.isEmpty else { return }
        let start = pending.withLock { p -> Bool in
            p.events += events
            defer { p.flushing = true }
            return !p.flushing
        }
        if start { Task { await flush() } }
    }

    private func flush() async {
        while true {
            let events = pending.withLock { p -> [Event] in
                defer { p.events = [] }
                if p.events.isEmpty { p.flushing = false }
                return p.events
            }
            guard !events.isEmpty else { return }
            do {
                try await database.notify(channel: channel, payloads: try Self.payloads(events, prefix: ownPrefix))
            } catch {
                logger.warning("could not relay \(events.count) events to other servers", metadata: ["error": "\(error)"])
            }
        }
    }

    /// Publishes other servers' events to `hub`; returns once listening.
    func listen(publishingTo hub: EventHub) async {
        let node = self.node, logger = self.logger, ownPrefix = self.ownPrefix
        await database.listen(channel: channel) { payload in
            if payload.hasPrefix(ownPrefix) { return }
            do {
                let envelope = try JSONDecoder().decode(Envelope.self, from: Data(payload.utf8))
                if envelope.node != node { hub.publish(envelope.events) }
            } catch {
                logger.warning("ignored a malformed event notification", metadata: ["error": "\(error)"])
            }
        }
    }

    struct Envelope: Codable {
        var node: String
        var events: [Event]
    }

    /// An envelope's JSON up to its events: the node first, whatever order an encoder would choose.
    static func prefix(_ node: String) -> String {
        #"{"node":"# + String(decoding: try! JSONEncoder().encode(node), as: UTF8.self) + #","events":"#
    }

    /// The events as JSON envelopes (`Envelope`), as few as fit under the payload limit.
    static func payloads(_ events: [Event], prefix: String) throws -> [String] {
        guard !events.isEmpty else { return [] }
        let whole = prefix + String(decoding: try JSONEncoder().encode(events), as: UTF8.self) + "}"
        if whole.utf8.count <= maxPayloadBytes || events.count == 1 { return [whole] }
        let half = events.count / 2
        return try payloads(Array(events[..<half]), prefix: prefix) + payloads(Array(events[half...]), prefix: prefix)
    }
}
