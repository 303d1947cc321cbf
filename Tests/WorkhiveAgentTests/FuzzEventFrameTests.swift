import Foundation
import Testing
import WorkhiveAgent
import WorkhiveCore
import WorkhiveTestSupport
@testable import WorkhiveServer

/// The WebSocket message decoder of the SDK (`WorkhiveEvent(frame:)`), property-tested: every frame
/// the server encodes decodes to the same values, and mutated frames decode or are dropped (nil) —
/// never a crash.
@Suite("Fuzz: WebSocket event frames")
struct FuzzEventFrameTests {
    static func events(_ m: inout FuzzMutator) -> [Event] {
        func id() -> Int64 { Int64(m.below(1 << 30)) }
        return [
            .taskAvailable(.init(task: .init(id()), taskType: "t.\(m.below(9))", requiredCapabilities: m.below(2) == 0 ? "" : "browser,gpu",
                                 rewardMicroUSDT: id(), humanOnly: m.below(2) == 0, excludedOwner: nil)),
            .claimExpiring(claim: .init(id()), task: .init(id()), worker: .init(id()), leaseExpiresAtMillis: id()),
            .submissionVerdict(submission: .init(id()), task: .init(id()), worker: .init(id()), requester: .init(id()),
                               outcome: m.below(2) == 0 ? .approved : .rejected),
            .ledgerCredited(account: .init(id()), owner: .init(id()), worker: m.below(2) == 0 ? nil : .init(id()),
                            amountMicroUSDT: id(), reason: .reward, task: m.below(2) == 0 ? nil : .init(id())),
        ]
    }

    @Test("server frames round-trip; mutated frames never crash the decoder")
    func frames() {
        var m = FuzzMutator(seed: 0xE7E7)
        let iterations = FuzzMutator.iterations(4000)
        var decoded = 0, dropped = 0
        for _ in 0..<iterations {
            for event in Self.events(&m) {
                let frame = EventsRoute.encode(event)
                let parsed = WorkhiveEvent(frame: frame)
                switch (event, parsed) {
                case (.taskAvailable(let t), .taskAvailable(let p)?):
                    #expect(p.taskId == t.task.rawValue && p.taskType == t.taskType && p.rewardMicroUSDT == t.rewardMicroUSDT
                            && p.humanOnly == t.humanOnly && p.requiredCapabilities == Capabilities(canonical: t.requiredCapabilities).names)
                case (.claimExpiring(let c, let t, let w, let e), .claimExpiring(let p)?):
                    #expect(p.claimId == c.rawValue && p.taskId == t.rawValue && p.workerId == w.rawValue && p.leaseExpiresAtMillis == e)
                case (.submissionVerdict(let s, let t, let w, _, let o), .submissionVerdict(let p)?):
                    #expect(p.submissionId == s.rawValue && p.taskId == t.rawValue && p.workerId == w.rawValue && p.outcome.rawValue == o.rawValue)
                case (.ledgerCredited(let a, _, let w, let amount, let r, let t), .ledgerCredited(let p)?):
                    #expect(p.accountId == a.rawValue && p.amountMicroUSDT == amount && p.reason == r.rawValue
                            && p.workerId == w?.rawValue && p.taskId == t?.rawValue)
                default:
                    Issue.record("\(frame) decoded as \(String(describing: parsed))")
                }
                if WorkhiveEvent(frame: String(decoding: m.mutate(Array(frame.utf8)), as: UTF8.self)) != nil { decoded += 1 } else { dropped += 1 }
            }
        }
        print("fuzz: WebSocket event frames (property): \(iterations * 4) round trips, \(decoded + dropped) mutated frames (\(decoded) decoded, \(dropped) dropped), 0 crashes")
    }
}
