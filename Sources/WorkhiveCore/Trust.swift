import Foundation

/// What the platform believes about one worker in one role on one task type: a Beta posterior over
/// the probability that its answer (a vote, or submitted work) is right. `correct` and `incorrect`
/// are the evidence only, in soft counts; the prior comes from the `TrustPolicy`, so changing the
/// prior never rewrites stored evidence.
///
/// The evidence is collected online, one-coin Dawid–Skene style: when a verdict lands, every voter is
/// credited with the posterior probability that its vote was right given all the votes (the E-step),
/// and its Beta absorbs that fraction (the M-step, as assumed-density filtering: the mixture
/// q·Beta(a+1, b) + (1-q)·Beta(a, b+1) replaced by Beta(a+q, b+1-q), which keeps its mean). A vote
/// that nothing else corroborates therefore leaves the estimate where it was; gold tasks and human
/// spot-checks, whose answer is known, count in full.
public struct Reputation: Sendable, Equatable, Codable {
    public var correct: Double
    public var incorrect: Double
    /// How many verdicts contributed (whole events, not soft counts).
    public var observations: Int

    public init(correct: Double = 0, incorrect: Double = 0, observations: Int = 0) {
        self.correct = correct
        self.incorrect = incorrect
        self.observations = observations
    }

    /// Absorbs one verdict: `probabilityRight` is the posterior probability that this worker's answer
    /// was the true one.
    public mutating func record(probabilityRight q: Double) {
        let q = q.isFinite ? min(1, max(0, q)) : 0.5
        correct += q
        incorrect += 1 - q
        observations += 1
    }
}

/// Whose answer a reputation judges.
public enum ReputationRole: String, Sendable, Codable, CaseIterable {
    /// Votes on verification slots of a task type.
    case verifier
    /// Work submitted on a task type.
    case worker
}

/// The platform's trust settings: the prior for new workers, and when a verifier is quarantined.
public struct TrustPolicy: Sendable, Equatable {
    /// Beta prior pseudo-counts: Beta(3, 1) starts a new worker at 0.75 with the weight of 4 verdicts.
    public var priorCorrect: Double
    public var priorIncorrect: Double
    /// Prior probability that a submission deserves approval, before any vote.
    public var approvePrior: Double
    /// A verifier whose accuracy is, with `quarantineZ` standard deviations of confidence, below this
    /// stops receiving verification slots of that task type.
    public var quarantineThreshold: Double
    public var quarantineZ: Double
    /// No quarantine on fewer verdicts than this.
    public var quarantineMinObservations: Int
    /// Vote weights use accuracies clamped to [0.5, maxAccuracy]: no vote is ever certain, and a
    /// verifier worse than a coin counts for nothing rather than being read backwards.
    public var maxAccuracy: Double

    public init(priorCorrect: Double = 3, priorIncorrect: Double = 1, approvePrior: Double = 0.5, quarantineThreshold: Double = 0.65,
                quarantineZ: Double = 1.645, quarantineMinObservations: Int = 10, maxAccuracy: Double = 0.99) {
        self.priorCorrect = priorCorrect
        self.priorIncorrect = priorIncorrect
        self.approvePrior = approvePrior
        self.quarantineThreshold = quarantineThreshold
        self.quarantineZ = quarantineZ
        self.quarantineMinObservations = quarantineMinObservations
        self.maxAccuracy = maxAccuracy
    }

    /// Posterior mean accuracy: (α₀ + correct) / (α₀ + β₀ + correct + incorrect).
    public func accuracy(_ r: Reputation) -> Double {
        (priorCorrect + r.correct) / (priorCorrect + priorIncorrect + r.correct + r.incorrect)
    }

    /// Posterior standard deviation of the accuracy.
    public func standardDeviation(_ r: Reputation) -> Double {
        let a = priorCorrect + r.correct, b = priorIncorrect + r.incorrect, n = a + b
        return (a * b / (n * n * (n + 1))).squareRoot()
    }

    /// The accuracy a vote is weighted with (see `maxAccuracy`).
    public func weight(_ r: Reputation) -> Double { min(maxAccuracy, max(0.5, accuracy(r))) }

    /// Why a verifier with this reputation must stop verifying, or nil. Quarantined when even the
    /// optimistic end of its posterior (mean + z·sd) is under the threshold.
    public func quarantineReason(_ r: Reputation, taskType: String) -> String? {
        guard r.observations >= quarantineMinObservations else { return nil }
        let mean = accuracy(r), upper = mean + quarantineZ * standardDeviation(r)
        guard upper < quarantineThreshold else { return nil }
        return "estimated accuracy verifying \(taskType) is \(Self.percent(mean)) over \(r.observations) verdicts, "
            + "below the \(Self.percent(quarantineThreshold)) threshold even at its optimistic bound (\(Self.percent(upper)))"
    }

    static func percent(_ x: Double) -> String { "\(Int((x * 1000).rounded()) / 10).\(Int((x * 1000).rounded()) % 10)%" }
}

/// One vote with the accuracy it is weighted by.
public struct WeightedVote: Sendable, Equatable {
    public var verdict: Verdict
    public var accuracy: Double
    public init(_ verdict: Verdict, accuracy: Double) {
        self.verdict = verdict
        self.accuracy = accuracy
    }
}

/// Weighted-vote posterior for a binary verdict under the one-coin model: each voter is right with
/// its accuracy p, independently, so a vote moves the log-odds of "approve" by ±log(p / (1 − p)).
public enum WeightedConsensus {
    /// P(the submission deserves approval | votes).
    public static func probabilityApprove(_ votes: [WeightedVote], approvePrior: Double = 0.5) -> Double {
        var logOdds = log(approvePrior / (1 - approvePrior))
        for v in votes {
            let p = min(max(v.accuracy, 1e-9), 1 - 1e-9)
            let llr = log(p / (1 - p))
            logOdds += v.verdict == .approve ? llr : -llr
        }
        return 1 / (1 + exp(-logOdds))
    }

    /// For each vote, the posterior probability that it was right given all the votes: what its
    /// voter's reputation absorbs when the verdict lands. With `truth` known (a gold task), 1 or 0.
    public static func probabilitiesRight(_ votes: [WeightedVote], approvePrior: Double = 0.5, truth: Outcome? = nil) -> [Double] {
        let pApprove: Double
        switch truth {
        case .approved: pApprove = 1
        case .rejected: pApprove = 0
        case nil: pApprove = probabilityApprove(votes, approvePrior: approvePrior)
        }
        return votes.map { $0.verdict == .approve ? pApprove : 1 - pApprove }
    }
}

/// The adaptive verification rule: open slots one at a time; stop once the leading verdict's
/// posterior reaches the target (and at least `minVotes` are in), or at `maxVotes` with whichever
/// verdict leads (a dead heat rejects: the work was not shown to be right).
public enum AdaptiveConsensus {
    public enum Step: Equatable, Sendable {
        case decided(Outcome, confidence: Double)
        case needMoreVotes(confidence: Double)
    }

    public static func step(_ votes: [WeightedVote], minVotes: Int, maxVotes: Int, targetConfidence: Double, approvePrior: Double = 0.5) -> Step {
        let pApprove = WeightedConsensus.probabilityApprove(votes, approvePrior: approvePrior)
        let leading: Outcome = pApprove > 0.5 ? .approved : .rejected
        let confidence = max(pApprove, 1 - pApprove)
        if votes.count >= minVotes && confidence >= targetConfidence { return .decided(leading, confidence: confidence) }
        if votes.count >= maxVotes { return .decided(leading, confidence: confidence) }
        return .needMoreVotes(confidence: confidence)
    }
}
