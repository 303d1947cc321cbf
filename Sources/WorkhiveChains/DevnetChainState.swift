/// The state of one simulated chain. Block contents keep an undo log so a reorg can take them back.
struct DevnetChainState {
    /// A transaction as the chain executes it, whatever format it came in.
    struct Parsed {
        let sender: String
        let nonce: UInt64
        let transfers: [DevnetTransaction.Transfer]
    }

    struct Entry {
        let raw: [UInt8]
        let parsed: Parsed
        var block: UInt64?  // nil while pending
        var succeeded = false
    }

    enum Undo {
        case balance(String, Int64?)
        case nonce(String, UInt64?)
        case fee(String, Int64?)
    }

    struct Block {
        let number: UInt64
        var transactions: [TransactionHash]
        var undo: [Undo]
    }

    let network: PayoutNetwork
    let parameters: DevnetChainParameters
    var fees: FeeModel
    var nextBlockAtMillis: Int64
    var faults: [DevnetFault] = []

    var balances: [String: Int64] = [:]
    var nonces: [String: UInt64] = [:]
    var feesPaid: [String: Int64] = [:]
    var known: [TransactionHash: Entry] = [:]
    var mempool: [TransactionHash] = []
    /// "sender nonce" of every pending transaction, so a competing one is refused without a mempool scan.
    var pendingNonces: Set<String> = []
    var blocks: [Block] = []

    init(network: PayoutNetwork, parameters: DevnetChainParameters, fees: FeeModel, firstBlockAtMillis: Int64) {
        self.network = network
        self.parameters = parameters
        self.fees = fees
        self.nextBlockAtMillis = firstBlockAtMillis
    }

    var head: UInt64 { UInt64(blocks.count) }

    // MARK: Accepting transactions

    func parse(_ raw: [UInt8]) throws(SettlementError) -> Parsed {
        switch raw.first {
        case EIP1559Transaction.typeByte?:
            guard let chain = EVMChain.forNetwork(network) else { throw .rejected("\(network) does not take EVM transactions") }
            let signed: SignedEIP1559Transaction
            do { signed = try SignedEIP1559Transaction(raw: raw) } catch { throw .rejected("malformed transaction: \(error)") }
            let tx = signed.transaction
            guard tx.chainID == chain.chainID else { throw .rejected("chain id \(tx.chainID) is not \(chain.chainID)") }
            guard tx.to == chain.usdtContract, tx.valueWei.isZero, let call = ERC20.decodeTransfer(tx.data) else {
                throw .rejected("only USDT transfer(address,uint256) calls are simulated")
            }
            let scale = (0..<(chain.usdtDecimals - 6)).reduce(UInt64(1)) { acc, _ in acc * 10 }
            let (micro, remainder) = call.amount.quotientAndRemainder(dividingBy: scale)
            guard remainder == 0, let amount = micro.uint64, amount > 0, amount <= UInt64(Int64.max) else {
                throw .rejected("amount is not a whole positive number of micro-USDT")
            }
            guard let sender = try? signed.recoverSender() else { throw .rejected("bad signature") }
            return Parsed(sender: sender.checksummed, nonce: tx.nonce, transfers: [.init(to: call.to.checksummed, amountMicroUSDT: Int64(amount))])
        case DevnetTransaction.typeByte?:
            let tx = try DevnetTransaction(encoded: raw)
            guard tx.network == network else { throw .rejected("a \(tx.network) transaction sent to \(network)") }
            guard tx.transfers.count <= fees.schedule.maxBatchSize(network) else {
                throw .rejected("\(tx.transfers.count) transfers exceed the batch limit of \(fees.schedule.maxBatchSize(network))")
            }
            return Parsed(sender: tx.sender, nonce: tx.nonce, transfers: tx.transfers)
        default:
            throw .rejected("unknown transaction type")
        }
    }

    /// Takes a broadcast into the mempool; the same bytes again answer the same hash ("already known").
    mutating func accept(_ raw: [UInt8], drop: Bool) throws(SettlementError) -> TransactionHash {
        let hash = TransactionHash(bytes: Keccak.hash256(raw))
        if known[hash] != nil { return hash }
        let parsed = try parse(raw)
        let expected = nonces[parsed.sender] ?? 0
        guard parsed.nonce >= expected else { throw .nonceTooLow(expected: expected, got: parsed.nonce) }
        guard !pendingNonces.contains(Self.key(parsed)) else {
            throw .rejected("another transaction with nonce \(parsed.nonce) is pending")
        }
        if drop { return hash }  // answered as accepted, then lost
        known[hash] = Entry(raw: raw, parsed: parsed)
        mempool.append(hash)
        pendingNonces.insert(Self.key(parsed))
        return hash
    }

    static func key(_ p: Parsed) -> String { "\(p.sender) \(p.nonce)" }

    func status(of hash: TransactionHash) -> TransactionStatus {
        guard let entry = known[hash] else { return .unknown }
        guard let block = entry.block else { return .pending }
        let confirmations = head - block + 1
        return .included(block: block, confirmations: confirmations, isFinal: confirmations >= parameters.finalityConfirmations, succeeded: entry.succeeded)
    }

    // MARK: Blocks

    mutating func produceBlock(rng: inout SplitMix64, revertPerMillion: UInt64) {
        nextBlockAtMillis += parameters.blockTimeMillis
        if let i = faults.firstIndex(where: { if case .reorgBeforeNextBlock = $0 { true } else { false } }),
           case .reorgBeforeNextBlock(let depth, let dropTransactions) = faults.remove(at: i) {
            reorganize(depth: depth, dropTransactions: dropTransactions)
        }
        var block = Block(number: head + 1, transactions: [], undo: [])
        // Take ready transactions (each sender's next nonce) in arrival order, until none is ready.
        var progress = true
        while progress && block.transactions.count < parameters.maxTransactionsPerBlock {
            progress = false
            for (i, hash) in mempool.enumerated() {
                let p = known[hash]!.parsed
                guard p.nonce == (nonces[p.sender] ?? 0) else { continue }
                mempool.remove(at: i)
                pendingNonces.remove(Self.key(p))
                execute(hash, in: &block, rng: &rng, revertPerMillion: revertPerMillion)
                progress = true
                break
            }
        }
        blocks.append(block)
    }

    private mutating func execute(_ hash: TransactionHash, in block: inout Block, rng: inout SplitMix64, revertPerMillion: UInt64) {
        let p = known[hash]!.parsed
        // The fee follows the fee model: a single transfer or a batch, holders vs new holders.
        let newHolders = p.transfers.filter { balances[$0.to] == nil }.count
        let holders = p.transfers.count - newHolders
        let fee = p.transfers.count == 1
            ? fees.transfer(on: network, to: newHolders == 1 ? .newHolder : .holder)
            : fees.batch(on: network, holders: holders, newHolders: newHolders)
        set(fee: (feesPaid[p.sender] ?? 0) + fee.feeMicroUSDT, of: p.sender, &block)
        set(nonce: p.nonce + 1, of: p.sender, &block)

        var revert = false
        if let i = faults.firstIndex(of: .revertNextTransaction) {
            faults.remove(at: i)
            revert = true
        } else if revertPerMillion > 0, rng.next() % 1_000_000 < revertPerMillion {
            revert = true
        }
        let total = p.transfers.reduce(Int64(0)) { $0 + $1.amountMicroUSDT }
        if (balances[p.sender] ?? 0) < total { revert = true }  // the token's own check
        if !revert {
            set(balance: balances[p.sender]! - total, of: p.sender, &block)
            for t in p.transfers { set(balance: (balances[t.to] ?? 0) + t.amountMicroUSDT, of: t.to, &block) }
        }
        known[hash]!.block = block.number
        known[hash]!.succeeded = !revert
        block.transactions.append(hash)
    }

    private mutating func set(balance: Int64, of account: String, _ block: inout Block) {
        block.undo.append(.balance(account, balances[account]))
        balances[account] = balance
    }
    private mutating func set(nonce: UInt64, of account: String, _ block: inout Block) {
        block.undo.append(.nonce(account, nonces[account]))
        nonces[account] = nonce
    }
    private mutating func set(fee: Int64, of account: String, _ block: inout Block) {
        block.undo.append(.fee(account, feesPaid[account]))
        feesPaid[account] = fee
    }

    /// Takes back up to `depth` top blocks that are not final.
    mutating func reorganize(depth: Int, dropTransactions: Bool) {
        // Block b is final when head - b + 1 >= finality, so the non-final ones are the top finality - 1.
        let nonFinal = Int(min(UInt64(blocks.count), parameters.finalityConfirmations - 1))
        var returned: [TransactionHash] = []
        for _ in 0..<min(depth, nonFinal) {
            let block = blocks.removeLast()
            for undo in block.undo.reversed() {
                switch undo {
                case .balance(let a, let v): balances[a] = v
                case .nonce(let a, let v): nonces[a] = v
                case .fee(let a, let v): feesPaid[a] = v
                }
            }
            returned = block.transactions + returned
        }
        for hash in returned {
            if dropTransactions {
                known[hash] = nil
            } else {
                known[hash]!.block = nil
                known[hash]!.succeeded = false
            }
        }
        if !dropTransactions {
            mempool = returned + mempool
            for hash in returned { pendingNonces.insert(Self.key(known[hash]!.parsed)) }
        }
    }

    func finalSuccessfulTransfers() -> [(hash: TransactionHash, transfers: [DevnetTransaction.Transfer])] {
        let finalHead = head + 1 >= parameters.finalityConfirmations ? head + 1 - parameters.finalityConfirmations : 0
        return blocks.prefix(Int(finalHead)).flatMap { block in
            block.transactions.compactMap { hash in known[hash]!.succeeded ? (hash, known[hash]!.parsed.transfers) : nil }
        }
    }
}
