import Foundation
import Hummingbird
import NIOCore
import WorkhiveCore
import WorkhiveEngine

/// Fleets and delegation under /v1: a master agent manages its sub-agents, fans a claimed task out
/// to them, reads the aggregate and shares its earnings. docs/api.md ("Fleets") describes them.
struct FleetRoutes {
    let marketplace: Marketplace

    func register(on router: Router<WorkhiveRequestContext>) {
        let m = marketplace
        let v1 = router.group("v1")
        v1.get("fleet") { _, context in
            try JSONBody.response(try await m.fleet(try context.requirePrincipal()))
        }
        v1.post("fleet/sub-agents") { request, context in
            let p = try context.requirePrincipal()
            let body = try await JSONBody.decode(CreateSubAgentRequest.self, from: request)
            return try JSONBody.response(try await m.createSubAgent(p, name: body.name, capabilities: body.capabilities ?? [],
                                                                    walletAddress: body.walletAddress), status: .created)
        }
        v1.post("fleet/sub-agents/:id/pause") { _, context in
            try JSONBody.response(try await m.setSubAgent(try context.requirePrincipal(), try context.id("id"), paused: true))
        }
        v1.post("fleet/sub-agents/:id/resume") { _, context in
            try JSONBody.response(try await m.setSubAgent(try context.requirePrincipal(), try context.id("id"), paused: false))
        }
        v1.delete("fleet/sub-agents/:id") { _, context in
            try JSONBody.response(try await m.removeSubAgent(try context.requirePrincipal(), try context.id("id")))
        }
        v1.post("fleet/distributions") { request, context in
            let p = try context.requirePrincipal()
            var request = request
            let bytes = try await request.collectBody(upTo: 1 << 20)
            let body = try JSONBody.decode(DistributionBody.self, from: bytes)
            let distribution = try await m.distribute(p, try body.request(), idempotencyKey: request.headers[.idempotencyKey],
                                                      requestHash: canonicalHash(bytes))
            return try JSONBody.response(distribution, status: .created)
        }
        v1.post("claims/:id/delegation") { request, context in
            let p = try context.requirePrincipal()
            var request = request
            let bytes = try await request.collectBody(upTo: 4 << 20)
            let body = try JSONBody.decode(DelegationBody.self, from: bytes)
            let view = try await m.delegate(p, claim: try context.id("id"), try body.request(), requestHash: canonicalHash(bytes))
            return try JSONBody.response(view, status: .created)
        }
        v1.get("claims/:id/delegation") { _, context in
            try JSONBody.response(try await m.delegation(try context.requirePrincipal(), claim: try context.id("id")))
        }
        v1.get("delegations/:id") { _, context in
            try JSONBody.response(try await m.delegationView(try context.requirePrincipal(), try context.id("id")))
        }
        v1.post("delegations/:id/sub-tasks/:slot/retry") { _, context in
            guard let raw = context.parameters.get("slot"), let slot = Int(raw), slot >= 0 else {
                throw WorkhiveError.invalid("'\(context.parameters.get("slot") ?? "")' is not a sub-task slot")
            }
            return try JSONBody.response(try await m.retrySubTask(try context.requirePrincipal(), delegation: try context.id("id"), slot: slot))
        }
    }

    /// A retry is recognised by what it asks for, not by its bytes: hash the canonical JSON.
    private func canonicalHash(_ bytes: ByteBuffer) -> String {
        sha256Hex((try? JSONValue.parse(String(buffer: bytes)))?.jsonText ?? String(buffer: bytes))
    }
}

struct CreateSubAgentRequest: Decodable {
    var name: String
    var capabilities: [String]?
    var walletAddress: String?
    enum CodingKeys: String, CodingKey {
        case name, capabilities
        case walletAddress = "wallet_address"
    }
}

struct SubTaskBody: Decodable {
    var taskType: String?
    var title: String?
    var instructions: String?
    var payload: JSONValue?
    var requiredCapabilities: [String]?
    var rewardMicroUSDT: Int64
    var assignee: WorkerID?
    var leaseSeconds: Int?
    var maxAttempts: Int?
    var deadlineAtMillis: Int64?
    enum CodingKeys: String, CodingKey {
        case title, instructions, payload, assignee
        case taskType = "task_type"
        case requiredCapabilities = "required_capabilities"
        case rewardMicroUSDT = "reward_micro_usdt"
        case leaseSeconds = "lease_seconds"
        case maxAttempts = "max_attempts"
        case deadlineAtMillis = "deadline_at_millis"
    }
}

struct DelegationBody: Decodable {
    var delegationStrategy: DelegationStrategy?
    var aggregationMethod: AggregationMethod?
    var funding: DelegationFunding?
    var subTasks: [SubTaskBody]
    enum CodingKeys: String, CodingKey {
        case funding
        case delegationStrategy = "delegation_strategy"
        case aggregationMethod = "aggregation_method"
        case subTasks = "sub_tasks"
    }

    /// Defaults: fan_out, merge_json, funded from the parent's escrow; sub-tasks lease 300 s, 3 attempts.
    func request() throws -> DelegationRequest {
        DelegationRequest(
            strategy: delegationStrategy ?? .fanOut, aggregation: aggregationMethod ?? .mergeJSON, funding: funding ?? .parentEscrow,
            subTasks: subTasks.map { s in
                SubTaskSpec(taskType: s.taskType, title: s.title, instructions: s.instructions ?? "",
                            payloadJSON: StoredJSON.encode(s.payload ?? .object([:])), requiredCapabilities: s.requiredCapabilities ?? [],
                            rewardMicroUSDT: s.rewardMicroUSDT, assignee: s.assignee, leaseSeconds: s.leaseSeconds ?? 300,
                            maxAttempts: s.maxAttempts ?? 3, deadlineAtMillis: s.deadlineAtMillis)
            })
    }
}

struct DistributionBody: Decodable {
    struct Share: Decodable {
        var workerId: WorkerID
        var amountMicroUSDT: Int64
        enum CodingKeys: String, CodingKey {
            case workerId = "worker_id"
            case amountMicroUSDT = "amount_micro_usdt"
        }
    }
    var split: FleetSplit
    var amountMicroUSDT: Int64?
    var delegationId: DelegationID?
    var shares: [Share]?
    enum CodingKeys: String, CodingKey {
        case split, shares
        case amountMicroUSDT = "amount_micro_usdt"
        case delegationId = "delegation_id"
    }

    func request() throws -> DistributionRequest {
        DistributionRequest(split: split, amountMicroUSDT: amountMicroUSDT, delegation: delegationId,
                            shares: (shares ?? []).map { FleetShareView(workerId: $0.workerId, amountMicroUSDT: $0.amountMicroUSDT) })
    }
}
