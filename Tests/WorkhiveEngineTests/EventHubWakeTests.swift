import Foundation
import Testing
import WorkhiveCore
@testable import WorkhiveEngine

/// How long-polling claimers are woken. A claimer reads the generation, looks at the queue, and
/// waits. Each task that comes wakes one waiter that could take it; a woken claimer that cannot
/// take it passes the wake on; a task that woke nobody sends back a claimer that looked before it
/// came, instead of letting it wait.
@Suite struct EventHubWakeTests {
    static func available(_ id: Int64, type: String = "t", humanOnly: Bool = false) -> [Event] {
        [.taskAvailable(.init(task: TaskID(id), taskType: type, requiredCapabilities: "", rewardMicroUSDT: 1, humanOnly: humanOnly,
                              excludedOwner: nil))]
    }

    /// What ended a `waitForWork` with a timeout of `timeout`, and after how many seconds.
    static func timedWait(_ hub: EventHub, since generation: UInt64, timeout: Double = 5, worker: Int64? = nil,
                          matching: @escaping @Sendable (Event.TaskAvailable) -> Bool = { _ in true }) async -> (wake: EventHub.Wake?, seconds: Double) {
        let start = ContinuousClock.now
        let wake = await hub.waitForWork("t", since: generation, timeoutSeconds: timeout, worker: worker.map(WorkerID.init(rawValue:)),
                                         matching: matching)
        let elapsed = ContinuousClock.now - start
        return (wake, Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
    }

    /// Waits until `count` claimers are waiting for work of type "t".
    static func waiting(_ hub: EventHub, _ count: Int) async throws {
        for _ in 0..<5000 where hub.waitingClaimers("t") != count { try await Task.sleep(for: .milliseconds(1)) }
        #expect(hub.waitingClaimers("t") == count)
    }

    @Test func eachTaskWakesOneWaiter() async throws {
        let hub = EventHub()
        let looked = hub.workGeneration("t")
        try await withThrowingTaskGroup(of: Int64?.self) { group in
            for _ in 0..<3 {
                group.addTask { await Self.timedWait(hub, since: looked, timeout: 30).wake?.task.task.rawValue }
            }
            try await Self.waiting(hub, 3)
            // Waking happens inside publish: one waiter is gone, two still wait.
            hub.publish(Self.available(1))
            #expect(hub.waitingClaimers("t") == 2)
            hub.publish(Self.available(2) + Self.available(3))
            #expect(hub.waitingClaimers("t") == 0)
            var tasks: [Int64] = []
            for try await task in group { tasks.append(try #require(task)) }
            #expect(tasks.sorted() == [1, 2, 3])  // each waiter learns which task woke it
        }
    }

    @Test func workThatWokeNobodySendsBackAClaimerThatLookedBeforeItCame() async {
        let hub = EventHub()
        let looked = hub.workGeneration("t")
        hub.publish(Self.available(1))
        let (wake, seconds) = await Self.timedWait(hub, since: looked)
        #expect(seconds < 1 && wake?.task.task == TaskID(1))
        // The wake is owed once: the next claimer that looked as early waits.
        #expect(await Self.timedWait(hub, since: looked, timeout: 0.3).seconds >= 0.3)
    }

    @Test func workThatWokeAWaiterLetsAClaimerThatLookedBeforeItWait() async throws {
        let hub = EventHub()
        let looked = hub.workGeneration("t")
        async let first = Self.timedWait(hub, since: looked)
        try await Self.waiting(hub, 1)
        hub.publish(Self.available(1))
        #expect(await first.wake?.task.task == TaskID(1))
        #expect(await Self.timedWait(hub, since: looked, timeout: 0.3).seconds >= 0.3)
    }

    @Test func aClaimerThatLookedAfterTheWorkCameWaits() async {
        let hub = EventHub()
        hub.publish(Self.available(1))
        #expect(await Self.timedWait(hub, since: hub.workGeneration("t"), timeout: 0.3).seconds >= 0.3)
    }

    @Test func aWakePassedOnReachesTheNextWaiterThatCouldTakeIt() async throws {
        let hub = EventHub()
        let looked = hub.workGeneration("t")
        async let first = Self.timedWait(hub, since: looked, worker: 1)
        try await Self.waiting(hub, 1)
        let agentOnly = Task { await Self.timedWait(hub, since: looked, timeout: 30, worker: 2) { !$0.humanOnly }.wake }
        try await Self.waiting(hub, 2)
        async let third = Self.timedWait(hub, since: looked, worker: 3)
        try await Self.waiting(hub, 3)
        hub.publish(Self.available(1, humanOnly: true))
        let wake = try #require(await first.wake)
        hub.pass(wake, declinedBy: WorkerID(1))
        // The waiter that could not take the task is skipped; the next one that could gets it.
        #expect(await third.wake?.task.task == TaskID(1))
        #expect(hub.waitingClaimers("t") == 1)
        agentOnly.cancel()
        #expect(await agentOnly.value == nil)
    }

    @Test func aWakePassedOnWithNobodyWaitingSendsBackAClaimerThatLookedBeforeButNotThePasser() async throws {
        let hub = EventHub()
        let looked = hub.workGeneration("t")
        async let first = Self.timedWait(hub, since: looked, worker: 1)
        try await Self.waiting(hub, 1)
        hub.publish(Self.available(1))
        hub.pass(try #require(await first.wake), declinedBy: WorkerID(1))
        // The claimer that passed it looked before it came too, but does not get it back...
        #expect(await Self.timedWait(hub, since: looked, timeout: 0.3, worker: 1).wake == nil)
        // ...another one does.
        let (wake, seconds) = await Self.timedWait(hub, since: looked, worker: 2)
        #expect(seconds < 1 && wake?.task.task == TaskID(1))
    }

    @Test func aWakeIsNotPassedBackToAWaiterThatDeclinedIt() async throws {
        let hub = EventHub()
        let looked = hub.workGeneration("t")
        async let first = Self.timedWait(hub, since: looked, worker: 1)
        try await Self.waiting(hub, 1)
        async let second = Self.timedWait(hub, since: looked, worker: 2)
        try await Self.waiting(hub, 2)
        hub.publish(Self.available(1))
        hub.pass(try #require(await first.wake), declinedBy: WorkerID(1))
        let passed = try #require(await second.wake)
        // Worker 1 waits again; the wake it declined passes it by and is owed to a newcomer instead.
        let again = Task { await Self.timedWait(hub, since: looked, timeout: 30, worker: 1).wake }
        try await Self.waiting(hub, 1)
        hub.pass(passed, declinedBy: WorkerID(2))
        #expect(hub.waitingClaimers("t") == 1)
        #expect(await Self.timedWait(hub, since: looked, worker: 3).wake?.task.task == TaskID(1))
        again.cancel()
        #expect(await again.value == nil)
    }

    @Test func aWakeIsPassedOnToABoundedNumberOfClaimers() async throws {
        let hub = EventHub()
        hub.publish(Self.available(1))
        var wake = try #require(await Self.timedWait(hub, since: 0, worker: 0).wake)
        for worker in 0..<Int64(EventHub.maxPasses) {
            hub.pass(wake, declinedBy: WorkerID(worker))
            wake = try #require(await Self.timedWait(hub, since: 0, worker: worker + 1).wake)
        }
        hub.pass(wake, declinedBy: WorkerID(Int64(EventHub.maxPasses)))  // one too many: nobody is told
        #expect(await Self.timedWait(hub, since: 0, timeout: 0.3, worker: 99).wake == nil)
    }

    @Test func otherTaskTypesDoNotEndTheWait() async {
        let hub = EventHub()
        let looked = hub.workGeneration("t")
        hub.publish(Self.available(1, type: "other"))
        #expect(await Self.timedWait(hub, since: looked, timeout: 0.3).seconds >= 0.3)
    }

    @Test func anOwedWakeGoesOnlyToAClaimerThatCouldTakeIt() async {
        let hub = EventHub()
        let looked = hub.workGeneration("t")
        hub.publish(Self.available(1, humanOnly: true))
        #expect(await Self.timedWait(hub, since: looked, timeout: 0.3) { !$0.humanOnly }.wake == nil)
        #expect(await Self.timedWait(hub, since: looked).wake?.task.task == TaskID(1))
    }
}
