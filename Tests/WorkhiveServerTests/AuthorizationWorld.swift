import Foundation
import HTTPTypes
import NIOCore
import Testing
import WorkhiveCore
@testable import WorkhiveServer

/// The callers of the authorization matrix, in the order each operation is tried: the ones expected
/// to be refused first, so that a refused call leaves the world as it was for the next caller.
enum Role: String, CaseIterable, Sendable {
    case anonymous, otherRequester, otherFleetSubAgent, worker, ownerRequester, admin
}

/// One small marketplace with one resource of every kind the API has, built over HTTP:
/// - `owner` posted every task; `other` is a funded requester with nothing to do with them;
/// - `worker` (a master agent) holds a work claim, a verification claim, a delegated claim, an
///   uploaded blob, a payout address and a payout, and runs a fleet with `subAgent`;
/// - `otherSubAgent` belongs to another master's fleet; `admin` is an admin owner.
struct AuthorizationWorld: Sendable {
    let owner: Owner, other: Owner, admin: Owner
    let worker: WorkerAccount, subAgent: WorkerAccount, otherSubAgent: WorkerAccount
    let task: Int64, claim: Int64
    let reviewedTask: Int64, submission: Int64, verifyClaim: Int64
    let delegatedClaim: Int64, delegation: Int64
    let blob: String, payout: Int64

    func key(_ role: Role) -> String? {
        switch role {
        case .anonymous: nil
        case .otherRequester: other.key
        case .otherFleetSubAgent: otherSubAgent.key
        case .worker: worker.key
        case .ownerRequester: owner.key
        case .admin: admin.key
        }
    }

    static let delegationBody =
        #"{"aggregation_method": "merge_json", "sub_tasks": [{"task_type": "moderation.part", "payload": {"images": [1]}, "reward_micro_usdt": 100000}]}"#

    static func build(_ api: API) async throws -> AuthorizationWorld {
        let owner = try await api.requester("owner")
        let other = try await api.requester("other")
        let admin = try await api.admin()
        let worker = try await api.soloWorker("worker")
        let subAgent = try await makeSubAgent(of: worker, api)
        let otherSubAgent = try await makeSubAgent(of: try await api.soloWorker("other-master"), api)
        let reviewer = try await api.soloWorker("reviewer")

        // A task the worker holds a claim on.
        let task = try await id(api.postTask(owner), "id")
        let claim = try await id(api.claim(worker, "social.like").json)
        // A submission by someone else that the worker holds the verification slot of.
        let reviewedTask = try await id(api.postTask(owner, taskType: "review",
                                                       extra: ["verification": .object(["verifiers": .int(1), "quorum": .int(1)])]), "id")
        let reviewClaim = try await id(api.claim(reviewer, "review").json)
        let submission = try await id(api.send(.post, "/v1/claims/\(reviewClaim)/submit", key: reviewer.key, json: #"{"result": {"ok": true}}"#).json, "id")
        let verifyClaim = try await id(api.claim(worker, "verify").json)
        // A claim the worker fanned out to its fleet.
        try await api.postTask(owner, taskType: "moderation.image")
        let delegatedClaim = try await id(api.claim(worker, "moderation.image").json)
        let delegation = try await id(api.send(.post, "/v1/claims/\(delegatedClaim)/delegation", key: worker.key, json: delegationBody).json, "id")
        // Earnings, an address and a payout.
        try await api.postTask(owner, taskType: "pay.me", reward: 20_000_000,
                               extra: ["verification": .object(["verifiers": .int(0), "quorum": .int(0)])])
        let paid = try await id(api.claim(worker, "pay.me").json)
        try await api.send(.post, "/v1/claims/\(paid)/submit", key: worker.key, json: #"{"result": {"ok": true}}"#)
        try await api.send(.put, "/v1/wallet/addresses/bep20", key: worker.key, json: #"{"address": "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"}"#)
        let payout = try await id(api.send(.post, "/v1/payouts", key: worker.key, json: #"{"amount_micro_usdt": 8000000}"#).json, "id")
        // A proof the worker uploaded.
        var headers = HTTPFields()
        headers[.contentType] = "text/plain"
        let blob = try await api.send(.post, "/v1/blobs", key: worker.key, body: ByteBuffer(string: "proof"), headers: headers)
        let sha = try #require(blob["sha256"]?.stringValue, "blob upload: \(blob.status) \(blob.text)")

        return AuthorizationWorld(
            owner: owner, other: other, admin: admin, worker: worker, subAgent: subAgent, otherSubAgent: otherSubAgent,
            task: task, claim: claim, reviewedTask: reviewedTask, submission: submission, verifyClaim: verifyClaim,
            delegatedClaim: delegatedClaim, delegation: delegation, blob: sha, payout: payout)
    }

    private static func makeSubAgent(of master: WorkerAccount, _ api: API) async throws -> WorkerAccount {
        let r = try await api.send(.post, "/v1/fleet/sub-agents", key: master.key, json: #"{"name": "sub"}"#)
        let key = try #require(r["api_key"]?.stringValue, "sub-agent: \(r.status) \(r.text)")
        return WorkerAccount(key: key, id: try id(r.json, "subject", "id"), owner: master.owner)
    }

    private static func id(_ json: JSONValue?, _ path: String...) throws -> Int64 {
        let keys = path.isEmpty ? ["claim_id"] : path
        var value = json
        for key in keys { value = value?[key] }
        return try #require(value?.asInt, "no \(keys.joined(separator: ".")) in \(String(describing: json))")
    }
}
