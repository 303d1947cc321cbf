import Foundation
import Testing
import WorkhiveCore
@testable import WorkhiveEngine

/// How long-polling claimers are woken. A claimer reads the generation, looks at the queue, and
/// waits only if nothing came since: work that came in between sends it back to look at once, even
/// when the task woke other waiters, because a woken waiter may be unable to take it (panel rules and
/// the like are decided in SQL) and nobody else would be told.
@Suite struct EventHubWakeTests {
    static func available(_ id: Int64, type: String = "t") -> [Event] {
        [.taskAvailable(.init(task: TaskID(id), taskType: type, requiredCapabilities: "", rewardMicroUSDT: 1, humanOnly: false,
                              excludedOwner: nil))]
    }

    /// Seconds `waitForWork` took, with a timeout of `timeout`.
    static func timedWait(_ hub: EventHub, since generation: UInt64, timeout: Double = 5) async -> Double {
        let start = ContinuousClock.now
        await hub.waitForWork("t", since: generation, timeoutSeconds: timeout)
        let elapsed = ContinuousClock.now - start
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }

    /// Waits until `count` claimers are waiting for work of type "t".
    static func waiting(_ hub: EventHub, _ count: Int) async throws {
        for _ in 0..<5000 where hub.waitingClaimers("t") < count { try await Task.sleep(for: .milliseconds(1)) }
        #expect(hub.waitingClaimers("t") == count)
    }

    @Test func workThatCameAfterTheLookSendsTheClaimerBackAtOnce() async throws {
        let hub = EventHub()
        let looked = hub.workGeneration("t")
        // Two waiters take the task's two wakes...
        async let first = Self.timedWait(hub, since: looked)
        async let second = Self.timedWait(hub, since: looked)
        try await Self.waiting(hub, 2)
        hub.publish(Self.available(1))
        #expect(await first < 4)
        #expect(await second < 4)
        // ...and a claimer that looked before the task came still looks again: the woken two may
        // not be able to take it.
        #expect(await Self.timedWait(hub, since: looked) < 1)
    }

    @Test func aClaimerThatLookedAfterTheWorkCameWaits() async {
        let hub = EventHub()
        hub.publish(Self.available(1))
        #expect(await Self.timedWait(hub, since: hub.workGeneration("t"), timeout: 0.3) >= 0.3)
    }

    @Test func eachTaskWakesTwoWaitersAndNoMore() async throws {
        let hub = EventHub()
        let looked = hub.workGeneration("t")
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<5 {
                group.addTask { _ = await Self.timedWait(hub, since: looked, timeout: 30) }
            }
            try await Self.waiting(hub, 5)
            hub.publish(Self.available(1))
            // Waking happens inside publish: two waiters are gone, three still wait.
            #expect(hub.waitingClaimers("t") == 5 - EventHub.wakesPerTask)
            hub.publish(Self.available(2))
            #expect(hub.waitingClaimers("t") == 5 - 2 * EventHub.wakesPerTask)
            hub.publish(Self.available(3))
            #expect(hub.waitingClaimers("t") == 0)
            try await group.waitForAll()
        }
    }

    @Test func otherTaskTypesDoNotEndTheWait() async {
        let hub = EventHub()
        let looked = hub.workGeneration("t")
        hub.publish(Self.available(1, type: "other"))
        #expect(await Self.timedWait(hub, since: looked, timeout: 0.3) >= 0.3)
    }
}
