import Foundation
import Testing
import WorkhiveTestSupport
import WorkhiveCore
@testable import WorkhiveEngine

@Suite struct ProofTests {
    let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + Array("screenshot of the like".utf8)

    @Test(arguments: TestEngine.available) func uploadsAreContentAddressedAndStoredOnce(engine: TestEngine) async throws {
        let h = try await EngineHarness.make(engine)
        let worker = try await h.worker("w")
        let blob = try await h.checked { try await h.market.uploadBlob(worker, bytes: png, mediaType: "image/png") }
        #expect(blob.sha256 == sha256Hex(png))
        #expect(blob.size == Int64(png.count))
        #expect(blob.mediaType == "image/png")
        // Same bytes again (media type parameters and case do not matter): the same one blob.
        let again = try await h.checked { try await h.market.uploadBlob(worker, bytes: png, mediaType: "IMAGE/PNG; q=1") }
        #expect(again == blob)
        #expect(try await h.scalar("SELECT COUNT(*) FROM blobs") == 1)
        let files = try FileManager.default.subpathsOfDirectory(atPath: h.directory + "/blobs").filter { !$0.hasSuffix(".tmp") }
        #expect(files.filter { $0.contains("/") }.count == 1)
        let (view, data) = try await h.market.blob(worker, blob.sha256)
        #expect(view == blob)
        #expect(Array(data) == png)
    }

    @Test(arguments: TestEngine.available) func uploadsAreCheckedForTypeSizeAndContent(engine: TestEngine) async throws {
        let h = try await EngineHarness.make(engine)
        let worker = try await h.worker("w")
        try await h.expectError(.unsupportedMediaType) {
            try await h.market.uploadBlob(worker, bytes: png, mediaType: "application/x-msdownload")
        }
        try await h.expectError(.unsupportedMediaType) { try await h.market.uploadBlob(worker, bytes: png, mediaType: "") }
        try await h.expectError(.unsupportedMediaType) { try await h.market.uploadBlob(worker, bytes: png, mediaType: "image/svg+xml") }
        try await h.expectError(.invalidRequest) { try await h.market.uploadBlob(worker, bytes: [], mediaType: "text/plain") }
        let limit = h.market.configuration.maxBlobBytes
        try await h.expectError(.payloadTooLarge) {
            try await h.market.uploadBlob(worker, bytes: [UInt8](repeating: 7, count: limit + 1), mediaType: "application/pdf")
        }
        #expect(try await h.scalar("SELECT COUNT(*) FROM blobs") == 0)
        // Exactly at the limit is fine.
        let big = try await h.checked {
            try await h.market.uploadBlob(worker, bytes: [UInt8](repeating: 7, count: limit), mediaType: "application/pdf")
        }
        #expect(big.size == Int64(limit))
    }

    @Test(arguments: TestEngine.available) func proofsMustBeUploadedBlobs(engine: TestEngine) async throws {
        let h = try await EngineHarness.make(engine)
        let requester = try await h.requester(funds: 10_000_000)
        let worker = try await h.worker("w")
        let task = try await h.post(requester, try h.spec())
        let claim = try #require(try await h.claim(worker))
        let uploaded = try await h.checked { try await h.market.uploadBlob(worker, bytes: png, mediaType: "image/png") }
        let neverUploaded = sha256Hex(Array("nothing".utf8))
        let before = try await h.footprint()
        for bad in ["not-a-digest", uploaded.sha256.uppercased(), String(uploaded.sha256.dropLast()), uploaded.sha256 + "0", ""] {
            try await h.expectError(.invalidRequest) { try await h.market.submit(worker, claim: claim.claimId, result: liked, proofs: [bad]) }
        }
        try await h.expectError(.invalidRequest) {
            try await h.market.submit(worker, claim: claim.claimId, result: liked, proofs: [uploaded.sha256, neverUploaded])
        }
        try await h.expectError(.invalidRequest) {
            try await h.market.submit(worker, claim: claim.claimId, result: liked, proofs: Array(repeating: uploaded.sha256, count: 21))
        }
        // Nothing was half-written: the task is still held, no submission, no slots.
        #expect(try await h.footprint() == before)
        #expect(try await h.state(task.id) == .claimed)

        let submission = try await h.submit(worker, claim, proofs: [uploaded.sha256, uploaded.sha256])
        #expect(submission.proofs == [uploaded.sha256, uploaded.sha256])
        #expect(try await h.scalar("SELECT COUNT(*) FROM submission_proofs WHERE submission_id = ?", submission.id) == 1)
        #expect(try await h.market.submissions(requester, task: task.id).first?.proofs == [uploaded.sha256, uploaded.sha256])
    }

    @Test(arguments: TestEngine.available) func blobsAreReadableOnlyByThoseConcerned(engine: TestEngine) async throws {
        let h = try await EngineHarness.make(engine)
        let admin = try await h.admin()
        let requester = try await h.requester(funds: 10_000_000)
        let otherRequester = try await h.requester("other", funds: 10_000_000)
        let fleet = try await h.owner("fleet")
        let worker = try await h.worker("w", owner: fleet)
        let fleetmate = try await h.worker("mate", owner: fleet)
        let verifier = try await h.worker("verifier")
        let stranger = try await h.worker("stranger")
        let otherVerifier = try await h.worker("other-verifier")

        let proof = try await h.checked { try await h.market.uploadBlob(worker, bytes: png, mediaType: "image/png") }
        // Before it is used as a proof: the uploader's owner (and its workers) and admins only.
        for allowed in [worker, fleetmate, fleet, admin] {
            #expect(try await h.market.blob(allowed, proof.sha256).0 == proof)
        }
        for refused in [requester, verifier, stranger] {
            try await h.expectError(.notFound) { try await h.market.blob(refused, proof.sha256) }
        }

        let (_, _, submission) = try await h.submittedWithProof(requester, worker, proof.sha256)
        #expect(submission.proofs == [proof.sha256])
        #expect(try await h.market.blob(requester, proof.sha256).0 == proof)  // the task's requester
        try await h.expectError(.notFound) { try await h.market.blob(verifier, proof.sha256) }  // no slot yet
        let slot = try #require(try await h.claim(verifier, TaskType.verify))
        #expect(slot.review?.submission.proofs == [proof.sha256])
        #expect(try await h.market.blob(verifier, proof.sha256).0 == proof)  // holds a slot of it

        // A verifier of some other submission, another requester and a stranger still see nothing.
        let otherTask = try await h.post(otherRequester, try h.spec(type: "other.job", priority: 10))
        let otherClaim = try #require(try await h.claim(stranger, "other.job"))
        #expect(otherClaim.task.id == otherTask.id)
        _ = try await h.submit(stranger, otherClaim)
        // Its slots carry its priority, so they come before ours.
        let otherSlot = try #require(try await h.claim(otherVerifier, TaskType.verify))
        #expect(otherSlot.task.parentTaskId == otherTask.id)
        for refused in [otherRequester, stranger, otherVerifier] {
            try await h.expectError(.notFound) { try await h.market.blob(refused, proof.sha256) }
        }
        try await h.expectError(.invalidRequest) { try await h.market.blob(admin, "xyz") }
        try await h.expectError(.notFound) { try await h.market.blob(admin, sha256Hex(Array("absent".utf8))) }
    }

    @Test(arguments: TestEngine.available) func aSecondUploaderOfTheSameBytesCanReadThemBack(engine: TestEngine) async throws {
        let h = try await EngineHarness.make(engine)
        let first = try await h.worker("first")
        let second = try await h.worker("second")
        let blob = try await h.checked { try await h.market.uploadBlob(first, bytes: png, mediaType: "image/png") }
        let same = try await h.checked { try await h.market.uploadBlob(second, bytes: png, mediaType: "image/png") }
        #expect(same == blob)
        #expect(try await h.scalar("SELECT COUNT(*) FROM blobs") == 1)
        // Every uploader is recorded, so the second one can read back what it uploaded.
        let (view, _) = try await h.market.blob(second, blob.sha256)
        #expect(view == blob)
    }

    @Test(arguments: TestEngine.available) func resubmittingTheSameResultReturnsTheFirstSubmission(engine: TestEngine) async throws {
        let h = try await EngineHarness.make(engine)
        let requester = try await h.requester(funds: 10_000_000)
        let worker = try await h.worker("w")
        let other = try await h.worker("other")
        let task = try await h.post(requester, try h.spec())
        let claim = try #require(try await h.claim(worker))
        let result: JSONValue = .object(["liked": .bool(true), "at": .int(3)])
        let first = try await h.checked { try await h.market.submit(worker, claim: claim.claimId, result: result, proofs: []) }
        let slots = try await h.scalar("SELECT COUNT(*) FROM tasks WHERE task_type = 'verify'")
        #expect(slots == 3)
        // The same result (keys in another order are the same JSON) returns the first submission.
        let reordered: JSONValue = .object(["at": .int(3), "liked": .bool(true)])
        let again = try await h.checked { try await h.market.submit(worker, claim: claim.claimId, result: reordered, proofs: []) }
        #expect(again.id == first.id)
        #expect(again.result == result)
        #expect(try await h.scalar("SELECT COUNT(*) FROM submissions") == 1)
        #expect(try await h.scalar("SELECT COUNT(*) FROM tasks WHERE task_type = 'verify'") == slots)
        // A different result, or different proofs, conflicts.
        try await h.expectError(.conflict) {
            try await h.market.submit(worker, claim: claim.claimId, result: .object(["liked": .bool(false)]), proofs: [])
        }
        let blob = try await h.checked { try await h.market.uploadBlob(worker, bytes: png, mediaType: "image/png") }
        try await h.expectError(.conflict) { try await h.market.submit(worker, claim: claim.claimId, result: result, proofs: [blob.sha256]) }
        // Someone else replaying the claim is refused outright.
        try await h.expectError(.forbidden) { try await h.market.submit(other, claim: claim.claimId, result: result, proofs: []) }
        #expect(try await h.state(task.id) == .verifying)
    }

    @Test(arguments: TestEngine.available) func resubmittingAfterAutoApprovalReturnsTheApprovedSubmission(engine: TestEngine) async throws {
        let h = try await EngineHarness.make(engine)
        let requester = try await h.requester(funds: 10_000_000)
        let worker = try await h.worker("w")
        let (task, claim, first) = try await h.submitted(requester, worker, try h.spec(verifiers: 0, quorum: 0))
        #expect(first.state == "approved")
        let again = try await h.checked { try await h.market.submit(worker, claim: claim.claimId, result: liked, proofs: []) }
        #expect(again.id == first.id && again.state == "approved")
        #expect(try await h.balance(worker) == 1_000_000)  // paid once
        #expect(try await h.state(task.id) == .approved)
    }

    @Test(arguments: TestEngine.available) func oversizedResultsAreRefused(engine: TestEngine) async throws {
        let h = try await EngineHarness.make(engine)
        let requester = try await h.requester(funds: 10_000_000)
        let worker = try await h.worker("w")
        _ = try await h.post(requester, try h.spec())
        let claim = try #require(try await h.claim(worker))
        let huge: JSONValue = .object(["blob": .string(String(repeating: "x", count: TaskSpec.maxPayloadBytes))])
        try await h.expectError(.invalidRequest) { try await h.market.submit(worker, claim: claim.claimId, result: huge, proofs: []) }
        _ = try await h.submit(worker, claim)
    }
}

extension EngineHarness {
    func submittedWithProof(_ requester: Principal, _ worker: Principal, _ proof: String) async throws -> (TaskView, ClaimView, SubmissionView) {
        let task = try await post(requester, try spec())
        let claim = try #require(try await self.claim(worker))
        #expect(claim.task.id == task.id)
        return (task, claim, try await submit(worker, claim, proofs: [proof]))
    }
}
