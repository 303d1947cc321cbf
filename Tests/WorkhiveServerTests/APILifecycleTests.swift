import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import Testing
import WorkhiveCore
import WorkhiveEngine
@testable import WorkhiveServer

/// The whole life of a task over HTTP: sign-up, deposit, post, claim, heartbeat, proof upload,
/// submit, three verifiers under three other owners vote, approval and payment.
@Suite("API: task lifecycle over HTTP")
struct APILifecycleTests {
    /// A PNG signature and a few bytes: enough to be stored as image/png.
    static let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52, 1, 2, 3, 4]

    @Test("post → claim → heartbeat → blob → submit → 3 verifiers approve → worker paid")
    func fullLifecycle() async throws {
        try await withAPI { api in
            let deposit: Int64 = 10_000_000
            let requester = try await api.requester("requester", funds: deposit)
            #expect(api.balance(try await api.wallet(requester.key), kind: "funds") == deposit)

            let workerOwner = try await api.signUp("worker-owner")
            let worker = try await api.createWorker(workerOwner, "liker", capabilities: ["browser"])
            var verifiers: [WorkerAccount] = []
            // Verification slots require what the work required, so the verifiers can use a browser too.
            for i in 1...3 { verifiers.append(try await api.soloWorker("verifier-\(i)", kind: i == 1 ? "human" : "agent", capabilities: ["browser"])) }

            // Nothing to claim yet: 204 with no body.
            let none = try await api.claim(worker, "social.like")
            #expect(none.status == 204)
            #expect(none.body.isEmpty)

            // Post: 201, open, default 2-of-3 verification, escrow held.
            let reward: Int64 = 1_000_000
            let task = try await api.postTask(requester, reward: reward, capabilities: ["browser"])
            let taskID = try #require(task["id"]?.asInt)
            #expect(task["state"]?.stringValue == "open")
            #expect(task["requester_id"]?.asInt == requester.id)
            #expect(task["verification"]?["verifiers"]?.asInt == 3)
            #expect(task["verification"]?["quorum"]?.asInt == 2)
            let verifierReward = try #require(task["verification"]?["verifier_reward_micro_usdt"]?.asInt)
            #expect(verifierReward == reward / 20)
            let fee = FeePolicy().platformFee(reward: reward)
            let hold = reward + fee + (3 * 3 + 3) * verifierReward  // 3 attempts of 3 verifiers, and one appeal panel of 3
            let afterPost = try await api.wallet(requester.key)
            #expect(api.balance(afterPost, kind: "funds") == deposit - hold)
            #expect(api.balance(afterPost, kind: "funds", field: "held_micro_usdt") == hold)

            // The requester sees it in its list; the worker sees it as open work it could claim.
            let listed = try await api.send(.get, "/v1/tasks?state=open", key: requester.key)
            #expect(listed["tasks"]?.asArray?.compactMap { $0["id"]?.asInt } == [taskID])
            let open = try await api.send(.get, "/v1/tasks", key: worker.key)
            #expect(open["tasks"]?.asArray?.compactMap { $0["id"]?.asInt } == [taskID])
            #expect(try await api.send(.get, "/v1/tasks/\(taskID)", key: worker.key).status == 200)

            // Claim: 201; the next claim finds nothing (204).
            let claimed = try await api.claim(worker, "social.like")
            #expect(claimed.status == 201)
            let claimID = try #require(claimed["claim_id"]?.asInt)
            #expect(claimed["task"]?["id"]?.asInt == taskID)
            #expect(claimed["task"]?["state"]?.stringValue == "claimed")
            #expect(claimed["worker_id"]?.asInt == worker.id)
            #expect(claimed["attempt"]?.asInt == 1)
            #expect(claimed["review"] == nil)
            #expect(try await api.claim(worker, "social.like").status == 204)

            // Heartbeats: the worker's own status, and the claim's lease (extended from "now").
            let status = try await api.send(.post, "/v1/workers/heartbeat", key: worker.key, json: #"{"status": "busy"}"#)
            #expect(status.status == 200)
            #expect(status["status"]?.stringValue == "busy")
            let firstLease = try #require(claimed["lease_expires_at_millis"]?.asInt)
            api.clock.advance(seconds: 30)
            let lease = try await api.send(.post, "/v1/claims/\(claimID)/heartbeat", key: worker.key)
            #expect(lease.status == 200)
            #expect(lease["claim_id"]?.asInt == claimID)
            #expect(lease["lease_expires_at_millis"]?.asInt == firstLease + 30_000)

            // Proof upload: 201 with the SHA-256 of the bytes; the same bytes again are the same blob.
            let upload = try await api.send(.post, "/v1/blobs", key: worker.key, body: ByteBuffer(bytes: Self.png),
                                            headers: [.contentType: "image/png"])
            #expect(upload.status == 201)
            let sha = try #require(upload["sha256"]?.stringValue)
            #expect(sha == sha256Hex(Data(Self.png)))
            #expect(upload["size"]?.asInt == Int64(Self.png.count))
            #expect(upload["media_type"]?.stringValue == "image/png")
            let again = try await api.send(.post, "/v1/blobs", key: worker.key, body: ByteBuffer(bytes: Self.png),
                                           headers: [.contentType: "image/png"])
            #expect(again.status == 201)
            #expect(again["sha256"]?.stringValue == sha)

            // Submit with the proof: 201, pending; a retry of the same submission is the same one.
            let submitBody = #"{"result": {"liked": true, "post": "https://example.com/post/1"}, "proofs": ["\#(sha)"]}"#
            let submitted = try await api.send(.post, "/v1/claims/\(claimID)/submit", key: worker.key, json: submitBody)
            #expect(submitted.status == 201)
            let submissionID = try #require(submitted["id"]?.asInt)
            #expect(submitted["state"]?.stringValue == "pending")
            #expect(submitted["proofs"]?.asArray == [.string(sha)])
            let retried = try await api.send(.post, "/v1/claims/\(claimID)/submit", key: worker.key, json: submitBody)
            #expect(retried.status == 201)
            #expect(retried["id"]?.asInt == submissionID)
            #expect(try await api.send(.get, "/v1/tasks/\(taskID)", key: requester.key)["state"]?.stringValue == "verifying")

            // Three verifiers, each under its own owner, claim a slot carrying the review, and approve.
            var slots: [Int64] = []
            for verifier in verifiers {
                let slot = try await api.claim(verifier, "verify")
                #expect(slot.status == 201)
                #expect(slot["task"]?["task_type"]?.stringValue == "verify")
                #expect(slot["task"]?["parent_task_id"]?.asInt == taskID)
                #expect(slot["task"]?["submission_id"]?.asInt == submissionID)
                #expect(slot["review"]?["task"]?["id"]?.asInt == taskID)
                #expect(slot["review"]?["submission"]?["id"]?.asInt == submissionID)
                #expect(slot["review"]?["submission"]?["proofs"]?.asArray == [.string(sha)])
                // A verifier may read the proof it reviews.
                let proof = try await api.send(.get, "/v1/blobs/\(sha)", key: verifier.key)
                #expect(proof.status == 200)
                slots.append(try #require(slot["claim_id"]?.asInt))
            }
            for (verifier, slot) in zip(verifiers, slots) {
                let vote = try await api.send(.post, "/v1/claims/\(slot)/vote", key: verifier.key, json: #"{"verdict": "approve", "reason": "looks right"}"#)
                #expect(vote.status == 201)
                #expect(vote["verdict"]?.stringValue == "approve")
                #expect(vote["verifier_id"]?.asInt == verifier.id)
                #expect(vote["submission_id"]?.asInt == submissionID)
            }

            // Approved, and everyone paid.
            let approved = try await api.send(.get, "/v1/tasks/\(taskID)", key: requester.key)
            #expect(approved["state"]?.stringValue == "approved")
            let workerWallet = try await api.wallet(worker.key)
            #expect(api.balance(workerWallet, kind: "earnings", field: "balance_micro_usdt") == reward)
            #expect(workerWallet["history"]?.asArray?.contains { $0["reason"]?.stringValue == "reward" && $0["amount_micro_usdt"]?.asInt == reward } == true)
            // The worker's owner sees its worker's earnings too.
            let ownerWallet = try await api.wallet(workerOwner.key)
            #expect(ownerWallet["accounts"]?.asArray?.contains { $0["worker_id"]?.asInt == worker.id && $0["balance_micro_usdt"]?.asInt == reward } == true)
            for verifier in verifiers {
                #expect(api.balance(try await api.wallet(verifier.key), kind: "earnings", field: "balance_micro_usdt") == verifierReward)
            }
            // The requester paid the reward, the fee and three verifier rewards; the rest of the hold came back.
            let requesterWallet = try await api.wallet(requester.key)
            #expect(api.balance(requesterWallet, kind: "funds") == deposit - reward - fee - 3 * verifierReward)
            #expect(api.balance(requesterWallet, kind: "funds", field: "held_micro_usdt") == 0)

            // The requester reads the submissions and the votes.
            let submissions = try await api.send(.get, "/v1/tasks/\(taskID)/submissions", key: requester.key)
            #expect(submissions.status == 200)
            let only = try #require(submissions["submissions"]?.asArray?.first)
            #expect(submissions["submissions"]?.asArray?.count == 1)
            #expect(only["id"]?.asInt == submissionID)
            #expect(only["state"]?.stringValue == "approved")
            #expect((only["approvals"]?.asInt ?? 0) >= 2)
            #expect(only["decided_at_millis"] != nil)
            let votes = try await api.send(.get, "/v1/submissions/\(submissionID)/votes", key: requester.key)
            #expect(votes.status == 200)
            #expect(votes["votes"]?.asArray?.count == 3)
            #expect(votes["votes"]?.asArray?.allSatisfy { $0["paid"]?.asBool == true && $0["verdict"]?.stringValue == "approve" } == true)
            // The submitter may read the votes on its work too.
            #expect(try await api.send(.get, "/v1/submissions/\(submissionID)/votes", key: worker.key).status == 200)

            // The requester downloads the proof: the same bytes with their media type.
            let blob = try await api.send(.get, "/v1/blobs/\(sha)", key: requester.key)
            #expect(blob.status == 200)
            #expect(blob.headers[.contentType] == "image/png")
            #expect(Array(blob.body) == Self.png)

            // A vote after the fact is an idempotent retry of the first one.
            let revote = try await api.send(.post, "/v1/claims/\(slots[0])/vote", key: verifiers[0].key, json: #"{"verdict": "approve", "reason": "looks right"}"#)
            #expect(revote.status == 201)
            let changed = try await api.send(.post, "/v1/claims/\(slots[0])/vote", key: verifiers[0].key, json: #"{"verdict": "reject", "reason": "changed my mind"}"#)
            api.expectError(changed, 409, "conflict")
            // The work claim is spent.
            api.expectError(try await api.send(.post, "/v1/claims/\(claimID)/heartbeat", key: worker.key), 409, "claim_expired")

            // And the ledger balances.
            let admin = try await api.admin()
            let ledger = try await api.send(.get, "/v1/admin/ledger", key: admin.key)
            #expect(ledger.status == 200)
            #expect(ledger["balanced"]?.asBool == true)
            #expect(ledger["platform_fees_micro_usdt"]?.asInt == fee)
        }
    }

    @Test("a long-polling claim returns as soon as matching work is posted, and 204 when none comes")
    func longPoll() async throws {
        try await withAPI { api in
            let requester = try await api.requester()
            let worker = try await api.soloWorker("poller", capabilities: ["browser"])
            let start = ContinuousClock.now
            let empty = try await api.send(.post, "/v1/claims", key: worker.key, json: #"{"task_type": "social.like", "wait_seconds": 0.2}"#)
            #expect(empty.status == 204)
            #expect(ContinuousClock.now - start >= .milliseconds(150))

            async let waiting = api.send(.post, "/v1/claims", key: worker.key, json: #"{"task_type": "social.like", "wait_seconds": 20}"#)
            // Give the claim time to find nothing and start waiting.
            try await Task.sleep(for: .milliseconds(100))
            let posted = ContinuousClock.now
            let task = try await api.postTask(requester, capabilities: ["browser"])
            let claim = try await waiting
            #expect(claim.status == 201)
            #expect(claim["task"]?["id"] == task["id"])
            #expect(ContinuousClock.now - posted < .seconds(5), "the long poll did not wake up when work came")
        }
    }

    @Test("a rejected submission reopens the task for another attempt")
    func rejectionReopens() async throws {
        try await withAPI { api in
            let requester = try await api.requester()
            let worker = try await api.soloWorker("worker")
            let verifier = try await api.soloWorker("verifier")
            let task = try await api.postTask(requester, extra: ["verification": .object(["verifiers": .int(1), "quorum": .int(1)])])
            let taskID = try #require(task["id"]?.asInt)
            let claim = try await api.claim(worker, "social.like")
            let claimID = try #require(claim["claim_id"]?.asInt)
            #expect(try await api.send(.post, "/v1/claims/\(claimID)/submit", key: worker.key, json: #"{"result": "nope"}"#).status == 201)
            let slot = try await api.claim(verifier, "verify")
            let slotID = try #require(slot["claim_id"]?.asInt)
            // A rejection needs a reason.
            api.expectError(try await api.send(.post, "/v1/claims/\(slotID)/vote", key: verifier.key, json: #"{"verdict": "reject"}"#), 400, "invalid_request")
            #expect(try await api.send(.post, "/v1/claims/\(slotID)/vote", key: verifier.key, json: #"{"verdict": "reject", "reason": "not liked"}"#).status == 201)
            let reopened = try await api.send(.get, "/v1/tasks/\(taskID)", key: requester.key)
            #expect(reopened["state"]?.stringValue == "open")
            #expect(reopened["attempts"]?.asInt == 1)
            let second = try await api.claim(worker, "social.like")
            #expect(second.status == 201)
            #expect(second["attempt"]?.asInt == 2)
        }
    }

    @Test("release gives the task back; cancel returns the escrow")
    func releaseAndCancel() async throws {
        try await withAPI { api in
            let requester = try await api.requester(funds: 5_000_000)
            let worker = try await api.soloWorker("worker")
            let task = try await api.postTask(requester)
            let taskID = try #require(task["id"]?.asInt)
            let claim = try await api.claim(worker, "social.like")
            let claimID = try #require(claim["claim_id"]?.asInt)
            // A claimed task cannot be cancelled.
            api.expectError(try await api.send(.post, "/v1/tasks/\(taskID)/cancel", key: requester.key), 409, "task_not_open")
            let released = try await api.send(.post, "/v1/claims/\(claimID)/release", key: worker.key)
            #expect(released.status == 200)
            #expect(released["state"]?.stringValue == "open")
            #expect(released["attempts"]?.asInt == 0)
            let cancelled = try await api.send(.post, "/v1/tasks/\(taskID)/cancel", key: requester.key)
            #expect(cancelled.status == 200)
            #expect(cancelled["state"]?.stringValue == "cancelled")
            let wallet = try await api.wallet(requester.key)
            #expect(api.balance(wallet, kind: "funds") == 5_000_000)
            #expect(api.balance(wallet, kind: "funds", field: "held_micro_usdt") == 0)
            api.expectError(try await api.send(.post, "/v1/tasks/\(taskID)/cancel", key: requester.key), 409, "task_not_open")
        }
    }
}
