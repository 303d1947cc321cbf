import Foundation
import Hummingbird
import WorkhiveCore
import WorkhiveEngine

/// The worker's side: the feed of claimable work, holding a claim (instructions, payload, lease
/// countdown with heartbeats, submit with proof files, release), and the verification queue.
extension WebApp {
    struct WorkFeedPage {
        let capabilities: String
        let claims: [HeldClaimRow]
        let groups: [FeedGroup]
        let submissions: [SubmissionRow]
        let suspended: Bool
        let hasClaims: Bool
        let hasSubmissions: Bool
    }

    struct HeldClaimRow {
        let url: String
        let title: String
        let taskType: String
        let timeLeft: String
        let isVerify: Bool
    }

    struct FeedGroup {
        let taskType: String
        let count: Int
        let tasks: [FeedTask]
        let buttonLabel: String
    }

    struct FeedTask {
        let id: String
        let title: String
        let reward: String
        let capabilities: String
        let excerpt: String
    }

    struct SubmissionRow {
        let title: String
        let state: String
        let stateClass: String
        let reward: String
        let votes: String
        let when: String
    }

    static let notices: [String: String] = [
        "welcome": "Welcome to Workhive! Your account is ready.",
        "taken": "No task of that type is open for you any more: someone else took it. Pick another.",
        "released": "You gave the task back; someone else can take it now.",
        "submitted": "Submitted. Other workers will now verify your work; you are paid as soon as it is approved.",
        "voted": "Your vote is in. Thank you!",
        "expired": "That claim is no longer yours: its lease ran out, or it was released or completed.",
        "none": "No submission is waiting for a verifier like you right now.",
        "posted": "Your task is posted and its escrow is held.",
        "cancelled": "The task is cancelled and its escrow returned to your balance.",
        "deposited": "Your balance has been credited.",
        "address-saved": "Your payout address is saved.",
        "address-removed": "The payout address is removed. Payouts already queued still go to the address they were queued with.",
        "preference-saved": "Your network preference is saved.",
        "suspended": "The worker is suspended.",
        "unsuspended": "The worker may work again.",
    ]

    func notice(_ call: WebCall) -> String? { call.query("notice").flatMap { Self.notices[$0] } }

    @Sendable func workFeed(_ call: WebCall) async throws -> Response {
        let user = try await requireUser(call)
        guard let workerView = user.session.worker else {
            throw WorkhiveError.forbidden("this account has no worker: sign up as a worker to claim and verify tasks")
        }
        var claims: [HeldClaimRow] = [], groups: [FeedGroup] = [], submissions: [SubmissionRow] = []
        if let worker = user.activeWorker {
            let now = marketplace.now()
            claims = try await marketplace.heldClaims(worker).map { c in
                HeldClaimRow(url: "/work/claims/\(c.claimId)", title: c.review.map { "Verify: \($0.task.title)" } ?? c.task.title,
                             taskType: c.task.taskType, timeLeft: Display.duration(milliseconds: c.leaseExpiresAtMillis - now),
                             isVerify: c.review != nil)
            }
            let open = try await marketplace.listTasks(worker, limit: 200)
            let byType = Dictionary(grouping: open, by: \.taskType)
            groups = byType.keys.sorted().map { type in
                let tasks = byType[type]!.sorted { ($0.priority, -$0.id.rawValue) > ($1.priority, -$1.id.rawValue) }
                return FeedGroup(
                    taskType: type, count: tasks.count,
                    tasks: tasks.map { t in
                        FeedTask(id: String(t.id.rawValue), title: t.title, reward: USDT.format(t.rewardMicroUSDT),
                                 capabilities: t.requiredCapabilities.joined(separator: ", "),
                                 excerpt: String(t.instructions.prefix(160)) + (t.instructions.count > 160 ? "…" : ""))
                    },
                    buttonLabel: "Claim the next \(type) task")
            }
            submissions = try await marketplace.workerSubmissions(worker).map(submissionRow)
        }
        return try renderer.page(
            "work", title: "Work", user: user, notice: notice(call),
            WorkFeedPage(capabilities: workerView.capabilities.isEmpty ? "none" : workerView.capabilities.joined(separator: ", "),
                         claims: claims, groups: groups, submissions: submissions, suspended: workerView.suspended,
                         hasClaims: !claims.isEmpty, hasSubmissions: !submissions.isEmpty))
    }

    func submissionRow(_ s: WorkerSubmissionView) -> SubmissionRow {
        SubmissionRow(title: s.taskTitle, state: Display.state(s.submission.state), stateClass: s.submission.state,
                      reward: USDT.format(s.rewardMicroUSDT),
                      votes: "\(s.submission.approvals) approve, \(s.submission.rejections) reject",
                      when: Display.time(s.submission.createdAtMillis))
    }

    @Sendable func claimWork(_ call: WebCall) async throws -> Response {
        let user = try await requireUser(call)
        let form = try await FormData.read(call.request, limit: 16 * 1024)
        try checkCSRF(call, form: form, user: user)
        let worker = try user.requireWorker()
        let type = form.text("task_type")
        guard type != TaskType.verify else { return redirect("/verify") }
        guard let claim = try await marketplace.claim(worker, taskType: type, capabilities: nil, waitSeconds: 0) else {
            return redirect("/work?notice=taken")
        }
        return redirect("/work/claims/\(claim.claimId)")
    }

    @Sendable func claimVerification(_ call: WebCall) async throws -> Response {
        let user = try await requireUser(call)
        let form = try await FormData.read(call.request, limit: 16 * 1024)
        try checkCSRF(call, form: form, user: user)
        let worker = try user.requireWorker()
        guard let claim = try await marketplace.claim(worker, taskType: TaskType.verify, capabilities: nil, waitSeconds: 0) else {
            return redirect("/verify?notice=none")
        }
        return redirect("/work/claims/\(claim.claimId)")
    }

    // MARK: Holding a claim

    struct ClaimPage {
        let claimId: String
        let isVerify: Bool
        let task: TaskDetail
        let review: ReviewDetail?
        let attempt: Int
        let remainingMs: Int64
        let timeLeft: String
        let leaseSeconds: Int
        let result: FormField
        let proofError: String?
        let reason: FormField
        let acceptedTypes: String
        let maxUpload: String
    }

    /// A task as a worker or verifier reads it.
    struct TaskDetail {
        let id: String
        let title: String
        let taskType: String
        let reward: String
        let capabilities: String
        let instructions: [String]
        let hasInstructions: Bool
        let payloadJSON: String
        let images: [PayloadImages.Image]
        let files: [ProofFile]
        let hasImages: Bool
        let hasFiles: Bool
    }

    struct ReviewDetail {
        let resultJSON: String
        let resultText: String?
        let proofs: [ProofFile]
        let hasProofs: Bool
        let attempt: Int
        let humanOnly: Bool
        let verifierReward: String
    }

    func taskDetail(_ t: TaskView, viewer: Principal) async throws -> TaskDetail {
        let found = PayloadImages.candidates(in: t.payload)
        let types = try await marketplace.blobMediaTypes(viewer, found.digests.map(\.digest))
        let files = found.digests.compactMap { d in types[d.digest].map { ProofFile(digest: d.digest, mediaType: $0) } }
        return TaskDetail(
            id: String(t.id.rawValue), title: t.title, taskType: t.taskType, reward: USDT.format(t.rewardMicroUSDT),
            capabilities: t.requiredCapabilities.isEmpty ? "none" : t.requiredCapabilities.joined(separator: ", "),
            instructions: Display.paragraphs(t.instructions), hasInstructions: !t.instructions.isEmpty, payloadJSON: Display.json(t.payload),
            images: found.urls, files: files, hasImages: !found.urls.isEmpty, hasFiles: !files.isEmpty)
    }

    func proofFiles(_ digests: [String], viewer: Principal) async throws -> [ProofFile] {
        let types = try await marketplace.blobMediaTypes(viewer, digests)
        return digests.map { ProofFile(digest: $0, mediaType: types[$0] ?? "application/octet-stream") }
    }

    func claimPageModel(_ claim: ClaimView, worker: Principal, result: String = "", errors: FieldErrors = FieldErrors()) async throws -> ClaimPage {
        var review: ReviewDetail?
        var task = try await taskDetail(claim.task, viewer: worker)
        if let r = claim.review {
            task = try await taskDetail(r.task, viewer: worker)
            let proofs = try await proofFiles(r.submission.proofs, viewer: worker)
            review = ReviewDetail(
                resultJSON: Display.json(r.submission.result), resultText: r.submission.result["text"]?.stringValue, proofs: proofs,
                hasProofs: !proofs.isEmpty, attempt: r.submission.attempt, humanOnly: claim.task.humanOnly,
                verifierReward: USDT.format(claim.task.rewardMicroUSDT))
        }
        let remaining = claim.leaseExpiresAtMillis - marketplace.now()
        let limit = marketplace.configuration.maxBlobBytes
        return ClaimPage(
            claimId: String(claim.claimId.rawValue), isVerify: claim.review != nil, task: task, review: review, attempt: claim.attempt,
            remainingMs: remaining, timeLeft: Display.duration(milliseconds: remaining), leaseSeconds: claim.task.leaseSeconds,
            result: FormField("result", "Your result", value: result,
                              hint: "What you did or found. Plain text, or a JSON object if the instructions ask for one.",
                              error: errors["result"], required: true, textarea: true),
            proofError: errors["proof"],
            reason: FormField("reason", "Reason", value: "", hint: "Required when you reject: say what is wrong.", error: errors["reason"],
                              textarea: true),
            acceptedTypes: marketplace.configuration.allowedMediaTypes.sorted().joined(separator: ","),
            maxUpload: "\(limit / (1024 * 1024)) MiB")
    }

    @Sendable func claimPage(_ call: WebCall) async throws -> Response {
        let user = try await requireUser(call)
        let worker = try user.requireWorker()
        let claim: ClaimView
        do {
            claim = try await marketplace.heldClaim(worker, claim: try call.id("claim"))
        } catch let error as WorkhiveError where error.code == .claimExpired {
            return redirect("/work?notice=expired")
        }
        let model = try await claimPageModel(claim, worker: worker)
        return try renderer.page("claim", title: claim.review == nil ? claim.task.title : "Verify: \(model.task.title)", user: user, model)
    }

    /// The page's script keeps the lease alive while the page is open.
    @Sendable func heartbeat(_ call: WebCall) async throws -> Response {
        let user = try await requireUser(call)
        try checkCSRF(call, form: nil, user: user)
        let lease = try await marketplace.heartbeat(try user.requireWorker(), claim: try call.id("claim"))
        let now = marketplace.now()
        return try jsonResponse(["lease_expires_at_millis": .int(lease.leaseExpiresAtMillis), "remaining_ms": .int(lease.leaseExpiresAtMillis - now)])
    }

    @Sendable func release(_ call: WebCall) async throws -> Response {
        let user = try await requireUser(call)
        let form = try await FormData.read(call.request, limit: 16 * 1024)
        try checkCSRF(call, form: form, user: user)
        do {
            _ = try await marketplace.release(try user.requireWorker(), claim: try call.id("claim"))
        } catch let error as WorkhiveError where error.code == .claimExpired {
            return redirect("/work?notice=expired")
        }
        return redirect("/work?notice=released")
    }

    @Sendable func submit(_ call: WebCall) async throws -> Response {
        let user = try await requireUser(call)
        let limit = marketplace.configuration.maxBlobBytes
        let form = try await FormData.read(call.request, limit: limit + 512 * 1024)
        try checkCSRF(call, form: form, user: user)
        let worker = try user.requireWorker()
        let claimID: ClaimID = try call.id("claim")
        var errors = FieldErrors()
        let text = form.text("result")
        if text.isEmpty { errors.add("result", "Describe your result before submitting.") }
        if text.utf8.count > TaskSpec.maxPayloadBytes { errors.add("result", "Keep the result under \(TaskSpec.maxPayloadBytes / 1024) KiB.") }
        let files = form.files.filter { $0.field == "proof" && !($0.filename.isEmpty && $0.bytes.isEmpty) }
        let allowed = marketplace.configuration.allowedMediaTypes
        for file in files {
            let media = file.mediaType.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
            if !allowed.contains(media) {
                errors.add("proof", "\(file.filename) is \(media.isEmpty ? "of an unknown type" : media); upload an image (PNG, JPEG, WebP, GIF), a PDF, text or JSON.")
            } else if file.bytes.isEmpty {
                errors.add("proof", "\(file.filename) is empty.")
            }
        }
        if files.count > 10 { errors.add("proof", "Attach at most 10 files.") }
        // Everything is checked before anything is stored: a refused form writes nothing.
        guard errors.isEmpty else { return try await claimFormAgain(call, user: user, worker: worker, claim: claimID, result: text, errors) }
        var proofs: [String] = []
        for file in files {
            proofs.append(try await marketplace.uploadBlob(worker, bytes: file.bytes, mediaType: file.mediaType).sha256)
        }
        let result: JSONValue
        if text.hasPrefix("{"), let parsed = try? JSONValue.parse(text), case .object = parsed { result = parsed } else { result = .object(["text": .string(text)]) }
        do {
            _ = try await marketplace.submit(worker, claim: claimID, result: result, proofs: proofs)
        } catch let error as WorkhiveError where error.code == .claimExpired {
            return redirect("/work?notice=expired")
        }
        return redirect("/work?notice=submitted")
    }

    @Sendable func vote(_ call: WebCall) async throws -> Response {
        let user = try await requireUser(call)
        let form = try await FormData.read(call.request, limit: 64 * 1024)
        try checkCSRF(call, form: form, user: user)
        let worker = try user.requireWorker()
        let claimID: ClaimID = try call.id("claim")
        var errors = FieldErrors()
        let reason = form.text("reason")
        guard let verdict = Verdict(rawValue: form.text("verdict")) else {
            throw WorkhiveError.invalid("choose approve or reject")
        }
        if verdict == .reject && reason.isEmpty { errors.add("reason", "Say why you reject it: the worker and the requester read this.") }
        if reason.utf8.count > 2000 { errors.add("reason", "Keep the reason under 2000 bytes.") }
        guard errors.isEmpty else { return try await claimFormAgain(call, user: user, worker: worker, claim: claimID, result: "", errors) }
        do {
            _ = try await marketplace.vote(worker, claim: claimID, verdict: verdict, reason: reason)
        } catch let error as WorkhiveError where error.code == .claimExpired || error.code == .verificationClosed {
            return redirect(error.code == .claimExpired ? "/verify?notice=expired" : "/verify?notice=voted")
        }
        return redirect("/verify?notice=voted")
    }

    /// The claim page again with the messages for what was refused (400).
    func claimFormAgain(_ call: WebCall, user: WebUser, worker: Principal, claim: ClaimID, result: String, _ errors: FieldErrors) async throws -> Response {
        let held: ClaimView
        do {
            held = try await marketplace.heldClaim(worker, claim: claim)
        } catch let error as WorkhiveError where error.code == .claimExpired {
            return redirect("/work?notice=expired")
        }
        let model = try await claimPageModel(held, worker: worker, result: result, errors: errors)
        return try renderer.page("claim", title: held.task.title, user: user, alert: "Please correct the marked fields.", status: .badRequest, model)
    }

    // MARK: Verification queue

    struct VerifyPage {
        let slots: [SlotRow]
        let claims: [HeldClaimRow]
        let suspended: Bool
        let hasSlots: Bool
        let hasClaims: Bool
    }

    struct SlotRow {
        let title: String
        let taskType: String
        let reward: String
        let humanOnly: Bool
        let posted: String
    }

    @Sendable func verifyQueue(_ call: WebCall) async throws -> Response {
        let user = try await requireUser(call)
        guard let view = user.session.worker else {
            throw WorkhiveError.forbidden("this account has no worker: sign up as a worker to claim and verify tasks")
        }
        var slots: [SlotRow] = [], claims: [HeldClaimRow] = []
        if let worker = user.activeWorker {
            slots = try await marketplace.openVerificationSlots(worker).map {
                SlotRow(title: $0.workTitle, taskType: $0.workTaskType, reward: USDT.format($0.verifierRewardMicroUSDT), humanOnly: $0.humanOnly,
                        posted: Display.time($0.createdAtMillis))
            }
            let now = marketplace.now()
            claims = try await marketplace.heldClaims(worker).filter { $0.review != nil }.map { c in
                HeldClaimRow(url: "/work/claims/\(c.claimId)", title: "Verify: \(c.review!.task.title)", taskType: c.task.taskType,
                             timeLeft: Display.duration(milliseconds: c.leaseExpiresAtMillis - now), isVerify: true)
            }
        }
        return try renderer.page("verify", title: "Verify", user: user, notice: notice(call),
                                 VerifyPage(slots: slots, claims: claims, suspended: view.suspended, hasSlots: !slots.isEmpty, hasClaims: !claims.isEmpty))
    }

    // MARK: Files

    /// A proof or payload file, for whoever the API lets see it.
    @Sendable func blob(_ call: WebCall) async throws -> Response {
        let user = try await requireUser(call)
        let digest = call.parameters.get("sha256") ?? ""
        var found: (BlobView, Data)?
        for principal in [user.activeWorker, user.owner].compactMap({ $0 }) {
            do {
                found = try await marketplace.blob(principal, digest)
                break
            } catch let error as WorkhiveError where error.code == .notFound {
                continue
            }
        }
        guard let (view, data) = found else { throw WorkhiveError.notFound("file") }
        // Served as what it was uploaded as, never sniffed, and sandboxed if opened on its own.
        return Response(status: .ok, headers: [
            .contentType: view.mediaType, .cacheControl: "private, max-age=3600", .xContentTypeOptions: "nosniff",
            .contentSecurityPolicy: "sandbox; default-src 'none'; img-src 'self'; style-src 'unsafe-inline'",
        ], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

func jsonResponse(_ object: [String: JSONValue], status: HTTPResponse.Status = .ok) throws -> Response {
    Response(status: status, headers: [.contentType: "application/json; charset=utf-8", .cacheControl: "no-store"],
             body: .init(byteBuffer: ByteBuffer(string: StoredJSON.encode(.object(object)))))
}
