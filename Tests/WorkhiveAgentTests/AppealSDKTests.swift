import Foundation
import Testing
import WorkhiveAgent

/// The SDK's appeal and requester-statistics calls against a live server.
@Suite("SDK: appeals")
struct AppealSDKTests {
    @Test("a rejected worker appeals through the SDK; a second appeal is 409 appeal_exists; the requester's record shows it")
    func appealThroughTheSDK() async throws {
        try await withLiveServer { server in
            let requester = try await server.owner("requester", deposit: 10_000_000)
            let worker = try await server.worker("worker")
            let task = try await requester.postTask(NewTask(taskType: "count", title: "Count", rewardMicroUSDT: 500_000, maxAttempts: 1))
            let claim = try #require(try await worker.claim(taskType: "count", waitSeconds: 1))
            let submission = try await worker.submit(claimID: claim.claimId, result: ["count": 3])
            for name in ["v1", "v2"] {
                let verifier = try await server.worker(name)
                let slot = try #require(try await verifier.claim(taskType: "verify", waitSeconds: 1))
                _ = try await verifier.vote(claimID: slot.claimId, verdict: .reject, reason: "miscounted")
            }
            #expect(try await requester.task(id: task.id).state == .rejected)

            let appeal = try await worker.appeal(submissionID: submission.id, reason: "there are three apples in the photo")
            #expect(appeal.state == .pending && appeal.submissionId == submission.id && appeal.verifiers == 3)
            #expect(try await requester.appeal(submissionID: submission.id) == appeal)
            do {
                _ = try await worker.appeal(submissionID: submission.id, reason: "again")
                Issue.record("a second appeal was accepted")
            } catch let error as WorkhiveAPIError {
                #expect(error.status == 409 && error.code == WorkhiveAPIError.Codes.appealExists)
            }
            let stats = try await worker.requesterStats(requesterID: task.requesterId)
            #expect(stats.tasksPosted == 1 && stats.submissionsRejected == 1 && stats.rejectionRate == 1)
            #expect(stats.appealsFiled == 1 && stats.appealsPending == 1 && stats.appealsWon == 0)
        }
    }
}
