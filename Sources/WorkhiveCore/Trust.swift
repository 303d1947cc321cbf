import Foundation

/// What the platform believes about one worker in one role on one task type: a Beta(α, β) posterior
/// over the probability that its answer (a vote, or submitted work) is right. A new worker starts at
/// the `TrustPolicy` prior.
///
/// Evidence is absorbed online, one-coin Dawid–Skene style, by assumed-density filtering: when a
/// verdict lands, `q` is the probability that the worker's answer was right given everything *but*
/// that answer (the other votes weighted by their verifiers' estimates, or the known answer of a gold
/// task). The exact posterior is then the mixture w·Beta(α+1, β) + (1−w)·Beta(α, β+1), with
/// w = q·m / (q·m + (1−q)(1−m)) and m the current mean, and it is replaced by the Beta with the same
/// mean and variance. So certain evidence (q = 0 or 1) counts as one whole verdict, and evidence that
/// says nothing (q = ½, e.g. a vote nobody else cast) changes nothing — a voter cannot vouch for itself.
public struct Reputation: Sendable, Equatable, Codable {
    public var alpha: Double
    public var beta: Double
    /// How many verdicts were absorbed (whole events, whatever they taught).
    public var observations: Int

    public init(alpha: Double, beta: Double, observations: Int = 0) {
        self.alpha = alpha
        self.beta = beta
        self.observations = observations
    }

    /// The posterior mean: the accuracy estimate.
    public var mean: Double { alpha / (alpha + beta) }

    public var standardDeviation: Double {
        let n = alpha + beta
        return (alpha * beta / (n * n * (n + 1))).squareRoot()
    }

    /// Absorbs one verdict, `q` being the probability that this worker's answer was right given the
    /// rest of the evidence (see the type's description).
    public mutating func record(probabilityRightGivenOthers q: Double) {
        let q = q.isFinite ? min(1, max(0, q)) : 0.5
        observations += 1
        let a = alpha, b = beta, n = a + b, m = mean
        let evidence = q * m + (1 - q) * (1 - m)
        guard evidence > 0 else { return }
        let w = q * m / evidence
        let mu = (a + w) / (n + 1)
        let second = (w * (a + 1) * (a + 2) + (1 - w) * a * (a + 1)) / ((n + 1) * (n + 2))
        let variance = second - mu * mu
        guard variance > 0 else { return }
        let size = mu * (1 - mu) / variance - 1
        alpha = mu * size
        beta = (1 - mu) * size
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
    /// Beta prior: Beta(3, 1) starts a new worker at 0.75 with the weight of 4 verdicts.
    public var priorCorrect: Double
    public var priorIncorrect: Double
    /// Prior probability that a submission deserves approval, before any vote.
    public var approvePrior: Double
    /// A verifier whose accuracy is, with `quarantineZ` standard deviations of confidence, below this
    /// stops receiving verification slots of that task type. The defaults (0.65, one standard
    /// deviation, 10 verdicts) are a trade-off measured with `workhive bench consensus`: telling a
    /// random voter (0.5) from an honest 0.7 in under 50 votes cannot be certain both ways.
    public var quarantineThreshold: Double
    public var quarantineZ: Double
    /// No quarantine on fewer verdicts than this.
    public var quarantineMinObservations: Int
    /// Vote weights use accuracies clamped to [0.5, maxAccuracy]: no vote is ever certain, and a
    /// verifier worse than a coin counts for nothing rather than being read backwards.
    public var maxAccuracy: Double
    /// The accuracy at which a submitter counts as proven for spot checks (see `spotCheckRate`).
    public var provenAccuracy: Double
    /// The share of claims of a task type that take a gold task when one is open (gold tasks are not
    /// given out otherwise), so that known answers are mixed into the queue at this rate.
    public var goldRate: Double
    /// Panels: for this long after a verification slot opens, it is not given to a worker of an owner
    /// or a model family that already sits on the submission's panel; after that, to whoever comes
    /// (nobody else was available).
    public var panelDiversitySeconds: Double
    /// How long after a panel rejects a submission its worker may appeal. The task's escrow stays held
    /// until the last rejection's window has passed (or its appeal is decided), so that an appeal
    /// that overturns the rejection can still be paid. 0 turns appeals off.
    public var appealWindowSeconds: Double

    public init(priorCorrect: Double = 3, priorIncorrect: Double = 1, approvePrior: Double = 0.5, quarantineThreshold: Double = 0.65,
                quarantineZ: Double = 1.0, quarantineMinObservations: Int = 10, maxAccuracy: Double = 0.99, provenAccuracy: Double = 0.95,
                goldRate: Double = 0.1, panelDiversitySeconds: Double = 30, appealWindowSeconds: Double = 259_200) {
        self.priorCorrect = priorCorrect
        self.priorIncorrect = priorIncorrect
        self.approvePrior = approvePrior
        self.quarantineThreshold = quarantineThreshold
        self.quarantineZ = quarantineZ
        self.quarantineMinObservations = quarantineMinObservations
        self.maxAccuracy = maxAccuracy
        self.provenAccuracy = provenAccuracy
        self.goldRate = goldRate
        self.panelDiversitySeconds = panelDiversitySeconds
        self.appealWindowSeconds = appealWindowSeconds
    }

    /// Trust-adaptive spot checks: the chance that a submission gets a human-only slot, between the
    /// requester's bounds. How far the submitter has proven itself is how far its pessimistic accuracy
    /// (mean − sd) has come from a coin (0.5) towards `provenAccuracy`; a proven worker is checked at
    /// `minRate`, a new or doubtful one near `maxRate`.
    public func spotCheckRate(submitter r: Reputation, minRate: Double, maxRate: Double) -> Double {
        let pessimistic = r.mean - r.standardDeviation
        let proven = min(1, max(0, (pessimistic - 0.5) / (provenAccuracy - 0.5)))
        return maxRate - (maxRate - minRate) * proven
    }

    /// The verdict a gold task's submission deserves: approve exactly when its result is the known one
    /// (both canonical JSON).
    public static func goldVerdict(result: String, known: String) -> Outcome { result == known ? .approved : .rejected }

    /// A model family as an agent declares it: 1-64 characters of a-z, 0-9, '.', '-' and '_'
    /// (lower-cased); humans have none.
    public static func validModelFamily(_ family: String?, kind: WorkerKind) throws(WorkhiveError) -> String? {
        guard let family else { return nil }
        let f = family.trimmingCharacters(in: .whitespaces).lowercased()
        guard kind == .agent else { throw .invalid("model_family is for agents; a human has none") }
        guard (1...64).contains(f.count), f.unicodeScalars.allSatisfy({ "abcdefghijklmnopqrstuvwxyz0123456789.-_".unicodeScalars.contains($0) }) else {
            throw .invalid("model_family must be 1-64 characters of a-z, 0-9, '.', '-' and '_'")
        }
        return f
    }

    /// Where a worker with no evidence starts.
    public var prior: Reputation { Reputation(alpha: priorCorrect, beta: priorIncorrect) }

    /// The accuracy a vote is weighted with (see `maxAccuracy`).
    public func weight(_ r: Reputation) -> Double { min(maxAccuracy, max(0.5, r.mean)) }

    /// Why a verifier with this reputation must stop verifying, or nil. Quarantined when even the
    /// optimistic end of its posterior (mean + z·sd) is under the threshold.
    public func quarantineReason(_ r: Reputation, taskType: String) -> String? {
        guard r.observations >= quarantineMinObservations else { return nil }
        let mean = r.mean, upper = mean + quarantineZ * r.standardDeviation
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

    /// For each vote, the probability that it was right given the *other* votes (leave one out): what
    /// its voter's reputation absorbs when the verdict lands. With `truth` known (a gold task), 1 or 0.
    public static func probabilitiesRightGivenOthers(_ votes: [WeightedVote], approvePrior: Double = 0.5, truth: Outcome? = nil) -> [Double] {
        votes.indices.map { i in
            let pApprove: Double
            switch truth {
            case .approved: pApprove = 1
            case .rejected: pApprove = 0
            case nil:
                var others = votes
                others.remove(at: i)
                pApprove = probabilityApprove(others, approvePrior: approvePrior)
            }
            return votes[i].verdict == .approve ? pApprove : 1 - pApprove
        }
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
