// Payout addresses and payouts: a worker key sets its addresses and withdraws; an owner key lists its
// workers' payouts.

extension WorkhiveClient {
    /// `PUT /v1/wallet/addresses/{network}` (worker key): sets the payout address on a network; the
    /// answer carries the normalized address. A bad address throws `invalid_address`.
    @discardableResult
    public func setPayoutAddress(network: String, address: String) async throws -> PayoutAddress {
        try await call("PUT", "/v1/wallet/addresses/\(Self.escape(network))", json: JSON.object(["address": .string(address)]))
    }

    /// `GET /v1/wallet/addresses`: the worker's addresses and preference (an owner names `workerID`).
    public func payoutAddresses(workerID: Int64? = nil) async throws -> PayoutAddresses {
        try await call("GET", "/v1/wallet/addresses", query: [("worker_id", workerID.map(String.init))])
    }

    /// `PUT /v1/wallet/preference` (worker key): "none", "low_fee" or a network.
    @discardableResult
    public func setPayoutPreference(_ preference: String) async throws -> PayoutAddresses {
        try await call("PUT", "/v1/wallet/preference", json: JSON.object(["preference": .string(preference)]))
    }

    /// `POST /v1/payouts` (worker key): withdraws `amountMicroUSDT`, on `network` or the one chosen for
    /// it. With an idempotency key, a retry returns the first payout.
    public func withdraw(amountMicroUSDT: Int64, network: String? = nil, idempotencyKey: String? = nil) async throws -> Payout {
        var body: [String: JSON] = ["amount_micro_usdt": .int(amountMicroUSDT)]
        if let network { body["network"] = .string(network) }
        return try await call("POST", "/v1/payouts", json: JSON.object(body), headers: idempotencyKey.map { [("Idempotency-Key", $0)] } ?? [])
    }

    /// `GET /v1/payouts`: newest first.
    public func payouts(workerID: Int64? = nil, state: String? = nil, limit: Int? = nil) async throws -> [Payout] {
        struct List: Decodable { var payouts: [Payout] }
        return try await call("GET", "/v1/payouts", query: [
            ("worker_id", workerID.map(String.init)), ("state", state), ("limit", limit.map(String.init)),
        ], as: List.self).payouts
    }

    /// `GET /v1/payouts/{id}`.
    public func payout(id: Int64) async throws -> Payout {
        try await call("GET", "/v1/payouts/\(id)")
    }
}
