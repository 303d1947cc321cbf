import WorkhiveChains
import WorkhiveCore

extension Marketplace {
    /// Sets (or replaces) the calling worker's payout address on `network`, after validating it for that
    /// network. A bad address is refused with `invalid_address` and a message naming what is wrong.
    public func setPayoutAddress(_ principal: Principal, network name: String, address: String) async throws -> PayoutAddressView {
        let (worker, _, _) = try principal.requireWorker(for: "set a payout address")
        let network = try Self.payoutNetwork(name)
        let validated: PayoutAddress
        do {
            validated = try PayoutAddress.validate(network: network, string: address, mainnet: configuration.payouts.mainnet)
        } catch {
            throw WorkhiveError(.invalidAddress, "\(error.message) (\(error.code))")
        }
        let now = self.now()
        return try await transact { tx, _ in
            try await tx.execute("""
                INSERT INTO payout_addresses (worker_id, network, address, updated_at) VALUES (?, ?, ?, ?)
                ON CONFLICT (worker_id, network) DO UPDATE SET address = excluded.address, updated_at = excluded.updated_at
                """, worker, network.rawValue, validated.normalized, now)
            return PayoutAddressView(network: network.rawValue, address: validated.normalized, updatedAtMillis: now)
        }
    }

    /// Removes the calling worker's address on `network`; payouts already queued keep theirs.
    public func removePayoutAddress(_ principal: Principal, network name: String) async throws {
        let (worker, _, _) = try principal.requireWorker(for: "remove a payout address")
        let network = try Self.payoutNetwork(name)
        let removed = try await transact { tx, _ in
            try await tx.execute("DELETE FROM payout_addresses WHERE worker_id = ? AND network = ?", worker, network.rawValue)
        }
        guard removed == 1 else { throw WorkhiveError.notFound("\(network.rawValue) payout address") }
    }

    /// Sets how the calling worker's payouts pick a network: "none", "low_fee" or a network name.
    public func setPayoutPreference(_ principal: Principal, _ text: String) async throws -> PayoutAddressesView {
        let (worker, _, _) = try principal.requireWorker(for: "set a payout preference")
        guard let preference = NetworkPreference(rawValue: text) else {
            throw WorkhiveError.invalid("preference must be none, low_fee or one of \(PayoutNetwork.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let now = self.now()
        try await transact { tx, _ in
            try await tx.execute("""
                INSERT INTO payout_preferences (worker_id, preference, updated_at) VALUES (?, ?, ?)
                ON CONFLICT (worker_id) DO UPDATE SET preference = excluded.preference, updated_at = excluded.updated_at
                """, worker, preference.rawValue, now)
        }
        return try await payoutAddresses(principal)
    }

    /// The calling worker's payout addresses and preference; an owner names one of its workers.
    public func payoutAddresses(_ principal: Principal, worker requested: WorkerID? = nil) async throws -> PayoutAddressesView {
        let worker = try await payoutSubject(principal, requested)
        return try await read { tx in
            let addresses = try await tx.query(
                "SELECT network, address, updated_at FROM payout_addresses WHERE worker_id = ? ORDER BY network", worker
            ).map { PayoutAddressView(network: $0.text(0), address: $0.text(1), updatedAtMillis: $0.int(2)) }
            let preference = try await Self.payoutPreference(of: worker, tx)
            return PayoutAddressesView(
                workerId: worker, addresses: addresses.sorted { (PayoutNetwork(rawValue: $0.network)!) < PayoutNetwork(rawValue: $1.network)! },
                preference: preference.rawValue)
        }
    }

    // MARK: Helpers

    static func payoutNetwork(_ name: String) throws -> PayoutNetwork {
        guard let network = PayoutNetwork(rawValue: name) else {
            throw WorkhiveError.invalid("unknown network '\(name)'; networks are \(PayoutNetwork.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return network
    }

    static func payoutPreference(of worker: WorkerID, _ tx: any SQLExecutor) async throws -> NetworkPreference {
        let text = try await tx.queryOne("SELECT preference FROM payout_preferences WHERE worker_id = ?", worker)?.text(0)
        return text.flatMap(NetworkPreference.init(rawValue:)) ?? NetworkPreference.none
    }

    /// Whose payouts a caller may see: a worker its own; an owner one of its workers (named); an admin any.
    func payoutSubject(_ principal: Principal, _ requested: WorkerID?) async throws -> WorkerID {
        if case .worker(let id, _, _) = principal {
            guard requested == nil || requested == id else { throw WorkhiveError.notFound("worker \(requested!)") }
            return id
        }
        guard let requested else { throw WorkhiveError.invalid("an owner key must name the worker (worker_id)") }
        _ = try await worker(principal, id: requested)  // not_found unless it is the owner's (or an admin asks)
        return requested
    }
}
