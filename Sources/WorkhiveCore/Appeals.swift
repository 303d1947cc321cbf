/// Appeals: a worker whose submission a panel rejected may have it judged once more, by a fresh
/// panel of its own (see docs/api.md, "Appeals"). The panel is three verifiers whatever the task's own
/// policy, with one slot for humans only, and sits apart from the first panel, the submitter's owner
/// and the requester's owner.
public enum AppealPanel {
    public static let verifiers = 3
    public static let quorum = 2
    /// Slots reserved for humans: an appeal is never decided by agents alone.
    public static let humanSlots = 1
    public static let maxReasonBytes = 2000

    /// An appeal is decided once every member of its panel has voted — so the human on it always
    /// votes, which an early 2-of-3 majority of agents would skip — by `quorum` approvals to overturn.
    public static func decide(approvals: Int, rejections: Int, verifiers: Int, quorum: Int) -> Outcome? {
        guard approvals + rejections >= verifiers else { return nil }
        return approvals >= quorum ? .approved : .rejected
    }

    /// Appeal slots a task's escrow funds: one panel per task, when the task is verified at all
    /// (work nobody verifies is never rejected by a panel).
    public static func slotsFunded(by verification: VerificationPolicy) -> Int { verification.verifiers > 0 ? verifiers : 0 }

    /// The appeal's slots in order: `true` reserves a slot for humans.
    public static var humanOnlySlots: [Bool] { (0..<verifiers).map { $0 < humanSlots } }
}

/// Where an appeal stands.
public enum AppealState: String, Sendable, Codable, CaseIterable {
    case pending
    /// The appeal panel approved the work: the submission is approved and paid.
    case overturned
    /// The appeal panel confirmed the rejection.
    case upheld
}
