import Foundation
import HTTPTypes
import NIOCore
import Testing
@testable import WorkhiveServer

/// Every operation of openapi.yaml × every role (anonymous, other requester, other fleet's sub-agent,
/// worker, owner requester, admin), each against a fresh `AuthorizationWorld`, with the exact status
/// each role gets. An operation in the document without a rule here fails the suite, so a new
/// endpoint cannot ship without someone deciding who may call it.
@Suite("API: authorization matrix")
struct APIAuthorizationMatrixTests {
    struct Rule: Sendable {
        let path: @Sendable (AuthorizationWorld) -> String
        let body: String?
        /// Statuses in `Role.allCases` order: anonymous, other requester, other fleet's sub-agent,
        /// worker, owner requester, admin.
        let statuses: [Int]
    }

    static func rule(_ path: @escaping @Sendable (AuthorizationWorld) -> String, _ body: String? = nil, _ statuses: Int...) -> Rule {
        Rule(path: path, body: body, statuses: statuses)
    }

    static let rules: [String: Rule] = [
        "GET /healthz": rule({ _ in "/healthz" }, nil, 200, 200, 200, 200, 200, 200),
        "GET /openapi.yaml": rule({ _ in "/openapi.yaml" }, nil, 200, 200, 200, 200, 200, 200),
        "GET /.well-known/agent-card.json": rule({ _ in "/.well-known/agent-card.json" }, nil, 200, 200, 200, 200, 200, 200),
        // JSON-RPC answers refusals inside a 200 (A2A's binding); only the missing key is HTTP's.
        "POST /v1/a2a": rule({ _ in "/v1/a2a" }, #"{"jsonrpc": "2.0", "id": 1, "method": "ListTasks", "params": {}}"#, 401, 200, 200, 200, 200, 200),
        "GET /metrics": rule({ _ in "/metrics" }, nil, 401, 403, 403, 403, 403, 200),
        "POST /v1/owners": rule({ _ in "/v1/owners" }, #"{"name": "new"}"#, 201, 201, 201, 201, 201, 201),
        "GET /v1/me": rule({ _ in "/v1/me" }, nil, 401, 200, 200, 200, 200, 200),
        "POST /v1/workers": rule({ _ in "/v1/workers" }, #"{"name": "w2", "kind": "agent"}"#, 401, 201, 403, 403, 201, 201),
        "GET /v1/workers": rule({ _ in "/v1/workers" }, nil, 401, 200, 403, 403, 200, 200),
        "POST /v1/workers/heartbeat": rule({ _ in "/v1/workers/heartbeat" }, #"{"status": "idle"}"#, 401, 403, 200, 200, 403, 403),
        "GET /v1/workers/{id}": rule({ "/v1/workers/\($0.worker.id)" }, nil, 401, 404, 404, 200, 404, 200),
        "GET /v1/workers/{id}/reputation": rule({ "/v1/workers/\($0.worker.id)/reputation" }, nil, 401, 404, 404, 200, 404, 200),
        "POST /v1/admin/workers/{id}/suspend": rule({ "/v1/admin/workers/\($0.worker.id)/suspend" }, nil, 401, 403, 403, 403, 403, 200),
        "POST /v1/admin/workers/{id}/unsuspend": rule({ "/v1/admin/workers/\($0.worker.id)/unsuspend" }, nil, 401, 403, 403, 403, 403, 200),
        "GET /v1/admin/ledger": rule({ _ in "/v1/admin/ledger" }, nil, 401, 403, 403, 403, 403, 200),
        "POST /v1/tasks": rule({ _ in "/v1/tasks" }, #"{"task_type": "t", "title": "t", "reward_micro_usdt": 1000}"#, 401, 201, 403, 403, 201, 402),
        "GET /v1/tasks": rule({ _ in "/v1/tasks" }, nil, 401, 200, 200, 200, 200, 200),
        "GET /v1/tasks/{id}": rule({ "/v1/tasks/\($0.task)" }, nil, 401, 200, 200, 200, 200, 200),
        "POST /v1/tasks/{id}/cancel": rule({ "/v1/tasks/\($0.task)/cancel" }, nil, 401, 403, 403, 403, 409, 409),
        "GET /v1/tasks/{id}/submissions": rule({ "/v1/tasks/\($0.reviewedTask)/submissions" }, nil, 401, 403, 403, 403, 200, 200),
        "GET /v1/submissions/{id}/votes": rule({ "/v1/submissions/\($0.submission)/votes" }, nil, 401, 403, 403, 403, 200, 200),
        // Only the submitter appeals (here a reviewer outside the roles), and only a rejection.
        "POST /v1/submissions/{id}/appeal": rule({ "/v1/submissions/\($0.submission)/appeal" }, #"{"reason": "it was right"}"#,
                                                 401, 403, 403, 403, 403, 403),
        "GET /v1/submissions/{id}/appeal": rule({ "/v1/submissions/\($0.submission)/appeal" }, nil, 401, 404, 404, 404, 404, 404),
        "GET /v1/requesters/{id}/stats": rule({ "/v1/requesters/\($0.owner.id)/stats" }, nil, 401, 200, 200, 200, 200, 200),
        "POST /v1/claims": rule({ _ in "/v1/claims" }, #"{"task_type": "social.like"}"#, 401, 403, 204, 204, 403, 403),
        "POST /v1/claims/{id}/heartbeat": rule({ "/v1/claims/\($0.claim)/heartbeat" }, nil, 401, 403, 403, 200, 403, 403),
        "POST /v1/claims/{id}/release": rule({ "/v1/claims/\($0.claim)/release" }, nil, 401, 403, 403, 200, 403, 403),
        "POST /v1/claims/{id}/submit": rule({ "/v1/claims/\($0.claim)/submit" }, #"{"result": {"ok": true}}"#, 401, 403, 403, 201, 403, 403),
        "POST /v1/claims/{id}/vote": rule({ "/v1/claims/\($0.verifyClaim)/vote" }, #"{"verdict": "approve"}"#, 401, 403, 403, 201, 403, 403),
        "POST /v1/blobs": rule({ _ in "/v1/blobs" }, "proof", 401, 201, 201, 201, 201, 201),
        "GET /v1/blobs/{sha256}": rule({ "/v1/blobs/\($0.blob)" }, nil, 401, 404, 404, 200, 404, 200),
        "GET /v1/wallet": rule({ _ in "/v1/wallet" }, nil, 401, 200, 200, 200, 200, 200),
        "POST /v1/wallet/deposits": rule({ _ in "/v1/wallet/deposits" }, #"{"amount_micro_usdt": 1}"#, 401, 201, 403, 403, 201, 201),
        "GET /v1/wallet/addresses": rule({ _ in "/v1/wallet/addresses" }, nil, 401, 400, 200, 200, 400, 400),
        "PUT /v1/wallet/addresses/{network}": rule({ _ in "/v1/wallet/addresses/bep20" },
                                                   #"{"address": "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"}"#, 401, 403, 200, 200, 403, 403),
        "DELETE /v1/wallet/addresses/{network}": rule({ _ in "/v1/wallet/addresses/bep20" }, nil, 401, 403, 404, 204, 403, 403),
        "PUT /v1/wallet/preference": rule({ _ in "/v1/wallet/preference" }, #"{"preference": "low_fee"}"#, 401, 403, 200, 200, 403, 403),
        "POST /v1/payouts": rule({ _ in "/v1/payouts" }, #"{"amount_micro_usdt": 1000000}"#, 401, 403, 409, 201, 403, 403),
        "GET /v1/payouts": rule({ _ in "/v1/payouts" }, nil, 401, 200, 200, 200, 200, 200),
        "GET /v1/payouts/{id}": rule({ "/v1/payouts/\($0.payout)" }, nil, 401, 404, 404, 200, 404, 200),
        "GET /v1/events": rule({ _ in "/v1/events" }, nil, 401, 400, 400, 400, 400, 400),
        "GET /v1/fleet": rule({ _ in "/v1/fleet" }, nil, 401, 403, 403, 200, 403, 403),
        "POST /v1/fleet/sub-agents": rule({ _ in "/v1/fleet/sub-agents" }, #"{"name": "s2"}"#, 401, 403, 403, 201, 403, 403),
        "POST /v1/fleet/sub-agents/{id}/pause": rule({ "/v1/fleet/sub-agents/\($0.subAgent.id)/pause" }, nil, 401, 403, 403, 200, 403, 403),
        "POST /v1/fleet/sub-agents/{id}/resume": rule({ "/v1/fleet/sub-agents/\($0.subAgent.id)/resume" }, nil, 401, 403, 403, 200, 403, 403),
        "DELETE /v1/fleet/sub-agents/{id}": rule({ "/v1/fleet/sub-agents/\($0.subAgent.id)" }, nil, 401, 403, 403, 200, 403, 403),
        "POST /v1/fleet/distributions": rule({ _ in "/v1/fleet/distributions" }, #"{"split": "equal", "amount_micro_usdt": 1}"#, 401, 403, 403, 201, 403, 403),
        "POST /v1/claims/{id}/delegation": rule({ "/v1/claims/\($0.claim)/delegation" }, AuthorizationWorld.delegationBody, 401, 403, 403, 201, 403, 403),
        "GET /v1/claims/{id}/delegation": rule({ "/v1/claims/\($0.delegatedClaim)/delegation" }, nil, 401, 404, 404, 200, 404, 200),
        "GET /v1/delegations/{id}": rule({ "/v1/delegations/\($0.delegation)" }, nil, 401, 404, 404, 200, 404, 200),
        "POST /v1/delegations/{id}/sub-tasks/{slot}/retry": rule({ "/v1/delegations/\($0.delegation)/sub-tasks/0/retry" }, nil, 401, 403, 404, 409, 403, 403),
    ]

    @Test("every operation in openapi.yaml has a rule, and every rule an operation")
    func everyOperationHasARule() {
        let operations = apiSpec.operations
        #expect(operations.subtracting(Self.rules.keys).sorted() == [], "operations without an authorization rule")
        #expect(Set(Self.rules.keys).subtracting(operations).sorted() == [], "rules for operations the document does not have")
        for (operation, rule) in Self.rules {
            #expect(rule.statuses.count == Role.allCases.count, "\(operation): one status per role")
        }
    }

    @Test("each role gets exactly its status on every operation", arguments: Self.rules.keys.sorted())
    func matrix(_ operation: String) async throws {
        let rule = try #require(Self.rules[operation])
        let method = HTTPRequest.Method(String(operation.split(separator: " ")[0]))!
        try await withAPI { api in
            let world = try await AuthorizationWorld.build(api)
            let path = rule.path(world)
            var observed: [Int] = []
            for role in Role.allCases {
                let json = rule.body?.hasPrefix("{") == true ? rule.body : nil
                let raw = json == nil ? rule.body.map { ByteBuffer(string: $0) } : nil
                var headers = HTTPFields()
                if raw != nil { headers[.contentType] = "text/plain" }
                let r = try await api.send(method, path, key: world.key(role), json: json, body: raw, headers: headers)
                observed.append(r.status)
                if r.status == 401 { #expect(r.error?.code == "unauthenticated", "\(operation) as \(role): \(r.text)") }
                if r.status == 403 { #expect(r.error?.code == "forbidden", "\(operation) as \(role): \(r.text)") }
            }
            let roles = Role.allCases.map(\.rawValue).joined(separator: ", ")
            #expect(observed == rule.statuses, "\(operation) [\(roles)]: observed \(observed.map(String.init).joined(separator: ", "))")
        }
    }
}
