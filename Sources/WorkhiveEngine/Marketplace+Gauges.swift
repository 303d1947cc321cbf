import WorkhiveCore

/// One sample of a gauge read from the database: its label values (in the gauge's label order) and value.
public struct GaugeSample: Sendable, Equatable {
    public var labels: [String]
    public var value: Int64
    public init(labels: [String], value: Int64) {
        self.labels = labels
        self.value = value
    }
}

/// What the database says right now, for /metrics: queue depth, verdicts, ledger totals and payouts.
/// Read at scrape time, so every server sharing a database reports the same numbers.
public struct OperationalGauges: Sendable {
    /// Tasks by `task_type` and `state` (verification slots are task type `verify`).
    public var tasks: [GaugeSample]
    /// Submissions decided so far, by `outcome` (approved, rejected) and still `pending`.
    public var submissions: [GaugeSample]
    /// Verification votes by `verdict`.
    public var votes: [GaugeSample]
    /// Σ posted credits − Σ posted debits over accounts of each `kind`, micro-USDT.
    public var ledgerBalances: [GaugeSample]
    /// Payouts by `network` and `state`: how many, and how much (micro-USDT).
    public var payouts: [GaugeSample]
    public var payoutAmounts: [GaugeSample]

    /// Task types beyond this many (types are chosen by clients) are summed under `other`.
    public static let maxTaskTypes = 100
}

extension Marketplace {
    public func operationalGauges() async throws -> OperationalGauges {
        try await read { tx in
            func samples(_ sql: String, labels: Int) async throws -> [GaugeSample] {
                try await tx.query(sql, []).map { row in
                    GaugeSample(labels: (0..<labels).map { row.text($0) }, value: row.int(labels))
                }
            }
            var tasks = try await samples("SELECT task_type, state, COUNT(*) FROM tasks GROUP BY task_type, state ORDER BY task_type, state", labels: 2)
            let types = Set(tasks.map { $0.labels[0] })
            if types.count > OperationalGauges.maxTaskTypes {
                let kept = Set(types.sorted().prefix(OperationalGauges.maxTaskTypes))
                var other: [String: Int64] = [:]
                for s in tasks where !kept.contains(s.labels[0]) { other[s.labels[1], default: 0] += s.value }
                tasks = tasks.filter { kept.contains($0.labels[0]) } + other.sorted { $0.key < $1.key }.map { GaugeSample(labels: ["other", $0.key], value: $0.value) }
            }
            return OperationalGauges(
                tasks: tasks,
                submissions: try await samples("SELECT state, COUNT(*) FROM submissions GROUP BY state ORDER BY state", labels: 1),
                votes: try await samples("SELECT verdict, COUNT(*) FROM votes GROUP BY verdict ORDER BY verdict", labels: 1),
                ledgerBalances: try await samples(
                    "SELECT kind, COALESCE(SUM(credits_posted - debits_posted), 0) FROM accounts GROUP BY kind ORDER BY kind", labels: 1),
                payouts: try await samples("SELECT network, state, COUNT(*) FROM payouts GROUP BY network, state ORDER BY network, state", labels: 2),
                payoutAmounts: try await samples(
                    "SELECT network, state, COALESCE(SUM(amount), 0) FROM payouts GROUP BY network, state ORDER BY network, state", labels: 2))
        }
    }
}
