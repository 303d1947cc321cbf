import Foundation
import Logging
import Testing
import WorkhiveAgent

/// The SDK driving a live in-process server for real: agents claim, execute, submit and verify.
@Suite(.timeLimit(.minutes(2)))
struct AgentRunnerTests {
    /// Short long-polls and heartbeats so a graceful stop is quick and heartbeats get exercised.
    static let fast = AgentRunner.Configuration(waitSeconds: 1, workerHeartbeatInterval: .milliseconds(500))

    @Test("one worker and three verifiers (each under its own owner) see every task approved and paid")
    func workerAndVerifiersCompleteTasks() async throws {
        try await withLiveServer { server in
            let requester = try await server.owner("requester", deposit: 100_000_000)
            let workerClient = try await server.worker("uppercaser", capabilities: ["text"])
            var verifierClients: [WorkhiveClient] = []
            // Verification slots require what the work required, so the verifiers handle text too.
            for i in 1...3 { verifierClients.append(try await server.worker("verifier-\(i)", capabilities: ["text"])) }

            let reward: Int64 = 1_000_000
            var taskIDs: [Int64] = []
            for i in 1...3 {
                let task = try await requester.postTask(NewTask(
                    taskType: "uppercase", title: "Uppercase #\(i)", payload: ["text": .string("hello \(i)")],
                    requiredCapabilities: ["text"], rewardMicroUSDT: reward))
                #expect(task.state == .open)
                #expect(task.verification?.verifiers == 3)
                taskIDs.append(task.id)
            }

            let worker = AgentRunner(client: workerClient, taskTypes: ["uppercase"], configuration: Self.fast, logger: quiet) { claim in
                let text = claim.task.payload["text"]?.stringValue ?? ""
                return .submit(result: ["upper": .string(text.uppercased())])
            }
            let verifiers = verifierClients.map { client in
                AgentRunner(client: client, taskTypes: [TaskTypes.verify], configuration: Self.fast, logger: quiet) { claim in
                    guard let review = claim.review else { return .reject("no review attached") }
                    let expected = review.task.payload["text"]?.stringValue?.uppercased()
                    return review.submission.result["upper"]?.stringValue == expected ? .approve("matches") : .reject("wrong text")
                }
            }

            try await run([worker] + verifiers, until: "all tasks approved") {
                let tasks = try await patiently { try await requester.tasks(taskType: "uppercase") }
                return tasks.count == 3 && tasks.allSatisfy { $0.state == .approved }
            }

            let counters = worker.counters
            #expect(counters.claimed == 3)
            #expect(counters.submitted == 3)
            #expect(counters.failed == 0)
            let votes = verifiers.map(\.counters.voted).reduce(0, +)
            #expect(votes >= 6, "two approvals per task at least: \(verifiers.map(\.counters))")
            #expect(!worker.isRunning && verifiers.allSatisfy { !$0.isRunning })

            for id in taskIDs {
                let submissions = try await requester.submissions(taskID: id)
                #expect(submissions.count == 1)
                #expect(submissions.first?.state == .approved)
                #expect((submissions.first?.approvals ?? 0) >= 2)
            }
            let earnings = try await workerClient.wallet().account(.earnings)
            #expect(earnings?.balanceMicroUSDT == 3 * reward)
            // Verifiers whose vote agreed were paid the default 5% verifier reward each.
            var paid: Int64 = 0
            for client in verifierClients { paid += try await client.wallet().account(.earnings)?.balanceMicroUSDT ?? 0 }
            #expect(paid == Int64(votes) * reward / 20)
            // Stopped runners report themselves offline.
            #expect(try await workerClient.me().worker?.status == .offline)
        }
    }

    @Test("429 answers are waited out for their Retry-After, by the client's retry policy and by a runner")
    func rateLimitRetryAfterIsHonoured() async throws {
        // A slow refill (a token every 4 s), so that a busy machine does not refill the bucket between
        // the calls below, nor between the runner's claim and submit.
        try await withLiveServer(configure: { $0.rateLimitPerSecond = 0.25; $0.rateLimitBurst = 2 }) { server in
            let requester = try await server.owner("requester", deposit: 10_000_000)
            let workerClient = try await server.worker("busy-bee")

            // Spend the burst: a 429 with Retry-After comes back as a typed error.
            var limited: WorkhiveAPIError?
            for _ in 0..<8 where limited == nil {
                do { _ = try await workerClient.me() } catch let error as WorkhiveAPIError { limited = error }
            }
            let error = try #require(limited)
            #expect(error.status == 429)
            #expect(error.code == WorkhiveAPIError.Codes.rateLimited)
            #expect((error.retryAfterSeconds ?? 0) >= 1)

            // The retry policy waits the Retry-After before trying again.
            let waits = Recorder<Duration>()
            let start = ContinuousClock.now
            let me = try await RetryPolicy.default.run(onRetry: { error, _, delay in
                if (error as? WorkhiveAPIError)?.isRateLimited == true { waits.append(delay) }
            }) { try await workerClient.me() }
            #expect(me.kind == "worker")
            if let first = waits.values.first {
                #expect(first >= .seconds(1))
                #expect(ContinuousClock.now - start >= .seconds(1))
            }

            // A runner under the same limit gets its work done all the same.
            for i in 1...3 {
                _ = try await patiently {
                    try await requester.postTask(NewTask(taskType: "echo", title: "Echo \(i)", payload: ["n": .int(Int64(i))],
                                                         rewardMicroUSDT: 100_000, verification: NewTask.Verification.none),
                                                 idempotencyKey: "echo-\(i)")
                }
            }
            // Long polls and the default 30 s worker heartbeat, so the 2 requests/s go to the work.
            let limitedConfiguration = AgentRunner.Configuration(waitSeconds: 5)
            let runner = AgentRunner(client: workerClient, taskTypes: ["echo"], configuration: limitedConfiguration, logger: quiet) { claim in
                .submit(result: claim.task.payload)
            }
            try await run([runner], until: "echo tasks approved", timeout: .seconds(90)) {
                let tasks = try await patiently { try await requester.tasks(taskType: "echo") }
                return tasks.count == 3 && tasks.allSatisfy { $0.state == .approved }
            }
            #expect(runner.counters.submitted == 3)
            #expect(runner.counters.rateLimited >= 1, "\(runner.counters)")
            #expect(runner.counters.failed == 0)
        }
    }

    @Test("a submit whose answer is lost is retried as the same request and makes one submission")
    func lostSubmitAnswerIsRetriedIdempotently() async throws {
        try await withLiveServer { server in
            let requester = try await server.owner("requester", deposit: 10_000_000)
            let plain = try await server.worker("unlucky")
            let losing = LosingTransport(inner: AsyncHTTPClientTransport(httpClient: server.http), losingAnswersTo: "/submit", count: 2)
            let workerClient = server.client(plain.apiKey, transport: losing)
            let task = try await requester.postTask(NewTask(
                taskType: "square", title: "Square 12", payload: ["n": 12], rewardMicroUSDT: 2_000_000, verification: NewTask.Verification.none))

            var configuration = Self.fast
            configuration.maxClaims = 1
            configuration.retry = RetryPolicy(initialDelay: .milliseconds(20), maxDelay: .milliseconds(100))
            let runner = AgentRunner(client: workerClient, taskTypes: ["square"], configuration: configuration, logger: quiet) { claim in
                let n = claim.task.payload["n"]?.intValue ?? 0
                let proof = try await workerClient.uploadBlob(Array("\(n) * \(n) = \(n * n)".utf8), contentType: "text/plain")
                return .submit(result: ["square": .int(n * n)], proofs: [proof.sha256])
            }
            try await runner.run()

            #expect(losing.matched == 3, "two lost answers, then one that arrived")
            #expect(runner.counters.submitted == 1)
            #expect(runner.counters.errors == 2)
            let submissions = try await requester.submissions(taskID: task.id)
            #expect(submissions.count == 1)
            #expect(submissions.first?.result["square"]?.intValue == 144)
            let proof = try #require(submissions.first?.proofs.first)
            let blob = try await requester.downloadBlob(sha256: proof)
            #expect(String(decoding: blob.bytes, as: UTF8.self) == "12 * 12 = 144")
            #expect(blob.contentType == "text/plain")
            #expect(try await requester.task(id: task.id).state == .approved)
            #expect(try await plain.wallet().account(.earnings)?.balanceMicroUSDT == 2_000_000)
        }
    }

    @Test("resubmitting the same result on a claim returns the first submission; a different one is refused")
    func resubmittingSameResultReturnsFirstSubmission() async throws {
        try await withLiveServer { server in
            let requester = try await server.owner("requester", deposit: 10_000_000)
            let worker = try await server.worker("twice")
            let task = try await requester.postTask(NewTask(taskType: "count", title: "Count", rewardMicroUSDT: 500_000))
            let claim = try #require(try await worker.claim(taskType: "count", waitSeconds: 1))
            #expect(claim.task.id == task.id)

            let first = try await worker.submit(claimID: claim.claimId, result: ["count": 3, "unit": "apples"])
            let second = try await worker.submit(claimID: claim.claimId, result: ["unit": "apples", "count": 3])
            let third = try await worker.submit(claimID: claim.claimId, result: ["count": 3, "unit": "apples"])
            #expect(first.id == second.id && second.id == third.id)
            #expect(try await requester.submissions(taskID: task.id).count == 1)

            await #expect(throws: WorkhiveAPIError.self) {
                try await worker.submit(claimID: claim.claimId, result: ["count": 4])
            }
            do {
                _ = try await worker.submit(claimID: claim.claimId, result: ["count": 4])
            } catch let error as WorkhiveAPIError {
                #expect(error.status == 409)
                #expect(error.code == WorkhiveAPIError.Codes.conflict)
            }
        }
    }

    @Test("EventStream hears task.available when a task is posted (header and query authentication)")
    func eventStreamReceivesTaskAvailable() async throws {
        try await withLiveServer { server in
            let requester = try await server.owner("requester", deposit: 10_000_000)
            let worker = try await server.worker("listener", capabilities: ["audio"])
            let byHeader = EventStream(client: worker)
            let byQuery = EventStream(client: worker, configuration: .init(keyInQuery: true))
            defer {
                byHeader.close()
                byQuery.close()
            }
            await byHeader.waitUntilConnected()
            await byQuery.waitUntilConnected()
            #expect(byHeader.isConnected && byQuery.isConnected)
            // The server subscribes a socket just after its upgrade completes.
            try await Task.sleep(for: .milliseconds(300))

            let task = try await requester.postTask(NewTask(
                taskType: "transcribe", title: "Transcribe", requiredCapabilities: ["audio"], rewardMicroUSDT: 3_000_000))
            for stream in [byHeader, byQuery] {
                let event = try await withTimeout("task.available", .seconds(10)) {
                    for await event in stream {
                        if case .taskAvailable(let available) = event, available.taskId == task.id { return available }
                    }
                    throw TimedOut(what: "stream ended")
                }
                #expect(event.taskType == "transcribe")
                #expect(event.rewardMicroUSDT == 3_000_000)
                #expect(event.requiredCapabilities == ["audio"])
            }
            byHeader.close()
            try await eventually("stream closed", timeout: .seconds(10)) { !byHeader.isConnected }
        }
    }

    @Test("a long task keeps its lease alive with heartbeats")
    func leaseHeartbeatsKeepLongWork() async throws {
        try await withLiveServer { server in
            let requester = try await server.owner("requester", deposit: 10_000_000)
            let worker = try await server.worker("slowpoke")
            let task = try await requester.postTask(NewTask(
                // A lease of 10 s, not 5: on a loaded machine (the whole suite runs in parallel on
                // two cores) a claim's answer and the first renewal can together take over 5 s.
                taskType: "slow", title: "Slow", rewardMicroUSDT: 1_000_000, leaseSeconds: 10, verification: NewTask.Verification.none))
            var configuration = Self.fast
            configuration.maxClaims = 1
            let runner = AgentRunner(client: worker, taskTypes: ["slow"], configuration: configuration, logger: quiet) { _ in
                try await Task.sleep(for: .seconds(14))
                return .submit(result: ["done": true])
            }
            try await runner.run()
            #expect(runner.counters.submitted == 1, "\(runner.counters)")
            #expect(runner.counters.dropped == 0)
            #expect(runner.counters.leaseRenewals >= 2)
            #expect(try await requester.task(id: task.id).state == .approved)
        }
    }

    @Test("an expired claim is dropped and the runner carries on with the next one")
    func expiredClaimIsDroppedAndRunnerContinues() async throws {
        try await withLiveServer { server in
            let requester = try await server.owner("requester", deposit: 10_000_000)
            let worker = try await server.worker("forgetful")
            let task = try await requester.postTask(NewTask(
                taskType: "slow", title: "Slow", rewardMicroUSDT: 1_000_000, leaseSeconds: 5, verification: NewTask.Verification.none))
            var configuration = Self.fast
            configuration.maxClaims = 2
            configuration.renewLeases = false
            let runner = AgentRunner(client: worker, taskTypes: ["slow"], configuration: configuration, logger: quiet) { claim in
                // The first attempt outlives its lease; the rescuer reopens the task for a second one.
                if claim.attempt == 1 { try await Task.sleep(for: .milliseconds(6500)) }
                return .submit(result: ["attempt": .int(Int64(claim.attempt))])
            }
            try await runner.run()
            let counters = runner.counters
            #expect(counters.claimed == 2, "\(counters)")
            #expect(counters.dropped == 1)
            #expect(counters.submitted == 1)
            let submissions = try await requester.submissions(taskID: task.id)
            #expect(submissions.count == 1)
            #expect(submissions.first?.result["attempt"]?.intValue == 2)
        }
    }

    @Test("stop() during a long poll releases what the poll claims instead of leaving it leased")
    func stopDuringLongPollLeavesNoGhostClaim() async throws {
        try await withLiveServer { server in
            let requester = try await server.owner("requester", deposit: 10_000_000)
            let worker = try await server.worker("polite")
            let runner = AgentRunner(client: worker, taskTypes: ["late"], configuration: .init(waitSeconds: 12), logger: quiet) { _ in
                Issue.record("a stopped runner must not execute")
                return .release
            }
            let start = ContinuousClock.now
            let running = Task { try await runner.run() }
            // Once the runner's poll is waiting on the server (however busy the machine).
            try await eventually("the runner's long poll waits on the server") { server.marketplace.hub.waitingClaimers("late") == 1 }
            runner.stop()
            // Posted while the stopped runner's long poll is still waiting: the poll claims it.
            let task = try await requester.postTask(NewTask(taskType: "late", title: "Late", rewardMicroUSDT: 1_000_000))
            try await running.value
            #expect(ContinuousClock.now - start < .seconds(20))
            #expect(runner.counters.claimed == 0)
            #expect(runner.counters.released == 1, "\(runner.counters)")
            #expect(try await requester.task(id: task.id).state == .open)
        }
    }

    @Test("cancelling run() releases the claim in hand and reports offline")
    func cancellationReleasesClaim() async throws {
        try await withLiveServer { server in
            let requester = try await server.owner("requester", deposit: 10_000_000)
            let worker = try await server.worker("quitter")
            let task = try await requester.postTask(NewTask(taskType: "forever", title: "Forever", rewardMicroUSDT: 1_000_000))
            let started = Recorder<Int64>()
            let runner = AgentRunner(client: worker, taskTypes: ["forever"], configuration: Self.fast, logger: quiet) { claim in
                started.append(claim.claimId)
                try await Task.sleep(for: .seconds(600))
                return .release
            }
            let running = Task { try await runner.run() }
            try await eventually("work started") { !started.values.isEmpty }
            running.cancel()
            try await running.value
            #expect(runner.counters.released == 1, "\(runner.counters)")
            #expect(try await requester.task(id: task.id).state == .open)
            #expect(try await worker.me().worker?.status == .offline)
        }
    }
}

/// Runners log only warnings and errors during tests.
let quiet: Logger = {
    var logger = Logger(label: "workhive.agent.test")
    logger.logLevel = .warning
    return logger
}()

/// Values appended from concurrent tasks.
final class Recorder<Value: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [Value] = []
    func append(_ value: Value) { lock.withLock { items.append(value) } }
    var values: [Value] { lock.withLock { items } }
}
