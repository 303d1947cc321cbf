import WorkhiveCore
import WorkhiveEngine

/// One A2A call by one principal: each method is the engine operation the REST API uses.
struct A2ACall: Sendable {
    let marketplace: Marketplace
    let configuration: A2AConfiguration
    let principal: Principal
    let baseURL: String
    let pollInterval: Duration

    /// SendMessage: the message becomes a posted task paid by the caller; the answer is the task.
    func sendMessage(_ params: JSONValue) async throws -> JSONValue {
        let posted = try await post(params)
        return .object(["task": try await taskJSON(posted, artifacts: true)])
    }

    func getTask(_ params: JSONValue) async throws -> JSONValue {
        try await taskJSON(try await marketplace.task(principal, try taskID(params)), artifacts: true)
    }

    func cancelTask(_ params: JSONValue) async throws -> JSONValue {
        let id = try taskID(params)
        _ = try await marketplace.task(principal, id)  // an unknown task is TASK_NOT_FOUND, not a refusal to cancel
        return try await taskJSON(try await marketplace.cancelTask(principal, id), artifacts: true)
    }

    /// ListTasks: the caller's tasks as `GET /v1/tasks` lists them, newest first; `pageToken` is the
    /// id of the last task of the previous page.
    func listTasks(_ params: JSONValue) async throws -> JSONValue {
        let pageSize = try params["pageSize"].map { value -> Int in
            guard let n = value.integer, (1...100).contains(n) else { throw A2AError.invalidParams("pageSize must be between 1 and 100") }
            return Int(n)
        } ?? 50
        let before = try params["pageToken"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 }.map { token -> TaskID in
            guard let n = Int64(token) else { throw A2AError.invalidParams("invalid pageToken") }
            return TaskID(n)
        }
        var states: [TaskState?] = [nil]
        if let filter = params["status"]?.stringValue, filter != "TASK_STATE_UNSPECIFIED" {
            states = (A2ATaskMapping.states(filter) ?? []).map(Optional.some)
        }
        var tasks: [TaskView] = []
        for state in states {
            tasks += try await marketplace.listTasks(principal, state: state, limit: pageSize, beforeID: before)
        }
        tasks = Array(tasks.sorted { $0.id.rawValue > $1.id.rawValue }.prefix(pageSize))
        if let context = params["contextId"]?.stringValue, !context.isEmpty {
            tasks = tasks.filter { A2ATaskMapping.contextID($0.id) == context }
        }
        let withArtifacts = params["includeArtifacts"] == .bool(true)
        var out: [JSONValue] = []
        for task in tasks { out.append(try await taskJSON(task, artifacts: withArtifacts)) }
        return .object([
            "tasks": .array(out), "pageSize": .int(Int64(pageSize)), "totalSize": .int(Int64(out.count)),
            "nextPageToken": .string(tasks.count == pageSize ? String(tasks.last!.id.rawValue) : ""),
        ])
    }

    /// What a stream has sent so far: the task as last seen.
    struct Watch: Sendable { var task: TaskView }

    func startStreaming(_ params: JSONValue) async throws -> Watch { Watch(task: try await post(params)) }

    func startSubscription(_ params: JSONValue) async throws -> Watch {
        let task = try await marketplace.task(principal, try taskID(params))
        guard !task.state.isFinal else {
            throw A2AError.unsupported("task \(task.id.rawValue) is already \(task.state.rawValue); read it with GetTask")
        }
        return Watch(task: task)
    }

    /// Sends the task, then a status update whenever its state or attempt changes, and the approved
    /// result as an artifact before the final status; returns once the task is final. While nothing
    /// changes it calls `keepAlive` every `keepAliveInterval`, so idle streams stay open.
    func watch(_ start: Watch, keepAliveInterval: Duration = .seconds(10), keepAlive: () async throws -> Void,
               send: (JSONValue) async throws -> Void) async throws {
        var last = start.task
        try await send(.object(["task": try await taskJSON(last, artifacts: true)]))
        var quietSince = ContinuousClock.now
        while !last.state.isFinal {
            try await Task.sleep(for: pollInterval)
            let now = try await marketplace.task(principal, last.id)
            guard now.state != last.state || now.attempts != last.attempts else {
                if ContinuousClock.now - quietSince >= keepAliveInterval {
                    try await keepAlive()
                    quietSince = ContinuousClock.now
                }
                continue
            }
            quietSince = ContinuousClock.now
            let ids: [String: JSONValue] = ["taskId": .string(String(now.id.rawValue)), "contextId": .string(A2ATaskMapping.contextID(now.id))]
            if now.state == .approved {
                for submission in try await approvedSubmissions(now) {
                    var event = ids
                    event["artifact"] = A2ATaskMapping.artifact(submission, baseURL: baseURL)
                    event["lastChunk"] = .bool(true)
                    try await send(.object(["artifactUpdate": .object(event)]))
                }
            }
            var event = ids
            event["status"] = A2ATaskMapping.status(now)
            try await send(.object(["statusUpdate": .object(event)]))
            last = now
        }
    }

    private func post(_ params: JSONValue) async throws -> TaskView {
        let message = try A2AMessage(params: params, defaultTaskType: configuration.skills.first?.taskType ?? "general")
        let spec = try message.postRequest().spec(now: marketplace.now())
        return try await marketplace.postTask(principal, spec, idempotencyKey: message.idempotencyKey, requestHash: message.requestHash)
    }

    private func taskID(_ params: JSONValue) throws -> TaskID {
        guard let raw = params["id"]?.stringValue else { throw A2AError.invalidParams("params.id (the task id) is required") }
        guard let n = Int64(raw) else { throw A2AError.taskNotFound("task \(raw) not found") }
        return TaskID(n)
    }

    /// The approved submissions of an approved task, for whoever may read its submissions (the
    /// requester, an admin); others see the task without artifacts.
    private func approvedSubmissions(_ task: TaskView) async throws -> [SubmissionView] {
        guard task.state == .approved, let all = try? await marketplace.submissions(principal, task: task.id) else { return [] }
        return all.filter { $0.state == "approved" }
    }

    private func taskJSON(_ task: TaskView, artifacts: Bool) async throws -> JSONValue {
        A2ATaskMapping.task(task, approved: artifacts ? try await approvedSubmissions(task) : [], baseURL: baseURL)
    }
}

extension JSONValue {
    /// A whole number, whether it arrived as an integer or (from proto-JSON) as a float or string.
    var integer: Int64? {
        switch self {
        case .int(let i): i
        case .double(let d) where d.rounded() == d && abs(d) < 0x1p53: Int64(d)
        case .string(let s): Int64(s)
        default: nil
        }
    }
}
