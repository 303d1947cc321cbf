/// What the worker asked for when choosing a payout network.
public enum NetworkPreference: Sendable, Hashable, Codable {
    case none
    case lowFee
    case network(PayoutNetwork)

    /// Parses "", "none", "low_fee" or a network's raw value.
    public init?(rawValue: String) {
        switch rawValue {
        case "", "none": self = .none
        case "low_fee": self = .lowFee
        default:
            guard let network = PayoutNetwork(rawValue: rawValue) else { return nil }
            self = .network(network)
        }
    }

    public var rawValue: String {
        switch self {
        case .none: "none"
        case .lowFee: "low_fee"
        case .network(let n): n.rawValue
        }
    }
}

/// Limits the chooser applies on top of the fee models.
public struct NetworkChoicePolicy: Sendable, Hashable, Codable {
    /// Networks the platform pays out on at all.
    public var enabledNetworks: Set<PayoutNetwork>
    /// A network whose fee is above this share of the amount (basis points) is passed over for the
    /// cheapest one, even when the seed rule or the worker's preference names it.
    public var maxFeeShareBasisPoints: Int64
    /// Smallest payout per network; below it the network is not a candidate.
    public var minimumPayoutMicroUSDT: [PayoutNetwork: Int64]

    public init(
        enabledNetworks: Set<PayoutNetwork> = Set(PayoutNetwork.allCases), maxFeeShareBasisPoints: Int64 = 100,
        minimumPayoutMicroUSDT: [PayoutNetwork: Int64] = [:]
    ) {
        precondition(maxFeeShareBasisPoints >= 0, "a share is not negative")
        self.enabledNetworks = enabledNetworks
        self.maxFeeShareBasisPoints = maxFeeShareBasisPoints
        self.minimumPayoutMicroUSDT = minimumPayoutMicroUSDT
    }
}

/// One payout to place.
public struct NetworkChoiceRequest: Sendable, Hashable {
    public var amountMicroUSDT: Int64
    public var preference: NetworkPreference
    /// Networks the worker has a payout address on.
    public var addressNetworks: Set<PayoutNetwork>
    /// Networks where the worker's address already holds USDT; elsewhere the dearer new-holder
    /// transfer is assumed, so an unknown recipient is never underestimated.
    public var holdsUSDTOn: Set<PayoutNetwork>

    public init(amountMicroUSDT: Int64, preference: NetworkPreference = .none, addressNetworks: Set<PayoutNetwork>, holdsUSDTOn: Set<PayoutNetwork> = []) {
        self.amountMicroUSDT = amountMicroUSDT
        self.preference = preference
        self.addressNetworks = addressNetworks
        self.holdsUSDTOn = holdsUSDTOn
    }
}

/// The chosen network, what it should cost, and why: recorded on the payout.
public struct NetworkChoice: Sendable, Hashable {
    public enum Rule: String, Sendable, Hashable, Codable {
        /// The seed decision tree's network.
        case seedRule = "seed_rule"
        /// The network the worker named.
        case workerPreference = "worker_preference"
        /// The worker asked for low fees: the cheapest network.
        case lowestFee = "lowest_fee"
        /// The tree's (or preferred) network was unavailable or too dear: the cheapest instead.
        case cheapestFallback = "cheapest_fallback"
    }

    public let network: PayoutNetwork
    public let fee: FeeEstimate
    public let rule: Rule
    public let reason: String
    /// Whether the fee is within the policy's share of the amount (false only when every network is dearer).
    public let withinFeeCap: Bool

    public var estimatedFeeMicroUSDT: Int64 { fee.feeMicroUSDT }
}

public enum NetworkChoiceError: Error, Equatable, Sendable, CustomStringConvertible {
    case nonPositiveAmount
    /// The worker has no address on any enabled network.
    case noPayoutAddress
    /// Every network the worker has an address on needs a larger payout; the smallest minimum is given.
    case belowMinimum(minimumMicroUSDT: Int64)

    public var code: String {
        switch self {
        case .nonPositiveAmount: "invalid_amount"
        case .noPayoutAddress: "no_payout_address"
        case .belowMinimum: "below_minimum_payout"
        }
    }

    public var description: String {
        switch self {
        case .nonPositiveAmount: "a payout amount must be positive"
        case .noPayoutAddress: "the worker has no payout address on an enabled network"
        case .belowMinimum(let m): "the amount is below the minimum payout (\(USDTAmount.format(microUSDT: m)))"
        }
    }
}

/// Chooses the payout network: the seed's decision tree (under 1 USDT → TRC-20; preference "low_fee" →
/// BEP-20; over 100 USDT → Arbitrum; otherwise TON), refined by the fee models and the worker's
/// preference, and never a network the worker has no address on.
public struct NetworkChooser: Sendable, Hashable {
    public var fees: FeeModel
    public var policy: NetworkChoicePolicy

    public init(fees: FeeModel = FeeModel(), policy: NetworkChoicePolicy = NetworkChoicePolicy()) {
        self.fees = fees
        self.policy = policy
    }

    /// The seed decision tree alone, with the branch it took.
    public static func seedRule(amountMicroUSDT amount: Int64, preference: NetworkPreference) -> (network: PayoutNetwork, why: String) {
        if amount < 1_000_000 { return (.trc20, "amounts under 1 USDT go to TRC-20") }
        if preference == .lowFee { return (.bep20, "a low-fee preference goes to BEP-20") }
        if amount > 100_000_000 { return (.arbitrum, "amounts over 100 USDT go to Arbitrum") }
        return (.ton, "amounts from 1 to 100 USDT go to TON")
    }

    public func choose(_ request: NetworkChoiceRequest) throws(NetworkChoiceError) -> NetworkChoice {
        let amount = request.amountMicroUSDT
        guard amount > 0 else { throw .nonPositiveAmount }
        let withAddress = request.addressNetworks.intersection(policy.enabledNetworks)
        guard !withAddress.isEmpty else { throw .noPayoutAddress }
        let candidates = withAddress.filter { amount >= policy.minimumPayoutMicroUSDT[$0, default: 0] }
        guard !candidates.isEmpty else {
            throw .belowMinimum(minimumMicroUSDT: withAddress.map { policy.minimumPayoutMicroUSDT[$0, default: 0] }.min()!)
        }

        var estimates: [PayoutNetwork: FeeEstimate] = [:]
        for n in candidates {
            estimates[n] = fees.transfer(on: n, to: request.holdsUSDTOn.contains(n) ? .holder : .newHolder)
        }
        let (product, overflow) = amount.multipliedReportingOverflow(by: policy.maxFeeShareBasisPoints)
        let cap = overflow ? Int64.max : product / 10_000
        // Cheapest first; ties go to the fixed network order so the choice is deterministic.
        let cheapest = candidates.min { (estimates[$0]!.feeMicroUSDT, $0) < (estimates[$1]!.feeMicroUSDT, $1) }!
        let money = { (n: PayoutNetwork) in USDTAmount.format(microUSDT: estimates[n]!.feeMicroUSDT) }
        let capText = "\(policy.maxFeeShareBasisPoints / 100).\(String(format2: policy.maxFeeShareBasisPoints % 100))% of \(USDTAmount.format(microUSDT: amount))"

        func choice(_ n: PayoutNetwork, _ rule: NetworkChoice.Rule, _ reason: String) -> NetworkChoice {
            NetworkChoice(network: n, fee: estimates[n]!, rule: rule, reason: reason, withinFeeCap: estimates[n]!.feeMicroUSDT <= cap)
        }
        func whyNot(_ n: PayoutNetwork) -> String {
            if !request.addressNetworks.contains(n) { return "the worker has no \(n) address" }
            if !policy.enabledNetworks.contains(n) { return "\(n) payouts are disabled" }
            if !candidates.contains(n) {
                return "the amount is below \(n)'s minimum payout of \(USDTAmount.format(microUSDT: policy.minimumPayoutMicroUSDT[n]!))"
            }
            return "its fee \(money(n)) is over \(capText)"
        }
        let fallback = "\(cheapest) is the cheapest network with an address (fee \(money(cheapest)))"

        var notes: [String] = []
        if case .network(let preferred) = request.preference {
            if candidates.contains(preferred) && estimates[preferred]!.feeMicroUSDT <= cap {
                return choice(preferred, .workerPreference, "the worker prefers \(preferred) (fee \(money(preferred)))")
            }
            notes.append("the worker prefers \(preferred) but \(whyNot(preferred))")
        }
        if request.preference == .lowFee {
            return choice(cheapest, .lowestFee, "the worker asked for low fees: \(fallback)")
        }
        let seed = Self.seedRule(amountMicroUSDT: amount, preference: request.preference)
        if candidates.contains(seed.network) && estimates[seed.network]!.feeMicroUSDT <= cap {
            return choice(seed.network, .seedRule, (notes + ["\(seed.why) (fee \(money(seed.network)))"]).joined(separator: "; "))
        }
        notes.append("\(seed.why) but \(whyNot(seed.network))")
        return choice(cheapest, .cheapestFallback, (notes + [fallback]).joined(separator: "; "))
    }
}

extension String {
    /// Two-digit zero-padded decimal, for basis-point percentages.
    init(format2 value: Int64) { self = value < 10 ? "0\(value)" : "\(value)" }
}
