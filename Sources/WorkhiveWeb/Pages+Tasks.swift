import Foundation
import Hummingbird
import WorkhiveCore
import WorkhiveEngine

/// The requester's side: posting tasks, following them live, reading results and verdicts, cancelling.
extension WebApp {
    struct TasksPage {
        let tasks: [TaskRow]
        let available: String
        let held: String
    }

    struct TaskRow {
        let url: String
        let title: String
        let taskType: String
        let state: String
        let stateClass: String
        let reward: String
        let attempts: String
        let posted: String
    }

    @Sendable func tasksPage(_ call: WebCall) async throws -> Response {
        let user = try await requireUser(call)
        let tasks = try await marketplace.listTasks(user.owner, limit: 100)
        let funds = try await marketplace.wallet(user.owner, historyLimit: 1).accounts.first { $0.kind == .funds }
        // An admin lists every task with the API; this page is one's own.
        let rows = tasks.filter { $0.requesterId == user.session.ownerId }.map { t in
            TaskRow(url: "/tasks/\(t.id)", title: t.title, taskType: t.taskType, state: Display.state(t.state.rawValue), stateClass: t.state.rawValue,
                    reward: USDT.format(t.rewardMicroUSDT), attempts: "\(t.attempts) of \(t.maxAttempts)", posted: Display.time(t.createdAtMillis))
        }
        return try renderer.page("tasks", title: "My tasks", user: user, notice: notice(call),
                                 TasksPage(tasks: rows, available: USDT.format(funds?.availableMicroUSDT ?? 0),
                                           held: USDT.format(funds?.heldMicroUSDT ?? 0)))
    }

    // MARK: Posting

    struct NewTaskPage {
        let taskType: FormField
        let title: FormField
        let instructions: FormField
        let payload: FormField
        let capabilities: FormField
        let reward: FormField
        let leaseSeconds: FormField
        let maxAttempts: FormField
        let deadline: FormField
        let priority: FormField
        let verifiers: FormField
        let quorum: FormField
        let spotCheckRate: FormField
        let verifierReward: FormField
        let isPublic: Bool
        let visibilityError: String?
        let formError: String?
        let idempotencyKey: String
        let available: String
        let canDeposit: Bool
    }

    func newTaskModel(_ form: TaskForm, _ errors: FieldErrors, available: Int64, formError: String? = nil) -> NewTaskPage {
        func f(_ name: String, _ label: String, type: String = "text", hint: String? = nil, required: Bool = false, inputmode: String? = nil,
               textarea: Bool = false) -> FormField {
            FormField(name, label, type: type, value: form.values[name] ?? "", hint: hint, error: errors[name], required: required,
                      inputmode: inputmode, textarea: textarea)
        }
        return NewTaskPage(
            taskType: f("task_type", "Task type", hint: "Workers claim work by type, like social.like or moderation.image.", required: true),
            title: f("title", "Title", required: true),
            instructions: f("instructions", "Instructions", hint: "What the worker must do, and what counts as done.", textarea: true),
            payload: f("payload", "Payload (JSON object)", hint: "Data for the worker, such as {\"image_url\": \"https://…/photo.jpg\"}. Image URLs are shown as images.",
                       textarea: true),
            capabilities: f("required_capabilities", "Required skills", hint: "Optional, separated by commas. Only workers with all of them see the task."),
            reward: f("reward", "Reward (USDT)", hint: "Paid to the worker when the work is approved; a 5% platform fee is added.", required: true,
                      inputmode: "decimal"),
            leaseSeconds: f("lease_seconds", "Time to do it (seconds)", type: "number", hint: "How long a worker holds the task before it returns to the queue: 5 to 86400."),
            maxAttempts: f("max_attempts", "Attempts", type: "number", hint: "How many workers may try before the task fails: 1 to 20."),
            deadline: f("deadline", "Deadline (UTC, optional)", type: "datetime-local"),
            priority: f("priority", "Priority", type: "number", hint: "-1000 to 1000; higher is offered first."),
            verifiers: f("verifiers", "Verifiers", type: "number", hint: "How many other workers review each submission: 0 to 15."),
            quorum: f("quorum", "Approvals needed", type: "number", hint: "Leave empty for a majority of the verifiers."),
            spotCheckRate: f("spot_check_rate", "Human spot-check rate", hint: "0 to 1: the share of submissions where one review is reserved for a human.", inputmode: "decimal"),
            verifierReward: f("verifier_reward", "Verifier reward (USDT, optional)", hint: "Per review; empty means 5% of the reward.", inputmode: "decimal"),
            isPublic: (form.values["visibility"] ?? "public") != "private", visibilityError: errors["visibility"],
            formError: formError ?? errors["form"], idempotencyKey: form.idempotencyKey, available: USDT.format(available),
            canDeposit: marketplace.configuration.devnetDeposits)
    }

    func availableFunds(_ user: WebUser) async throws -> Int64 {
        try await marketplace.wallet(user.owner, historyLimit: 1).accounts.first { $0.kind == .funds }?.availableMicroUSDT ?? 0
    }

    @Sendable func newTaskPage(_ call: WebCall) async throws -> Response {
        let user = try await requireUser(call)
        return try renderer.page("task-new", title: "Post a task", user: user,
                                 newTaskModel(.blank(), FieldErrors(), available: try await availableFunds(user)))
    }

    @Sendable func postTask(_ call: WebCall) async throws -> Response {
        let user = try await requireUser(call)
        let form = try await FormData.read(call.request, limit: TaskSpec.maxPayloadBytes + 64 * 1024)
        try checkCSRF(call, form: form, user: user)
        let taskForm = TaskForm(form)
        func again(_ errors: FieldErrors, formError: String? = nil, status: HTTPResponse.Status) async throws -> Response {
            try renderer.page("task-new", title: "Post a task", user: user, alert: "The task was not posted. Please correct the marked fields.",
                              status: status, newTaskModel(taskForm, errors, available: try await availableFunds(user), formError: formError))
        }
        let spec: TaskSpec
        switch taskForm.spec(now: marketplace.now()) {
        case .success(let s): spec = s
        case .failure(let errors): return try await again(errors, status: .badRequest)
        }
        do {
            let task = try await marketplace.postTask(user.owner, spec, idempotencyKey: taskForm.idempotencyKey, requestHash: taskForm.fingerprint())
            return redirect("/tasks/\(task.id)?notice=posted")
        } catch let error as WorkhiveError where error.code == .insufficientFunds {
            var errors = FieldErrors()
            let hold = marketplace.configuration.fees.escrowHold(for: spec)
            errors.add("reward", "Posting this task holds \(USDT.format(hold)) in escrow (reward, platform fee, verifier rewards and one appeal panel); you have \(USDT.format(try await availableFunds(user))) available.")
            return try await again(errors, formError: "Your balance is too low for this task. Add funds on the wallet page first.", status: HTTPResponse.Status(code: 402))
        } catch let error as WorkhiveError where error.code == .idempotencyKeyReused {
            return try await again(FieldErrors(), formError: "This form was already used to post a different task. Reload the page to post another.", status: .conflict)
        } catch let error as WorkhiveError where error.code == .invalidRequest {
            var errors = FieldErrors()
            errors.add(TaskForm.field(named: error.message), WebInput.sentence(error.message))
            return try await again(errors, status: .badRequest)
        }
    }

    // MARK: Following a task

    struct TaskPage {
        let id: String
        let title: String
        let taskType: String
        let state: String
        let stateClass: String
        let isOpen: Bool
        let isLive: Bool
        let reward: String
        let attempts: String
        let verification: String
        let posted: String
        let deadline: String?
        let visibility: String
        let failureReason: String?
        let detail: TaskDetail
        let submissions: [SubmissionBlock]
        let hasSubmissions: Bool
        let progressURL: String
    }

    struct SubmissionBlock {
        let id: String
        let attempt: Int
        let state: String
        let stateClass: String
        let tally: String
        let submitted: String
        let resultJSON: String
        let proofs: [ProofFile]
        let hasProofs: Bool
        let votes: [VoteRow]
        let hasVotes: Bool
    }

    struct VoteRow {
        let verdict: String
        let verdictClass: String
        let reason: String
        let when: String
    }

    @Sendable func taskPage(_ call: WebCall) async throws -> Response {
        let user = try await requireUser(call)
        let task = try await marketplace.task(user.owner, try call.id("id"))
        guard task.taskType != TaskType.verify else { throw WorkhiveError.notFound("task \(task.id)") }
        let submissions = try await marketplace.submissions(user.owner, task: task.id)
        var blocks: [SubmissionBlock] = []
        for s in submissions.reversed() {
            let votes = try await marketplace.votes(user.owner, submission: s.id)
            let proofs = try await proofFiles(s.proofs, viewer: user.owner)
            blocks.append(SubmissionBlock(
                id: String(s.id.rawValue), attempt: s.attempt, state: Display.state(s.state), stateClass: s.state,
                tally: "\(s.approvals) approve, \(s.rejections) reject", submitted: Display.time(s.createdAtMillis), resultJSON: Display.json(s.result),
                proofs: proofs, hasProofs: !proofs.isEmpty,
                votes: votes.map { v in
                    VoteRow(verdict: v.verdict == .approve ? "Approved" : "Rejected", verdictClass: v.verdict.rawValue,
                            reason: v.reason.isEmpty ? "—" : v.reason, when: Display.time(v.createdAtMillis))
                },
                hasVotes: !votes.isEmpty))
        }
        let v = task.verification
        let model = TaskPage(
            id: String(task.id.rawValue), title: task.title, taskType: task.taskType, state: Display.state(task.state.rawValue),
            stateClass: task.state.rawValue, isOpen: task.state == .open, isLive: !task.state.isFinal, reward: USDT.format(task.rewardMicroUSDT),
            attempts: "\(task.attempts) of \(task.maxAttempts)",
            verification: v.verifiers == 0 ? "none (approved on submission)"
                : "\(v.quorum) of \(v.verifiers) approvals, \(USDT.format(v.verifierRewardMicroUSDT)) per review"
                    + (v.spotCheckRate > 0 ? ", human spot-checks \(Int((v.spotCheckRate * 100).rounded()))%" : ""),
            posted: Display.time(task.createdAtMillis), deadline: task.deadlineAtMillis.map(Display.time), visibility: task.visibility.rawValue,
            failureReason: task.failureReason, detail: try await taskDetail(task, viewer: user.owner), submissions: blocks,
            hasSubmissions: !blocks.isEmpty, progressURL: "/tasks/\(task.id)/progress")
        return try renderer.page("task", title: task.title, user: user, notice: notice(call), model)
    }

    /// What the task page's script polls to follow progress live: the state and the tally of each submission.
    @Sendable func taskProgress(_ call: WebCall) async throws -> Response {
        let user = try await requireUser(call)
        let task = try await marketplace.task(user.owner, try call.id("id"))
        let submissions = try await marketplace.submissions(user.owner, task: task.id)
        return try jsonResponse([
            "state": .string(task.state.rawValue), "state_label": .string(Display.state(task.state.rawValue)), "attempts": .int(Int64(task.attempts)),
            "submissions": .array(submissions.map { s in
                .object(["id": .int(s.id.rawValue), "state": .string(s.state), "approvals": .int(Int64(s.approvals)),
                         "rejections": .int(Int64(s.rejections))])
            }),
            // One string that changes whenever anything the page shows does.
            "version": .string("\(task.state.rawValue):\(task.attempts):" + submissions.map { "\($0.id)/\($0.state)/\($0.approvals)/\($0.rejections)" }.joined(separator: ",")),
        ])
    }

    @Sendable func cancelTask(_ call: WebCall) async throws -> Response {
        let user = try await requireUser(call)
        let form = try await FormData.read(call.request, limit: 16 * 1024)
        try checkCSRF(call, form: form, user: user)
        let id: TaskID = try call.id("id")
        _ = try await marketplace.cancelTask(user.owner, id)
        return redirect("/tasks/\(id)?notice=cancelled")
    }
}
