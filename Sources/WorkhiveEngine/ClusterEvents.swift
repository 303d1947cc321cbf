import Foundation
import Logging
import WorkhiveCore

/// Events between servers that share one PostgreSQL database: a transaction that produced events
/// also NOTIFYs them (PostgreSQL delivers them only if it commits), and every server LISTENs and
/// publishes what other servers sent to its own hub. So a task posted through one server wakes a
/// worker long-polling or listening on another.
enum ClusterEvents {
    static let channel = "workhive_events"
    /// NOTIFY payloads must stay under 8000 bytes.
    static let maxPayloadBytes = 7_000

    struct Envelope: Codable {
        var node: String
        var events: [Event]
    }

    static func notify(_ events: [Event], from node: String, _ tx: any SQLExecutor) async throws {
        for payload in try payloads(events, from: node) {
            _ = try await tx.query("SELECT pg_notify(?, ?)", [.text(channel), .text(payload)])
        }
    }

    /// The events as JSON envelopes, as few as fit under the payload limit.
    static func payloads(_ events: [Event], from node: String) throws -> [String] {
        guard !events.isEmpty else { return [] }
        let encoder = JSONEncoder()
        let whole = String(decoding: try encoder.encode(Envelope(node: node, events: events)), as: UTF8.self)
        if whole.utf8.count <= maxPayloadBytes || events.count == 1 { return [whole] }
        let half = events.count / 2
        return try payloads(Array(events[..<half]), from: node) + payloads(Array(events[half...]), from: node)
    }

    static func listen(on database: PostgresDatabase, node: String, hub: EventHub, logger: Logger) async {
        await database.listen(channel: channel) { payload in
            do {
                let envelope = try JSONDecoder().decode(Envelope.self, from: Data(payload.utf8))
                if envelope.node != node { hub.publish(envelope.events) }
            } catch {
                logger.warning("ignored a malformed event notification", metadata: ["error": "\(error)"])
            }
        }
    }
}
