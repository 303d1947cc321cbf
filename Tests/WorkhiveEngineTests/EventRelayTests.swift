import Foundation
import Testing
import WorkhiveCore
@testable import WorkhiveEngine

/// The envelopes servers send each other. A server drops its own by their prefix, so the prefix
/// must be how its envelopes begin, and the envelopes must still decode as before (a server of the
/// last release reads them during a rolling upgrade).
@Suite struct EventRelayTests {
    static func events(_ count: Int) -> [Event] {
        (1...count).map { event($0) }
    }

    static func event(_ i: Int) -> Event {
        let id = Int64(i)
        if i % 2 == 0 {
            return .submissionVerdict(submission: SubmissionID(rawValue: id), task: TaskID(rawValue: id), worker: WorkerID(rawValue: 7),
                                      requester: OwnerID(rawValue: 3), outcome: .approved)
        }
        let available = Event.TaskAvailable(task: TaskID(rawValue: id), taskType: "label \"quoted\"", requiredCapabilities: "en",
                                            rewardMicroUSDT: 1_000, humanOnly: false, excludedOwner: nil)
        return .taskAvailable(available)
    }

    @Test func envelopesBeginWithTheirServersPrefixAndDecodeWhole() throws {
        let node = UUID().uuidString, prefix = EventRelay.prefix(node)
        let events = Self.events(3)
        let payloads = try EventRelay.payloads(events, prefix: prefix)
        #expect(payloads.count == 1)
        #expect(payloads[0].hasPrefix(prefix))
        #expect(!payloads[0].hasPrefix(EventRelay.prefix(UUID().uuidString)))
        let envelope = try JSONDecoder().decode(EventRelay.Envelope.self, from: Data(payloads[0].utf8))
        #expect(envelope.node == node)
        #expect(envelope.events == events)
    }

    @Test func manyEventsAreSplitUnderThePayloadLimitInOrder() throws {
        let node = UUID().uuidString, prefix = EventRelay.prefix(node)
        let events = Self.events(200)
        let payloads = try EventRelay.payloads(events, prefix: prefix)
        #expect(payloads.count > 1)
        var decoded: [Event] = []
        for payload in payloads {
            #expect(payload.utf8.count <= EventRelay.maxPayloadBytes)
            #expect(payload.hasPrefix(prefix))
            let envelope = try JSONDecoder().decode(EventRelay.Envelope.self, from: Data(payload.utf8))
            #expect(envelope.node == node)
            decoded += envelope.events
        }
        #expect(decoded == events)
    }
}
