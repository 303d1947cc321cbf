import Foundation
import WorkhiveCore
import WorkhiveEngine

/// How Workhive tasks look to an A2A client (proto-JSON field names, TASK_STATE_* enum names).
enum A2ATaskMapping {
    /// open → SUBMITTED; claimed and verifying → WORKING; approved (and a finished verification
    /// slot) → COMPLETED; rejected and failed → FAILED; cancelled → CANCELED.
    static func state(_ state: TaskState) -> String {
        switch state {
        case .open: "TASK_STATE_SUBMITTED"
        case .claimed, .verifying: "TASK_STATE_WORKING"
        case .approved, .done: "TASK_STATE_COMPLETED"
        case .rejected, .failed: "TASK_STATE_FAILED"
        case .cancelled: "TASK_STATE_CANCELED"
        }
    }

    /// The Workhive states an A2A state filter stands for (nil: the filter matches nothing here).
    static func states(_ a2aState: String) -> [TaskState]? {
        let states = TaskState.allCases.filter { state($0) == a2aState }
        return states.isEmpty ? nil : states
    }

    static func isTerminal(_ state: TaskState) -> Bool { state.isFinal }

    /// The context id of a task: each Workhive task is its own conversation.
    static func contextID(_ task: TaskID) -> String { "workhive-task-\(task.rawValue)" }

    /// What the status message says about where the task is.
    static func statusText(_ t: TaskView) -> String {
        switch t.state {
        case .open:
            t.attempts == 0 ? "posted; waiting for a worker to claim it"
                : "back in the queue after attempt \(t.attempts) of \(t.maxAttempts)"
        case .claimed: "claimed by a worker (attempt \(t.attempts) of \(t.maxAttempts))"
        case .verifying:
            t.verification.verifiers == 0 ? "submitted; being settled"
                : "submitted; in verification (\(t.verification.quorum) of \(t.verification.verifiers) verifiers must approve)"
        case .approved, .done: "completed: the work was approved"
        case .rejected: t.failureReason ?? "rejected by verification"
        case .failed: t.failureReason ?? "failed"
        case .cancelled: "cancelled by the requester; the escrow returned"
        }
    }

    static func timestamp(_ millis: Int64) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: Date(timeIntervalSince1970: Double(millis) / 1000))
    }

    static func status(_ t: TaskView) -> JSONValue {
        .object([
            "state": .string(state(t.state)),
            "message": .object([
                "messageId": .string("workhive-task-\(t.id.rawValue)-\(t.state.rawValue)-\(t.attempts)"),
                "contextId": .string(contextID(t.id)), "taskId": .string(String(t.id.rawValue)),
                "role": .string("ROLE_AGENT"), "parts": .array([.object(["text": .string(statusText(t))])]),
            ]),
            "timestamp": .string(timestamp(t.updatedAtMillis)),
        ])
    }

    /// The approved submission's result as an artifact: a data part, and one URL part per proof.
    static func artifact(_ s: SubmissionView, baseURL: String) -> JSONValue {
        var parts: [JSONValue] = [.object(["data": s.result, "mediaType": .string("application/json")])]
        parts += s.proofs.map { sha in
            .object(["url": .string("\(baseURL)/v1/blobs/\(sha)"), "filename": .string(sha)])
        }
        return .object([
            "artifactId": .string("submission-\(s.id.rawValue)"), "name": .string("result"),
            "description": .string("the approved result of attempt \(s.attempt)"),
            "parts": .array(parts),
            "metadata": .object(["submission_id": .int(s.id.rawValue), "worker_id": .int(s.workerId.rawValue)]),
        ])
    }

    static func task(_ t: TaskView, approved: [SubmissionView], baseURL: String) -> JSONValue {
        var task: [String: JSONValue] = [
            "id": .string(String(t.id.rawValue)), "contextId": .string(contextID(t.id)), "status": status(t),
            "metadata": .object([
                "task_type": .string(t.taskType), "title": .string(t.title), "workhive_state": .string(t.state.rawValue),
                "reward_micro_usdt": .int(t.rewardMicroUSDT), "attempts": .int(Int64(t.attempts)),
            ]),
        ]
        if !approved.isEmpty { task["artifacts"] = .array(approved.map { artifact($0, baseURL: baseURL) }) }
        return .object(task)
    }
}
