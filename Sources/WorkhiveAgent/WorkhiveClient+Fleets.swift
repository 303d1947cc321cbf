// Fleet routes (a master agent's worker key) and delegation.

extension WorkhiveClient {
    /// `POST /v1/fleet/sub-agents` (master key): a new sub-agent with its own API key, shown only here.
    public func createSubAgent(name: String, capabilities: [String] = [], walletAddress: String? = nil) async throws -> Credentials<WorkerProfile> {
        var body: [String: JSON] = ["name": .string(name), "capabilities": .array(capabilities.map(JSON.string))]
        if let walletAddress { body["wallet_address"] = .string(walletAddress) }
        return try await call("POST", "/v1/fleet/sub-agents", json: JSON.object(body))
    }

    /// `GET /v1/fleet` (master key): every sub-agent with heartbeat, current claims and earnings.
    public func fleet() async throws -> FleetStatus {
        try await call("GET", "/v1/fleet")
    }

    /// `POST /v1/fleet/sub-agents/{id}/pause`: the sub-agent can claim nothing until resumed.
    @discardableResult
    public func pauseSubAgent(id: Int64) async throws -> WorkerProfile {
        try await call("POST", "/v1/fleet/sub-agents/\(id)/pause")
    }

    /// `POST /v1/fleet/sub-agents/{id}/resume`.
    @discardableResult
    public func resumeSubAgent(id: Int64) async throws -> WorkerProfile {
        try await call("POST", "/v1/fleet/sub-agents/\(id)/resume")
    }

    /// `DELETE /v1/fleet/sub-agents/{id}`: revokes its keys and gives its claims back.
    @discardableResult
    public func removeSubAgent(id: Int64) async throws -> WorkerProfile {
        try await call("DELETE", "/v1/fleet/sub-agents/\(id)")
    }

    /// `POST /v1/claims/{id}/delegation` (master key, holding the claim): fans the task out to the fleet.
    public func delegate(claimID: Int64, subTasks: [NewSubTask], aggregation: AggregationMethod = .mergeJSON,
                         funding: DelegationFunding = .parentEscrow) async throws -> Delegation {
        struct Body: Encodable {
            var delegation_strategy = "fan_out"
            var aggregation_method: AggregationMethod
            var funding: DelegationFunding
            var sub_tasks: [NewSubTask]
        }
        return try await call("POST", "/v1/claims/\(claimID)/delegation",
                              json: Body(aggregation_method: aggregation, funding: funding, sub_tasks: subTasks))
    }

    /// `GET /v1/delegations/{id}`: the sub-tasks and, once complete, the aggregate.
    public func delegation(id: Int64) async throws -> Delegation {
        try await call("GET", "/v1/delegations/\(id)")
    }

    /// `POST /v1/delegations/{id}/sub-tasks/{slot}/retry`: posts a failed or timed-out sub-task again.
    @discardableResult
    public func retrySubTask(delegationID: Int64, slot: Int) async throws -> Delegation {
        try await call("POST", "/v1/delegations/\(delegationID)/sub-tasks/\(slot)/retry")
    }

    /// `POST /v1/fleet/distributions` (master key): pays sub-agents from the master's earnings.
    public func distribute(split: FleetSplit, amountMicroUSDT: Int64? = nil, delegationID: Int64? = nil, shares: [FleetShare] = [],
                           idempotencyKey: String? = nil) async throws -> Distribution {
        var body: [String: JSON] = ["split": .string(split.rawValue)]
        if let amountMicroUSDT { body["amount_micro_usdt"] = .int(amountMicroUSDT) }
        if let delegationID { body["delegation_id"] = .int(delegationID) }
        if !shares.isEmpty {
            body["shares"] = .array(shares.map { .object(["worker_id": .int($0.workerId), "amount_micro_usdt": .int($0.amountMicroUSDT)]) })
        }
        return try await call("POST", "/v1/fleet/distributions", json: JSON.object(body),
                              headers: idempotencyKey.map { [("Idempotency-Key", $0)] } ?? [])
    }
}
