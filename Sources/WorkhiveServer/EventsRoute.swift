import Foundation
import Hummingbird
import HummingbirdWebSocket
import WorkhiveCore
import WorkhiveEngine

/// `GET /v1/events`: a WebSocket that pushes each caller the events meant for it, as
/// `{"type": "task.available", "data": {...}}` text frames. Workers hear of work they could claim;
/// everyone hears of their own verdicts and credits.
struct EventsRoute {
    let marketplace: Marketplace
    /// Open event WebSockets per key and in all.
    let streams: ConnectionQuota

    func register(on router: Router<WorkhiveRequestContext>) {
        let m = marketplace
        router.ws("/v1/events") { request, context in
            let principal = try context.requirePrincipal()
            try streams.requireRoom(principal.quotaKey)
            guard request.headers[.upgrade]?.lowercased() == "websocket" else {
                throw WorkhiveError.invalid("/v1/events is a WebSocket: connect with 'Upgrade: websocket'")
            }
            return .upgrade([:])
        } onUpgrade: { inbound, outbound, wsContext in
            guard let principal = wsContext.requestContext.principal else { return }
            // Two upgrades racing for the last slot: the loser is closed at once with a reason.
            guard (try? streams.enter(principal.quotaKey)) != nil else {
                try await outbound.close(.policyViolation, reason: "too many open event WebSockets for this API key")
                return
            }
            defer { streams.leave(principal.quotaKey) }
            let filter = try await Self.filter(for: principal, m)
            let stream = m.hub.subscribe(filter: filter)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    for await event in stream {
                        try await outbound.write(.text(Self.encode(event)))
                    }
                }
                group.addTask {
                    // Drain what the client sends (pings are answered by the library); returns on close.
                    for try await _ in inbound.messages(maxSize: 1 << 16) {}
                }
                try await group.next()
                group.cancelAll()
            }
        }
    }

    /// Which events a principal is told about.
    static func filter(for principal: Principal, _ m: Marketplace) async throws -> EventHub.Filter {
        switch principal {
        case .worker(let id, let owner, let kind):
            let profile = try await m.worker(principal, id: id)
            let capabilities = profile.capabilities.joined(separator: ","), master = profile.masterWorkerId
            return { event in
                switch event {
                case .taskAvailable(let t): t.matches(capabilities: capabilities, kind: kind, owner: owner, master: master, worker: id)
                case .claimExpiring(_, _, let worker, _): worker == id
                case .submissionVerdict(_, _, let worker, _, _): worker == id
                case .ledgerCredited(_, _, let worker, _, _, _): worker == id
                }
            }
        case .owner(let id, let admin):
            return { event in
                switch event {
                case .taskAvailable: admin
                case .claimExpiring: false
                case .submissionVerdict(_, _, _, let requester, _): requester == id || admin
                case .ledgerCredited(_, let owner, let worker, _, _, _): owner == id && worker == nil
                }
            }
        }
    }

    static func encode(_ event: Event) -> String {
        var data: [String: JSONValue]
        switch event {
        case .taskAvailable(let t):
            data = ["task_id": .int(t.task.rawValue), "task_type": .string(t.taskType), "reward_micro_usdt": .int(t.rewardMicroUSDT),
                    "required_capabilities": .array(Capabilities(canonical: t.requiredCapabilities).names.map(JSONValue.string)),
                    "human_only": .bool(t.humanOnly)]
        case .claimExpiring(let claim, let task, let worker, let expires):
            data = ["claim_id": .int(claim.rawValue), "task_id": .int(task.rawValue), "worker_id": .int(worker.rawValue),
                    "lease_expires_at_millis": .int(expires)]
        case .submissionVerdict(let submission, let task, let worker, _, let outcome):
            data = ["submission_id": .int(submission.rawValue), "task_id": .int(task.rawValue), "worker_id": .int(worker.rawValue),
                    "outcome": .string(outcome.rawValue)]
        case .ledgerCredited(let account, _, let worker, let amount, let reason, let task):
            data = ["account_id": .int(account.rawValue), "amount_micro_usdt": .int(amount), "reason": .string(reason.rawValue)]
            if let worker { data["worker_id"] = .int(worker.rawValue) }
            if let task { data["task_id"] = .int(task.rawValue) }
        }
        return StoredJSON.encode(.object(["type": .string(event.name), "data": .object(data)]))
    }
}
