/// What an account holds. Owner funds, worker earnings, task escrow and the platform fee account may
/// never be overdrawn; the deposits account is where outside money enters, so its debits exceed its
/// credits by everything ever deposited. Payouts move earnings to `payouts_in_flight` when queued, and
/// from there to `paid_out` (what reached the worker's address) and `network_fees` once confirmed.
public enum AccountKind: String, Sendable, Codable, CaseIterable {
    case funds, earnings, escrow, platformFee = "platform_fee", deposits
    case payoutsInFlight = "payouts_in_flight", paidOut = "paid_out", networkFees = "network_fees"

    public var mayGoNegative: Bool { self == .deposits }
}

/// TigerBeetle-style transfer kinds: `posted` moves money at once; `pending` reserves it (escrow hold);
/// `post` turns part of a pending transfer into a posted one; `void` releases what is left.
public enum TransferKind: String, Sendable, Codable { case posted, pending, post, void }

/// Why money moved; shown in wallet history.
public enum TransferReason: String, Sendable, Codable {
    case deposit, escrowHold = "escrow_hold", escrowDraw = "escrow_draw", escrowRelease = "escrow_release"
    case reward, verifierReward = "verifier_reward", platformFee = "platform_fee"
    /// Fleets: a master's delegation pool (parent escrow funding), what the pool did not spend, and a
    /// master's distribution of its earnings to its sub-agents.
    case delegationPool = "delegation_pool", delegationReturn = "delegation_return", fleetShare = "fleet_share"
    /// A payout queued (earnings → in flight), sent on chain (in flight → paid out), its network fee
    /// (in flight → network fees), or refunded after it finally failed (in flight → earnings).
    case payout, payoutSent = "payout_sent", networkFee = "network_fee", payoutRefund = "payout_refund"
}

/// The four running totals an account keeps; balances are derived from them.
public struct AccountTotals: Sendable, Equatable {
    public var debitsPending: Int64 = 0
    public var debitsPosted: Int64 = 0
    public var creditsPending: Int64 = 0
    public var creditsPosted: Int64 = 0

    public init(debitsPending: Int64 = 0, debitsPosted: Int64 = 0, creditsPending: Int64 = 0, creditsPosted: Int64 = 0) {
        self.debitsPending = debitsPending
        self.debitsPosted = debitsPosted
        self.creditsPending = creditsPending
        self.creditsPosted = creditsPosted
    }

    /// Posted balance of a credit-normal account.
    public var balance: Int64 { creditsPosted - debitsPosted }
    /// What may still be spent: the balance less what pending transfers hold.
    public var available: Int64 { creditsPosted - debitsPosted - debitsPending }
    public var isZero: Bool { self == AccountTotals() }

    public static func + (a: Self, b: Self) -> Self {
        .init(debitsPending: a.debitsPending + b.debitsPending, debitsPosted: a.debitsPosted + b.debitsPosted,
              creditsPending: a.creditsPending + b.creditsPending, creditsPosted: a.creditsPosted + b.creditsPosted)
    }
}

/// One transfer to be written.
public struct TransferDraft: Sendable, Equatable {
    public var kind: TransferKind
    public var debit: AccountID
    public var credit: AccountID
    public var amount: Int64
    public var reason: TransferReason
    public var taskID: TaskID?
    /// For post and void: the pending transfer they resolve.
    public var pendingID: TransferID?
    /// The payout a transfer belongs to, so the audit can match its legs to its state.
    public var payoutID: PayoutID?
}

/// Collects the transfers of one operation and the per-account total changes they imply, so the
/// engine writes every transfer in one statement and touches each account once.
public struct LedgerBatch: Sendable {
    public private(set) var transfers: [TransferDraft] = []
    public private(set) var deltas: [AccountID: AccountTotals] = [:]
    /// Order in which accounts were first touched, so updates run in a stable order.
    public private(set) var touched: [AccountID] = []

    public init() {}
    public var isEmpty: Bool { transfers.isEmpty }

    public mutating func posted(from debit: AccountID, to credit: AccountID, _ amount: Int64, _ reason: TransferReason, task: TaskID? = nil,
                                payout: PayoutID? = nil) {
        guard amount > 0 else { return }
        append(.init(kind: .posted, debit: debit, credit: credit, amount: amount, reason: reason, taskID: task, payoutID: payout))
        adjust(debit) { $0.debitsPosted += amount }
        adjust(credit) { $0.creditsPosted += amount }
    }

    public mutating func pending(from debit: AccountID, to credit: AccountID, _ amount: Int64, _ reason: TransferReason, task: TaskID? = nil) {
        precondition(amount > 0)
        append(.init(kind: .pending, debit: debit, credit: credit, amount: amount, reason: reason, taskID: task))
        adjust(debit) { $0.debitsPending += amount }
        adjust(credit) { $0.creditsPending += amount }
    }

    /// Posts `amount` of a pending transfer between the same two accounts.
    public mutating func post(pending: TransferID, from debit: AccountID, to credit: AccountID, _ amount: Int64, task: TaskID? = nil) {
        guard amount > 0 else { return }
        append(.init(kind: .post, debit: debit, credit: credit, amount: amount, reason: .escrowDraw, taskID: task, pendingID: pending))
        adjust(debit) { $0.debitsPending -= amount; $0.debitsPosted += amount }
        adjust(credit) { $0.creditsPending -= amount; $0.creditsPosted += amount }
    }

    /// Releases `amount` (what is left) of a pending transfer.
    public mutating func void(pending: TransferID, from debit: AccountID, to credit: AccountID, _ amount: Int64, task: TaskID? = nil) {
        guard amount > 0 else { return }
        append(.init(kind: .void, debit: debit, credit: credit, amount: amount, reason: .escrowRelease, taskID: task, pendingID: pending))
        adjust(debit) { $0.debitsPending -= amount }
        adjust(credit) { $0.creditsPending -= amount }
    }

    private mutating func append(_ t: TransferDraft) { transfers.append(t) }
    private mutating func adjust(_ account: AccountID, _ change: (inout AccountTotals) -> Void) {
        if deltas[account] == nil { touched.append(account) }
        change(&deltas[account, default: AccountTotals()])
    }
}
