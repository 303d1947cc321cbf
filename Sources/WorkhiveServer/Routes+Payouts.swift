import Hummingbird
import WorkhiveCore
import WorkhiveEngine

/// Payout addresses, the network preference and payouts (docs/api.md, "Payouts").
extension APIRoutes {
    func registerPayouts(on v1: RouterGroup<WorkhiveRequestContext>) {
        let m = marketplace
        v1.get("wallet/addresses") { request, context in
            let p = try context.requirePrincipal()
            return try JSONBody.response(try await m.payoutAddresses(p, worker: try Self.workerQuery(request)))
        }
        v1.put("wallet/addresses/:network") { request, context in
            let p = try context.requirePrincipal()
            let body = try await JSONBody.decode(SetPayoutAddressRequest.self, from: request)
            return try JSONBody.response(try await m.setPayoutAddress(p, network: context.parameters.get("network") ?? "", address: body.address))
        }
        v1.delete("wallet/addresses/:network") { _, context in
            try await m.removePayoutAddress(try context.requirePrincipal(), network: context.parameters.get("network") ?? "")
            return noContent()
        }
        v1.put("wallet/preference") { request, context in
            let p = try context.requirePrincipal()
            let body = try await JSONBody.decode(SetPayoutPreferenceRequest.self, from: request)
            return try JSONBody.response(try await m.setPayoutPreference(p, body.preference))
        }
        v1.post("payouts") { request, context in
            let p = try context.requirePrincipal()
            let body = try await JSONBody.decode(PayoutRequest.self, from: request)
            let payout = try await m.requestPayout(
                p, amountMicroUSDT: body.amountMicroUSDT, network: body.network, idempotencyKey: request.headers[.idempotencyKey])
            return try JSONBody.response(payout, status: .created)
        }
        v1.get("payouts") { request, context in
            let p = try context.requirePrincipal()
            let q = request.uri.queryParameters
            let state = try q["state"].map { s in
                guard let state = PayoutState(rawValue: String(s)) else { throw WorkhiveError.invalid("unknown payout state '\(s)'") }
                return state
            }
            let limit = try Self.limitQuery(request)
            return try JSONBody.response(PayoutList(payouts: try await m.payouts(p, worker: try Self.workerQuery(request), state: state, limit: limit)))
        }
        v1.get("payouts/:id") { _, context in
            try JSONBody.response(try await m.payout(try context.requirePrincipal(), id: try context.id("id")))
        }
    }

    /// The `limit` query parameter of a list route: a positive integer, 50 when absent.
    static func limitQuery(_ request: Request) throws -> Int {
        try request.uri.queryParameters["limit"].map { l in
            guard let n = Int(l), n > 0 else { throw WorkhiveError.invalid("limit must be a positive integer") }
            return n
        } ?? 50
    }

    static func workerQuery(_ request: Request) throws -> WorkerID? {
        try request.uri.queryParameters["worker_id"].map { w in
            guard let n = Int64(w) else { throw WorkhiveError.invalid("worker_id must be a worker id") }
            return WorkerID(n)
        }
    }
}

struct PayoutList: Encodable { var payouts: [PayoutView] }

struct SetPayoutAddressRequest: Decodable {
    var address: String
}

struct SetPayoutPreferenceRequest: Decodable {
    var preference: String
}

struct PayoutRequest: Decodable {
    var amountMicroUSDT: Int64
    var network: String?
    enum CodingKeys: String, CodingKey {
        case amountMicroUSDT = "amount_micro_usdt"
        case network
    }
}
