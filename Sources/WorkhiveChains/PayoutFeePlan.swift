/// What a set of payouts costs paid one by one on a single network, against choosing each payout's
/// network and batching per network: the comparison `workhive bench payouts` reports.
public struct PayoutFeePlan: Sendable, Hashable {
    public struct NetworkTotals: Sendable, Hashable {
        public var payouts = 0
        public var transactions = 0
        public var batchedFeeMicroUSDT: Int64 = 0
        public var unbatchedFeeMicroUSDT: Int64 = 0
    }

    public let payouts: Int
    public let baselineNetwork: PayoutNetwork
    /// Every payout alone on `baselineNetwork`.
    public let baselineFeeMicroUSDT: Int64
    /// Every payout alone on its chosen network.
    public let chosenUnbatchedFeeMicroUSDT: Int64
    /// Chosen networks, payouts batched per network.
    public let chosenBatchedFeeMicroUSDT: Int64
    public let perNetwork: [PayoutNetwork: NetworkTotals]
    /// Payouts whose chosen network's fee was over the policy's share of the amount.
    public let overFeeCap: Int

    public var savedByChoiceMicroUSDT: Int64 { baselineFeeMicroUSDT - chosenUnbatchedFeeMicroUSDT }
    public var savedByBatchingMicroUSDT: Int64 { chosenUnbatchedFeeMicroUSDT - chosenBatchedFeeMicroUSDT }
    public var savedMicroUSDT: Int64 { baselineFeeMicroUSDT - chosenBatchedFeeMicroUSDT }

    /// Plans `requests`. The baseline assumes the worker could be paid on `baselineNetwork` (as a
    /// platform paying only there would require), a holder there when the request says so.
    public init(
        _ requests: [NetworkChoiceRequest], baseline: PayoutNetwork, chooser: NetworkChooser, batching: BatchCostModel
    ) throws(NetworkChoiceError) {
        var baselineFee: Int64 = 0, unbatched: Int64 = 0, overCap = 0
        var kinds: [PayoutNetwork: (holders: Int, newHolders: Int)] = [:]
        for request in requests {
            let kind: RecipientKind = request.holdsUSDTOn.contains(baseline) ? .holder : .newHolder
            baselineFee += chooser.fees.transfer(on: baseline, to: kind).feeMicroUSDT
            let choice = try chooser.choose(request)
            unbatched += choice.estimatedFeeMicroUSDT
            if !choice.withinFeeCap { overCap += 1 }
            var k = kinds[choice.network] ?? (0, 0)
            if request.holdsUSDTOn.contains(choice.network) { k.holders += 1 } else { k.newHolders += 1 }
            kinds[choice.network] = k
        }
        var perNetwork: [PayoutNetwork: NetworkTotals] = [:]
        var batched: Int64 = 0
        for (network, k) in kinds {
            let c = batching.compare(on: network, holders: k.holders, newHolders: k.newHolders)
            perNetwork[network] = NetworkTotals(
                payouts: c.recipients, transactions: c.batchTransactions,
                batchedFeeMicroUSDT: c.batchedFeeMicroUSDT, unbatchedFeeMicroUSDT: c.unbatchedFeeMicroUSDT)
            batched += c.batchedFeeMicroUSDT
        }
        payouts = requests.count
        baselineNetwork = baseline
        baselineFeeMicroUSDT = baselineFee
        chosenUnbatchedFeeMicroUSDT = unbatched
        chosenBatchedFeeMicroUSDT = batched
        self.perNetwork = perNetwork
        self.overFeeCap = overCap
    }
}
