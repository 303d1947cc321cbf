import Foundation
import Testing
import WorkhiveCore
@testable import WorkhiveEngine

/// How long-polling claimers are woken: every new task wakes up to `wakesPerTask` waiting claimers,
/// and a claimer that looked at the queue before the task came but was not yet waiting is sent back
/// to look only when the task did not already wake enough waiters.
@Suite struct EventHubWakeTests {
    static func available(_ id: Int64, type: String = "t", excluding owner: OwnerID? = nil) -> [Event] {
        [.taskAvailable(.init(task: TaskID(id), taskType: type, requiredCapabilities: "", rewardMicroUSDT: 1, humanOnly: false,
                              excludedOwner: owner))]
    }

    /// Seconds `waitForWork` took, with a timeout of `timeout`.
    static func timedWait(_ hub: EventHub, since generation: UInt64, timeout: Double = 2,
                          matching: @escaping @Sendable (Event.TaskAvailable) -> Bool = { _ in true }) async -> Double {
        let start = ContinuousClock.now
        await hub.waitForWork("t", since: generation, timeoutSeconds: timeout, matching: matching)
        let elapsed = ContinuousClock.now - start
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }

    /// Waits until `count` claimers are waiting for work of type "t".
    static func waiting(_ hub: EventHub, _ count: Int) async throws {
        for _ in 0..<2000 where hub.waitingClaimers("t") < count { try await Task.sleep(for: .milliseconds(1)) }
        #expect(hub.waitingClaimers("t") == count)
    }

    @Test func aTaskNobodyWaitedForSendsTwoLateClaimersBackAndNoMore() async {
        let hub = EventHub()
        let looked = hub.workGeneration("t")
        hub.publish(Self.available(1))
        // Nobody was waiting: the first two claimers that looked before it come back at once...
        #expect(await Self.timedWait(hub, since: looked) < 0.5)
        #expect(await Self.timedWait(hub, since: looked) < 0.5)
        // ...and a third waits for new work (here, its timeout).
        #expect(await Self.timedWait(hub, since: looked, timeout: 0.3) >= 0.3)
        // One that looked after the task came waits too.
        #expect(await Self.timedWait(hub, since: hub.workGeneration("t"), timeout: 0.3) >= 0.3)
    }

    @Test func aTaskThatWokeTwoWaitersDoesNotSendLateClaimersBack() async throws {
        let hub = EventHub()
        let looked = hub.workGeneration("t")
        async let first = Self.timedWait(hub, since: looked)
        async let second = Self.timedWait(hub, since: looked)
        try await Self.waiting(hub, 2)
        hub.publish(Self.available(1))
        #expect(await first < 1.5)
        #expect(await second < 1.5)
        #expect(await Self.timedWait(hub, since: looked, timeout: 0.3) >= 0.3)
    }

    @Test func oneWaiterLeavesOneWakeForALateClaimer() async throws {
        let hub = EventHub()
        let looked = hub.workGeneration("t")
        async let woken = Self.timedWait(hub, since: looked)
        try await Self.waiting(hub, 1)
        hub.publish(Self.available(1))
        #expect(await woken < 1.5)
        #expect(await Self.timedWait(hub, since: looked) < 0.5)
        #expect(await Self.timedWait(hub, since: looked, timeout: 0.3) >= 0.3)
    }

    @Test func aLateClaimerIsSentBackOnlyForWorkItCouldTake() async {
        let hub = EventHub()
        let looked = hub.workGeneration("t")
        let mine = OwnerID(7)
        hub.publish(Self.available(1, excluding: mine))
        let notExcluded: @Sendable (Event.TaskAvailable) -> Bool = { $0.excludedOwner != mine }
        #expect(await Self.timedWait(hub, since: looked, timeout: 0.3, matching: notExcluded) >= 0.3)
        hub.publish(Self.available(2))
        #expect(await Self.timedWait(hub, since: looked, matching: notExcluded) < 0.5)
    }

    @Test func aClaimerOlderThanTheWakesKeptIsAlwaysSentBack() async {
        let hub = EventHub()
        let looked = hub.workGeneration("t")
        for id in 1...Int64(EventHub.owedLimit * 2) { hub.publish(Self.available(id)) }
        // Owed wakes were dropped for room since it looked: it may have missed work, so it looks again.
        for _ in 0..<5 { #expect(await Self.timedWait(hub, since: looked) < 0.5) }
    }

    @Test func otherTaskTypesDoNotEndTheWait() async {
        let hub = EventHub()
        let looked = hub.workGeneration("t")
        hub.publish(Self.available(1, type: "other"))
        #expect(await Self.timedWait(hub, since: looked, timeout: 0.3) >= 0.3)
    }
}
