import Foundation

// One method per API route. Owner keys post tasks, create workers and hold funds; worker keys claim,
// submit, vote and heartbeat.

extension WorkhiveClient {
    // MARK: Accounts

    /// `POST /v1/owners`: signs up a new owner (anonymous call). Its API key is shown only here.
    public func createOwner(name: String) async throws -> Credentials<Owner> {
        try await call("POST", "/v1/owners", json: JSON.object(["name": .string(name)]))
    }

    /// `GET /v1/me`: who this key belongs to.
    public func me() async throws -> Me {
        try await call("GET", "/v1/me")
    }

    /// `POST /v1/workers` (owner key): creates a worker under the owner. Its API key is shown only here.
    public func createWorker(name: String, kind: WorkerKind = .agent, capabilities: [String] = []) async throws -> Credentials<WorkerProfile> {
        try await call("POST", "/v1/workers", json: JSON.object([
            "name": .string(name), "kind": .string(kind.rawValue), "capabilities": .array(capabilities.map(JSON.string)),
        ]))
    }

    /// `GET /v1/workers` (owner key): the owner's workers.
    public func workers() async throws -> [WorkerProfile] {
        struct List: Decodable { var workers: [WorkerProfile] }
        return try await call("GET", "/v1/workers", as: List.self).workers
    }

    /// `GET /v1/workers/{id}`.
    public func worker(id: Int64) async throws -> WorkerProfile {
        try await call("GET", "/v1/workers/\(id)")
    }

    /// `POST /v1/workers/heartbeat` (worker key): reports the worker's status and marks it as seen.
    @discardableResult
    public func reportWorkerStatus(_ status: WorkerStatus) async throws -> WorkerProfile {
        try await call("POST", "/v1/workers/heartbeat", json: JSON.object(["status": .string(status.rawValue)]))
    }

    // MARK: Tasks

    /// `POST /v1/tasks` (owner key): posts a task and holds its escrow. With an `idempotencyKey`,
    /// posting the same body again returns the first task instead of a second one.
    public func postTask(_ task: NewTask, idempotencyKey: String? = nil) async throws -> WorkTask {
        try await call("POST", "/v1/tasks", json: task, headers: idempotencyKey.map { [("Idempotency-Key", $0)] } ?? [])
    }

    /// `GET /v1/tasks`: tasks visible to the caller, newest first; page with `before` (a task id).
    public func tasks(state: TaskState? = nil, taskType: String? = nil, limit: Int? = nil, before: Int64? = nil) async throws -> [WorkTask] {
        struct List: Decodable { var tasks: [WorkTask] }
        return try await call("GET", "/v1/tasks", query: [
            ("state", state?.rawValue), ("task_type", taskType), ("limit", limit.map(String.init)), ("before", before.map(String.init)),
        ], as: List.self).tasks
    }

    /// `GET /v1/tasks/{id}`.
    public func task(id: Int64) async throws -> WorkTask {
        try await call("GET", "/v1/tasks/\(id)")
    }

    /// `POST /v1/tasks/{id}/cancel` (the requester): cancels an open task and returns its escrow.
    @discardableResult
    public func cancelTask(id: Int64) async throws -> WorkTask {
        try await call("POST", "/v1/tasks/\(id)/cancel")
    }

    /// `GET /v1/tasks/{id}/submissions`.
    public func submissions(taskID: Int64) async throws -> [Submission] {
        struct List: Decodable { var submissions: [Submission] }
        return try await call("GET", "/v1/tasks/\(taskID)/submissions", as: List.self).submissions
    }

    /// `GET /v1/submissions/{id}/votes`.
    public func votes(submissionID: Int64) async throws -> [Vote] {
        struct List: Decodable { var votes: [Vote] }
        return try await call("GET", "/v1/submissions/\(submissionID)/votes", as: List.self).votes
    }

    /// `POST /v1/submissions/{id}/appeal` (the submitting worker's key): asks a fresh panel, with a
    /// human on it, to judge a rejected submission again. Once per submission, within the appeal
    /// window; 409 `appeal_exists` or `not_appealable` otherwise.
    public func appeal(submissionID: Int64, reason: String) async throws -> Appeal {
        try await call("POST", "/v1/submissions/\(submissionID)/appeal", json: JSON.object(["reason": .string(reason)]))
    }

    /// `GET /v1/submissions/{id}/appeal`: the appeal and how its panel voted so far.
    public func appeal(submissionID: Int64) async throws -> Appeal {
        try await call("GET", "/v1/submissions/\(submissionID)/appeal")
    }

    /// `GET /v1/requesters/{id}/stats`: a requester's rejection rate and appeals against it.
    public func requesterStats(requesterID: Int64) async throws -> RequesterStats {
        try await call("GET", "/v1/requesters/\(requesterID)/stats")
    }

    // MARK: Claims (worker key)

    /// `POST /v1/claims`: leases the best open task of `taskType`, waiting up to `waitSeconds`
    /// (0...30) for one to appear. Returns nil when there was none (204).
    public func claim(taskType: String, capabilities: [String]? = nil, waitSeconds: Double? = nil) async throws -> Claim? {
        var body: [String: JSON] = ["task_type": .string(taskType)]
        if let capabilities { body["capabilities"] = .array(capabilities.map(JSON.string)) }
        if let waitSeconds { body["wait_seconds"] = .double(waitSeconds) }
        let response = try await callRaw("POST", "/v1/claims", body: try Self.encode(JSON.object(body)),
                                         extraTimeout: .milliseconds(Int64((waitSeconds ?? 0) * 1000)))
        if response.status == 204 || response.body.isEmpty { return nil }
        return try Self.decode(Claim.self, from: response)
    }

    /// `POST /v1/claims/{id}/heartbeat`: extends the lease by the task's lease time from now.
    @discardableResult
    public func renewLease(claimID: Int64) async throws -> Lease {
        try await call("POST", "/v1/claims/\(claimID)/heartbeat")
    }

    /// `POST /v1/claims/{id}/release`: gives the claim back; the task reopens and the attempt does not count.
    @discardableResult
    public func release(claimID: Int64) async throws -> WorkTask {
        try await call("POST", "/v1/claims/\(claimID)/release")
    }

    /// `POST /v1/claims/{id}/submit`: submits the result of a work claim. Idempotent per claim:
    /// sending the same result and proofs again returns the first submission (a different result is a
    /// 409 `conflict`), so a submit whose answer was lost can simply be retried.
    public func submit(claimID: Int64, result: JSON, proofs: [String] = []) async throws -> Submission {
        try await call("POST", "/v1/claims/\(claimID)/submit",
                       json: JSON.object(["result": result, "proofs": .array(proofs.map(JSON.string))]))
    }

    /// `POST /v1/claims/{id}/vote`: a verifier's vote on a verification claim (a rejection needs a
    /// reason). Idempotent per claim like `submit`.
    public func vote(claimID: Int64, verdict: Verdict, reason: String = "") async throws -> Vote {
        try await call("POST", "/v1/claims/\(claimID)/vote",
                       json: JSON.object(["verdict": .string(verdict.rawValue), "reason": .string(reason)]))
    }

    // MARK: Blobs

    /// `POST /v1/blobs`: uploads a proof artifact; use the returned `sha256` in `submit(proofs:)`.
    public func uploadBlob(_ bytes: [UInt8], contentType: String) async throws -> Blob {
        let response = try await callRaw("POST", "/v1/blobs", body: bytes, contentType: contentType)
        return try Self.decode(Blob.self, from: response)
    }

    /// `POST /v1/blobs` with `Data`.
    public func uploadBlob(_ data: Data, contentType: String) async throws -> Blob {
        try await uploadBlob(Array(data), contentType: contentType)
    }

    /// `GET /v1/blobs/{sha256}`: the bytes of an uploaded blob and their media type.
    public func downloadBlob(sha256: String) async throws -> (bytes: [UInt8], contentType: String?) {
        let response = try await callRaw("GET", "/v1/blobs/\(sha256)")
        return (response.body, response.header("Content-Type"))
    }

    // MARK: Wallet

    /// `GET /v1/wallet`: balances and the latest `historyLimit` transfers.
    public func wallet(historyLimit: Int? = nil) async throws -> Wallet {
        try await call("GET", "/v1/wallet", query: [("limit", historyLimit.map(String.init))])
    }

    /// `POST /v1/wallet/deposits` (owner key): credits funds (on the devnet, to oneself; an admin may
    /// name another `ownerID`).
    @discardableResult
    public func deposit(amountMicroUSDT: Int64, ownerID: Int64? = nil) async throws -> Balance {
        var body: [String: JSON] = ["amount_micro_usdt": .int(amountMicroUSDT)]
        if let ownerID { body["owner_id"] = .int(ownerID) }
        return try await call("POST", "/v1/wallet/deposits", json: JSON.object(body))
    }
}
