public enum Verdict: String, Sendable, Codable, CaseIterable { case approve, reject }

/// The outcome of a submission once votes are counted.
public enum Outcome: String, Sendable, Codable { case approved, rejected }

public enum Consensus {
    /// k approvals approve; n-k+1 rejections reject; otherwise keep waiting.
    public static func decide(approvals: Int, rejections: Int, policy: VerificationPolicy) -> Outcome? {
        if policy.verifiers == 0 { return .approved }
        if approvals >= policy.quorum { return .approved }
        if rejections >= policy.rejectionsToReject { return .rejected }
        return nil
    }

    /// Whether a vote sides with the outcome, and so earns its verifier reward.
    public static func agrees(_ verdict: Verdict, with outcome: Outcome) -> Bool {
        switch (verdict, outcome) {
        case (.approve, .approved), (.reject, .rejected): true
        default: false
        }
    }
}

/// What happens to a work task after an event, decided here so every engine agrees.
public enum Lifecycle {
    public enum Next: Equatable, Sendable { case reopen, fail(reason: String), approve, reject }

    /// A lease ran out (or the worker released the claim): back to the queue while attempts remain.
    public static func afterLeaseLost(attempts: Int, maxAttempts: Int, countsAttempt: Bool) -> Next {
        if countsAttempt && attempts >= maxAttempts { return .fail(reason: "max_attempts_exhausted") }
        return .reopen
    }

    /// Consensus was reached on a submission.
    public static func afterOutcome(_ outcome: Outcome, attempts: Int, maxAttempts: Int) -> Next {
        switch outcome {
        case .approved: .approve
        case .rejected: attempts >= maxAttempts ? .reject : .reopen
        }
    }
}
