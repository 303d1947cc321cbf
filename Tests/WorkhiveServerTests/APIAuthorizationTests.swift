import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import Testing
import WorkhiveCore
import WorkhiveEngine
@testable import WorkhiveServer

/// Who may do what: keys, kinds of key, ownership, admin routes, suspension.
@Suite("API: authorization")
struct APIAuthorizationTests {
    /// Every /v1 route the router serves, with concrete paths and a plausible body.
    static let v1Routes: [(HTTPRequest.Method, String, String?)] = [
        (.get, "/v1/me", nil),
        (.post, "/v1/workers", #"{"name": "w", "kind": "agent"}"#),
        (.get, "/v1/workers", nil),
        (.post, "/v1/workers/heartbeat", #"{"status": "idle"}"#),
        (.get, "/v1/workers/1", nil),
        (.get, "/v1/workers/1/reputation", nil),
        (.post, "/v1/admin/workers/1/suspend", nil),
        (.post, "/v1/admin/workers/1/unsuspend", nil),
        (.get, "/v1/admin/ledger", nil),
        (.post, "/v1/tasks", #"{"task_type": "t", "title": "t", "reward_micro_usdt": 1000}"#),
        (.get, "/v1/tasks", nil),
        (.get, "/v1/tasks/1", nil),
        (.post, "/v1/tasks/1/cancel", nil),
        (.get, "/v1/tasks/1/submissions", nil),
        (.get, "/v1/submissions/1/votes", nil),
        (.post, "/v1/submissions/1/appeal", #"{"reason": "the like is there"}"#),
        (.get, "/v1/submissions/1/appeal", nil),
        (.get, "/v1/requesters/1/stats", nil),
        (.post, "/v1/claims", #"{"task_type": "t"}"#),
        (.post, "/v1/claims/1/heartbeat", nil),
        (.post, "/v1/claims/1/release", nil),
        (.post, "/v1/claims/1/submit", #"{"result": {}}"#),
        (.post, "/v1/claims/1/vote", #"{"verdict": "approve"}"#),
        (.post, "/v1/blobs", nil),
        (.get, "/v1/blobs/\(String(repeating: "0", count: 64))", nil),
        (.get, "/v1/wallet", nil),
        (.post, "/v1/wallet/deposits", #"{"amount_micro_usdt": 1}"#),
        (.get, "/v1/wallet/addresses", nil),
        (.put, "/v1/wallet/addresses/1", #"{"address": "x"}"#),  // a numeric segment stands for {network} here
        (.delete, "/v1/wallet/addresses/1", nil),
        (.put, "/v1/wallet/preference", #"{"preference": "none"}"#),
        (.post, "/v1/payouts", #"{"amount_micro_usdt": 1}"#),
        (.get, "/v1/payouts", nil),
        (.get, "/v1/payouts/1", nil),
        (.get, "/v1/events", nil),
        (.get, "/v1/fleet", nil),
        (.post, "/v1/fleet/sub-agents", #"{"name": "s"}"#),
        (.post, "/v1/fleet/sub-agents/1/pause", nil),
        (.post, "/v1/fleet/sub-agents/1/resume", nil),
        (.delete, "/v1/fleet/sub-agents/1", nil),
        (.post, "/v1/fleet/distributions", #"{"split": "equal", "amount_micro_usdt": 1}"#),
        (.post, "/v1/claims/1/delegation", #"{"sub_tasks": [{"reward_micro_usdt": 1}]}"#),
        (.get, "/v1/claims/1/delegation", nil),
        (.get, "/v1/delegations/1", nil),
        (.post, "/v1/delegations/1/sub-tasks/0/retry", nil),
        (.post, "/v1/a2a", #"{"jsonrpc": "2.0", "id": 1, "method": "GetTask", "params": {"id": "1"}}"#),
    ]

    @Test("the route list above is every /v1 route but sign-up")
    func routeListIsComplete() async throws {
        try await withMarket { market in
            let router = buildRouter(ServerConfiguration(), marketplace: market.marketplace)
            func normalized(_ path: String) -> String {
                "/" + path.split(separator: "/").map { $0.hasPrefix(":") || $0.hasPrefix("{") ? "{}" : String($0) }.joined(separator: "/")
            }
            let served = Set(router.routes.map { "\($0.method.rawValue) \(normalized($0.path.description))" }.filter { $0.contains(" /v1/") })
            let listed = Set(Self.v1Routes.map { method, path, _ in
                "\(method.rawValue) \(normalized(path.split(separator: "/").map { Int($0) != nil || $0.count == 64 ? "{}" : String($0) }.joined(separator: "/")))"
            })
            #expect(served.subtracting(listed) == ["POST /v1/owners"])
            #expect(listed.subtracting(served) == [])
        }
    }

    @Test("no key, a malformed key, an unknown key or Basic auth: 401 on every /v1 route but sign-up")
    func unauthenticated() async throws {
        try await withAPI { api in
            let owner = try await api.signUp("owner")
            let parts = owner.key.split(separator: "_", maxSplits: 2)
            let wrongSecret = "wh_\(parts[1])_\(String(repeating: "0", count: 32))"
            let unknownID = "wh_987654_\(parts[2])"
            let badAuthorization: [(String, String?)] = [
                ("no key", nil), ("malformed key", "Bearer not-a-key"), ("wrong secret", "Bearer \(wrongSecret)"),
                ("unknown key id", "Bearer \(unknownID)"), ("Basic auth", "Basic \(Data("owner:\(owner.key)".utf8).base64EncodedString())"),
                ("bare key", owner.key), ("empty bearer", "Bearer "),
            ]
            for (what, authorization) in badAuthorization {
                for (method, path, json) in Self.v1Routes {
                    var headers: HTTPFields = [:]
                    if let authorization { headers[.authorization] = authorization }
                    let r = try await api.send(method, path, json: json, headers: headers)
                    let error = api.expectError(r, 401, "unauthenticated")
                    if error == nil { Issue.record("\(what): \(method) \(path) answered \(r.status)") }
                }
            }
            // ?api_key= is for the events WebSocket only.
            api.expectError(try await api.send(.get, "/v1/me?api_key=\(owner.key)"), 401, "unauthenticated")
            // Sign-up needs no key, and the real key works.
            #expect(try await api.send(.post, "/v1/owners", json: #"{"name": "anyone"}"#).status == 201)
            let me = try await api.send(.get, "/v1/me", key: owner.key)
            #expect(me.status == 200)
            #expect(me["kind"]?.stringValue == "owner")
            #expect(me["owner_id"]?.asInt == owner.id)
            #expect(me["is_admin"]?.asBool == false)
            // Anonymous meta routes stay open.
            #expect(try await api.send(.get, "/healthz").status == 200)
        }
    }

    @Test("worker keys cannot post tasks, create workers, deposit or list workers; owner keys cannot claim, submit or vote")
    func wrongKindOfKey() async throws {
        try await withAPI { api in
            let requester = try await api.requester()
            let worker = try await api.soloWorker("worker")
            let me = try await api.send(.get, "/v1/me", key: worker.key)
            #expect(me["kind"]?.stringValue == "worker")
            #expect(me["worker"]?["id"]?.asInt == worker.id)

            let post = try await api.send(.post, "/v1/tasks", key: worker.key, json: #"{"task_type": "t", "title": "t", "reward_micro_usdt": 1000}"#)
            api.expectError(post, 403, "forbidden")
            let create = try await api.send(.post, "/v1/workers", key: worker.key, json: #"{"name": "sub", "kind": "agent"}"#)
            api.expectError(create, 403, "forbidden")
            api.expectError(try await api.send(.post, "/v1/wallet/deposits", key: worker.key, json: #"{"amount_micro_usdt": 5}"#), 403, "forbidden")
            api.expectError(try await api.send(.get, "/v1/workers", key: worker.key), 403, "forbidden")

            api.expectError(try await api.send(.post, "/v1/claims", key: requester.key, json: #"{"task_type": "social.like"}"#), 403, "forbidden")
            api.expectError(try await api.send(.post, "/v1/workers/heartbeat", key: requester.key, json: #"{"status": "idle"}"#), 403, "forbidden")
            api.expectError(try await api.send(.post, "/v1/claims/1/submit", key: requester.key, json: #"{"result": 1}"#), 403, "forbidden")
            api.expectError(try await api.send(.post, "/v1/claims/1/vote", key: requester.key, json: #"{"verdict": "approve"}"#), 403, "forbidden")

            // A worker may not claim with capabilities it has not registered.
            let caps = try await api.send(.post, "/v1/claims", key: worker.key, json: #"{"task_type": "social.like", "capabilities": ["gpu"]}"#)
            api.expectError(caps, 403, "forbidden")
            // Nothing was posted by the refused calls.
            #expect(try await api.send(.get, "/v1/tasks", key: requester.key)["tasks"]?.asArray?.isEmpty == true)
        }
    }

    @Test("other requesters cannot see private tasks (404) or cancel anyone's task; workers see only their own owner's workers")
    func ownership() async throws {
        try await withAPI { api in
            let alice = try await api.requester("alice")
            let bob = try await api.requester("bob")
            let worker = try await api.soloWorker("worker")
            let secret = try await api.postTask(alice, title: "Private", extra: ["visibility": .string("private")])
            let secretID = try #require(secret["id"]?.asInt)
            let open = try await api.postTask(alice, title: "Public")
            let openID = try #require(open["id"]?.asInt)

            api.expectError(try await api.send(.get, "/v1/tasks/\(secretID)", key: bob.key), 404, "not_found")
            api.expectError(try await api.send(.get, "/v1/tasks/\(secretID)/submissions", key: bob.key), 404, "not_found")
            api.expectError(try await api.send(.post, "/v1/tasks/\(secretID)/cancel", key: bob.key), 404, "not_found")
            api.expectError(try await api.send(.get, "/v1/tasks/\(secretID)", key: worker.key), 404, "not_found")
            #expect(try await api.send(.get, "/v1/tasks/\(secretID)", key: alice.key).status == 200)
            // A private task is not listed for workers; a public one is.
            let listed = try await api.send(.get, "/v1/tasks", key: worker.key)
            #expect(listed["tasks"]?.asArray?.compactMap { $0["id"]?.asInt } == [openID])

            // A public task is visible to bob, but not his to cancel or to inspect.
            #expect(try await api.send(.get, "/v1/tasks/\(openID)", key: bob.key).status == 200)
            api.expectError(try await api.send(.post, "/v1/tasks/\(openID)/cancel", key: bob.key), 403, "forbidden")
            api.expectError(try await api.send(.get, "/v1/tasks/\(openID)/submissions", key: bob.key), 403, "forbidden")
            api.expectError(try await api.send(.post, "/v1/tasks/\(openID)/cancel", key: worker.key), 403, "forbidden")
            #expect(try await api.send(.get, "/v1/tasks/\(openID)", key: alice.key)["state"]?.stringValue == "open")
            #expect(try await api.send(.get, "/v1/tasks", key: bob.key)["tasks"]?.asArray?.isEmpty == true)

            // Bob cannot credit alice, nor see her workers.
            let credit = try await api.send(.post, "/v1/wallet/deposits", key: bob.key, json: #"{"amount_micro_usdt": 5, "owner_id": \#(alice.id)}"#)
            api.expectError(credit, 403, "forbidden")
            api.expectError(try await api.send(.get, "/v1/workers/\(worker.id)", key: bob.key), 404, "not_found")
            #expect(try await api.send(.get, "/v1/workers/\(worker.id)", key: worker.owner.key).status == 200)

            // Someone else's claim is not yours to heartbeat, release or submit.
            let claim = try await api.claim(worker, "social.like")
            let claimID = try #require(claim["claim_id"]?.asInt)
            let thief = try await api.soloWorker("thief")
            api.expectError(try await api.send(.post, "/v1/claims/\(claimID)/heartbeat", key: thief.key), 403, "forbidden")
            api.expectError(try await api.send(.post, "/v1/claims/\(claimID)/release", key: thief.key), 403, "forbidden")
            api.expectError(try await api.send(.post, "/v1/claims/\(claimID)/submit", key: thief.key, json: #"{"result": 1}"#), 403, "forbidden")
            api.expectError(try await api.send(.post, "/v1/claims/424242/heartbeat", key: thief.key), 404, "not_found")
        }
    }

    @Test("a submitter never gets a verification slot of its own work, nor does another worker of its owner")
    func noSelfVerification() async throws {
        try await withAPI { api in
            let requester = try await api.requester()
            let team = try await api.signUp("team")
            let worker = try await api.createWorker(team, "doer")
            let teammate = try await api.createWorker(team, "mate", kind: "human")
            let outsider = try await api.soloWorker("outsider")
            try await api.postTask(requester, extra: ["verification": .object(["verifiers": .int(1), "quorum": .int(1)])])
            let claim = try await api.claim(worker, "social.like")
            let claimID = try #require(claim["claim_id"]?.asInt)
            let submission = try await api.send(.post, "/v1/claims/\(claimID)/submit", key: worker.key, json: #"{"result": {"ok": true}}"#)
            #expect(submission.status == 201)

            // The submitter and its teammate find no slot (204); an outsider gets it.
            #expect(try await api.claim(worker, "verify").status == 204)
            #expect(try await api.claim(teammate, "verify").status == 204)
            // Voting on its own work claim is not a vote.
            let selfVote = try await api.send(.post, "/v1/claims/\(claimID)/vote", key: worker.key, json: #"{"verdict": "approve"}"#)
            #expect(selfVote.status == 400 || selfVote.status == 409, "\(selfVote.status) \(selfVote.text)")
            let slot = try await api.claim(outsider, "verify")
            #expect(slot.status == 201)
            // The slot is the outsider's: the submitter cannot vote on it either.
            let slotID = try #require(slot["claim_id"]?.asInt)
            api.expectError(try await api.send(.post, "/v1/claims/\(slotID)/vote", key: worker.key, json: #"{"verdict": "approve"}"#), 403, "forbidden")
            #expect(try await api.send(.post, "/v1/claims/\(slotID)/vote", key: outsider.key, json: #"{"verdict": "approve"}"#).status == 201)
            // The submitter's votes-listing shows only the outsider's vote.
            let votes = try await api.send(.get, "/v1/submissions/\(try #require(submission["id"]?.asInt))/votes", key: worker.key)
            #expect(votes["votes"]?.asArray?.compactMap { $0["verifier_id"]?.asInt } == [outsider.id])
        }
    }

    @Test("admin routes: 403 for members and workers, working for an admin")
    func adminRoutes() async throws {
        try await withAPI { api in
            let member = try await api.requester("member")
            let worker = try await api.soloWorker("worker")
            let admin = try await api.admin()

            for key in [member.key, worker.key] {
                api.expectError(try await api.send(.post, "/v1/admin/workers/\(worker.id)/suspend", key: key), 403, "forbidden")
                api.expectError(try await api.send(.post, "/v1/admin/workers/\(worker.id)/unsuspend", key: key), 403, "forbidden")
                api.expectError(try await api.send(.get, "/v1/admin/ledger", key: key), 403, "forbidden")
            }
            #expect(try await api.send(.get, "/v1/me", key: worker.key).status == 200)

            let me = try await api.send(.get, "/v1/me", key: admin.key)
            #expect(me["is_admin"]?.asBool == true)
            let ledger = try await api.send(.get, "/v1/admin/ledger", key: admin.key)
            #expect(ledger.status == 200)
            #expect(ledger["balanced"]?.asBool == true)
            #expect(ledger["deposits_micro_usdt"]?.asInt == 100_000_000)
            // An admin sees every worker and may credit any owner.
            #expect(try await api.send(.get, "/v1/workers", key: admin.key)["workers"]?.asArray?.count == 1)
            let credit = try await api.send(.post, "/v1/wallet/deposits", key: admin.key, json: #"{"amount_micro_usdt": 5, "owner_id": \#(member.id)}"#)
            #expect(credit.status == 201)
            #expect(credit["available_micro_usdt"]?.asInt == 100_000_005)
            api.expectError(try await api.send(.post, "/v1/admin/workers/999999/suspend", key: admin.key), 404, "not_found")

            // Suspension: the worker's key is refused at once with worker_suspended.
            let suspended = try await api.send(.post, "/v1/admin/workers/\(worker.id)/suspend", key: admin.key)
            #expect(suspended.status == 200)
            #expect(suspended["suspended"]?.asBool == true)
            api.expectError(try await api.send(.get, "/v1/me", key: worker.key), 403, "worker_suspended")
            api.expectError(try await api.send(.post, "/v1/claims", key: worker.key, json: #"{"task_type": "social.like"}"#), 403, "worker_suspended")
            api.expectError(try await api.send(.get, "/v1/wallet", key: worker.key), 403, "worker_suspended")
            // Its owner still works, and sees the suspension.
            #expect(try await api.send(.get, "/v1/workers/\(worker.id)", key: worker.owner.key)["suspended"]?.asBool == true)

            // Lifting it lets the key back in.
            let lifted = try await api.send(.post, "/v1/admin/workers/\(worker.id)/unsuspend", key: admin.key)
            #expect(lifted["suspended"]?.asBool == false)
            #expect(try await api.send(.get, "/v1/me", key: worker.key).status == 200)
        }
    }

    @Test("sign-up can be closed")
    func signupClosed() async throws {
        try await withAPI(configure: { $0.allowSignup = false }) { api in
            api.expectError(try await api.send(.post, "/v1/owners", json: #"{"name": "late"}"#), 403, "forbidden")
        }
    }
}
