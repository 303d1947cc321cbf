import WorkhiveChains
import WorkhiveCore

/// Payouts at a glance, for an admin: how many are in each state on each network, what they add up to,
/// and the latest ones.
public struct PayoutOverviewView: Sendable, Codable, Equatable {
    /// Payouts of one network in one state.
    public struct Group: Sendable, Codable, Equatable {
        public var network: String
        public var state: PayoutState
        public var count: Int
        /// What the workers asked for (fee included).
        public var amountMicroUSDT: Int64
        /// The quoted network fees charged to the workers.
        public var feeMicroUSDT: Int64
    }

    /// Every (network, state) pair that has payouts, networks in their fixed order, states in lifecycle order.
    public var groups: [Group]
    /// The newest payouts, newest first.
    public var recent: [PayoutView]

    public func count(_ state: PayoutState, on network: String? = nil) -> Int {
        groups.filter { $0.state == state && (network == nil || $0.network == network) }.reduce(0) { $0 + $1.count }
    }

    /// Sum of `value` over the groups in `states`.
    public func total(_ states: Set<PayoutState>, _ value: (Group) -> Int64) -> Int64 {
        groups.filter { states.contains($0.state) }.reduce(0) { $0 + value($1) }
    }

    /// Asked for and not final yet (queued, signed or broadcast).
    public var inFlightMicroUSDT: Int64 { total([.queued, .signed, .broadcast], \.amountMicroUSDT) }
    /// Reached the workers' addresses: confirmed amounts less their fees.
    public var paidOutMicroUSDT: Int64 { total([.confirmed]) { $0.amountMicroUSDT - $0.feeMicroUSDT } }
    /// Network fees of confirmed payouts.
    public var networkFeesMicroUSDT: Int64 { total([.confirmed], \.feeMicroUSDT) }
    /// Failed payouts, returned to the workers' balances.
    public var refundedMicroUSDT: Int64 { total([.failed], \.amountMicroUSDT) }
}

extension Marketplace {
    /// Counts and sums of every payout by network and state, and the `recentLimit` newest payouts. Admin only.
    public func payoutOverview(_ principal: Principal, recentLimit: Int = 20) async throws -> PayoutOverviewView {
        guard principal.isAdmin else { throw WorkhiveError.forbidden("only an admin can see every payout") }
        let limit = max(1, min(recentLimit, 500))
        return try await read { tx in
            let groups = try await tx.query(
                "SELECT network, state, COUNT(*), COALESCE(SUM(amount),0), COALESCE(SUM(fee),0) FROM payouts GROUP BY network, state", []
            ).compactMap { r -> PayoutOverviewView.Group? in
                guard let state = PayoutState(rawValue: r.text(1)) else { return nil }
                return PayoutOverviewView.Group(network: r.text(0), state: state, count: Int(r.int(2)), amountMicroUSDT: r.int(3), feeMicroUSDT: r.int(4))
            }
            let order = Dictionary(uniqueKeysWithValues: PayoutState.allCases.enumerated().map { ($1, $0) })
            let sorted = groups.sorted { a, b in
                let na = PayoutNetwork(rawValue: a.network), nb = PayoutNetwork(rawValue: b.network)
                if a.network != b.network {
                    switch (na, nb) {
                    case (let x?, let y?): return x < y
                    default: return a.network < b.network
                    }
                }
                return order[a.state]! < order[b.state]!
            }
            let recent = try await tx.query("SELECT \(Self.payoutColumns) FROM payouts p ORDER BY p.id DESC LIMIT ?", limit).map(Self.payoutView)
            return PayoutOverviewView(groups: sorted, recent: recent)
        }
    }
}
