/// The fee of paying many recipients in batches against paying each on its own: what the payout
/// dispatcher weighs and `workhive bench payouts` reports.
public struct BatchCostModel: Sendable, Hashable {
    public var fees: FeeModel

    public init(fees: FeeModel = FeeModel()) { self.fees = fees }

    public struct Comparison: Sendable, Hashable {
        public let network: PayoutNetwork
        public let recipients: Int
        /// Transactions needed when batched (recipients split at the network's maximum batch size).
        public let batchTransactions: Int
        public let batchedFeeMicroUSDT: Int64
        public let unbatchedFeeMicroUSDT: Int64
        public var savedMicroUSDT: Int64 { unbatchedFeeMicroUSDT - batchedFeeMicroUSDT }
    }

    /// Compares one batch run for `holders` + `newHolders` recipients on `network` with one transfer
    /// each. New holders are spread over the batches in proportion, so every batch has the same mix.
    public func compare(on network: PayoutNetwork, holders: Int, newHolders: Int) -> Comparison {
        precondition(holders >= 0 && newHolders >= 0, "counts are not negative")
        let total = holders + newHolders
        guard total > 0 else {
            return Comparison(network: network, recipients: 0, batchTransactions: 0, batchedFeeMicroUSDT: 0, unbatchedFeeMicroUSDT: 0)
        }
        let unbatched = Int64(holders) * fees.transfer(on: network, to: .holder).feeMicroUSDT
            + Int64(newHolders) * fees.transfer(on: network, to: .newHolder).feeMicroUSDT
        let maxSize = fees.schedule.maxBatchSize(network)
        let batches = (total + maxSize - 1) / maxSize
        var batched: Int64 = 0
        var holdersLeft = holders, newLeft = newHolders
        for b in 0..<batches {
            let size = total / batches + (b < total % batches ? 1 : 0)
            let newInBatch = b == batches - 1 ? newLeft : min(newLeft, (newHolders * size + total - 1) / total)
            let holdersInBatch = size - newInBatch
            let fee = holdersInBatch + newInBatch == 1
                // A batch of one is an ordinary transfer: no multisend overhead.
                ? fees.transfer(on: network, to: newInBatch == 1 ? .newHolder : .holder)
                : fees.batch(on: network, holders: holdersInBatch, newHolders: newInBatch)
            batched += fee.feeMicroUSDT
            holdersLeft -= holdersInBatch
            newLeft -= newInBatch
        }
        precondition(holdersLeft == 0 && newLeft == 0, "every recipient is in one batch")
        return Comparison(
            network: network, recipients: total, batchTransactions: batches,
            batchedFeeMicroUSDT: batched, unbatchedFeeMicroUSDT: unbatched)
    }

    /// The smallest batch size at which batching is cheaper per recipient than single transfers
    /// (recipients of one kind), or nil if it never is within the maximum batch size.
    public func breakEvenBatchSize(on network: PayoutNetwork, recipient: RecipientKind) -> Int? {
        let maxSize = fees.schedule.maxBatchSize(network)
        guard maxSize >= 2 else { return nil }
        for n in 2...maxSize {
            let c = recipient == .holder ? compare(on: network, holders: n, newHolders: 0) : compare(on: network, holders: 0, newHolders: n)
            if c.batchedFeeMicroUSDT < c.unbatchedFeeMicroUSDT { return n }
        }
        return nil
    }
}
