/// How a master combines the results of its delegated sub-tasks into one answer.
public enum AggregationMethod: String, Sendable, Codable, CaseIterable {
    /// Objects merged key by key (recursively); arrays under the same key are concatenated.
    case mergeJSON = "merge_json"
    /// Arrays concatenated in sub-task order; strings joined; other values appended as elements.
    case concat
    /// The value more than half of the sub-tasks returned.
    case majority
    /// The first result to arrive; the aggregate is ready as soon as one sub-task is done.
    case first
    /// No aggregation: the results in sub-task order, for the master to combine itself.
    case none

    /// Whether the aggregate is ready once `done` of `total` sub-tasks are done.
    public func isReady(done: Int, total: Int) -> Bool {
        self == .first ? done >= 1 : done == total
    }
}

public struct AggregationError: Error, Equatable, Sendable {
    public let message: String
}

public enum Aggregation {
    /// Combines `results` (in sub-task order; for `first`, in order of arrival).
    public static func aggregate(_ method: AggregationMethod, _ results: [JSONValue]) -> Result<JSONValue, AggregationError> {
        switch method {
        case .none:
            return .success(.array(results))
        case .first:
            guard let first = results.first else { return .failure(.init(message: "no sub-task has finished")) }
            return .success(first)
        case .concat:
            if !results.isEmpty, results.allSatisfy({ $0.stringValue != nil }) {
                return .success(.string(results.compactMap(\.stringValue).joined()))
            }
            return .success(.array(results.flatMap { value -> [JSONValue] in
                if case .array(let items) = value { items } else { [value] }
            }))
        case .majority:
            var counts: [String: (value: JSONValue, count: Int)] = [:]
            for value in results { counts[value.jsonText, default: (value, 0)].count += 1 }
            guard let top = counts.values.max(by: { $0.count < $1.count }), top.count * 2 > results.count else {
                return .failure(.init(message: "no result was returned by more than half of the \(results.count) sub-tasks"))
            }
            return .success(top.value)
        case .mergeJSON:
            var merged: JSONValue = .object([:])
            for (index, value) in results.enumerated() {
                guard case .object = value else {
                    return .failure(.init(message: "merge_json needs every result to be a JSON object; sub-task \(index) returned \(value.jsonText.prefix(60))"))
                }
                switch merge(merged, value, path: "") {
                case .success(let next): merged = next
                case .failure(let error): return .failure(error)
                }
            }
            return .success(merged)
        }
    }

    /// Objects merge recursively, arrays concatenate, equal values agree; two different values at
    /// one path are a conflict rather than a silent overwrite.
    static func merge(_ a: JSONValue, _ b: JSONValue, path: String) -> Result<JSONValue, AggregationError> {
        switch (a, b) {
        case (.object(var left), .object(let right)):
            for key in right.keys.sorted() {
                guard let existing = left[key] else { left[key] = right[key]; continue }
                switch merge(existing, right[key]!, path: path + "/" + key) {
                case .success(let value): left[key] = value
                case .failure(let error): return .failure(error)
                }
            }
            return .success(.object(left))
        case (.array(let left), .array(let right)):
            return .success(.array(left + right))
        default:
            if a == b { return .success(a) }
            return .failure(.init(message: "merge_json conflict at \(path.isEmpty ? "/" : path): \(a.jsonText.prefix(40)) vs \(b.jsonText.prefix(40))"))
        }
    }
}

/// How a master shares earnings with its sub-agents.
public enum FleetSplit: String, Sendable, Codable, CaseIterable {
    case equal, perSubTask = "per_sub_task", explicit

    /// Shares of `amount` by weight, rounded down; what rounding leaves stays with the master.
    /// Returns one amount per weight (zero weights get nothing).
    public static func shares(of amount: Int64, weights: [Int64]) -> [Int64] {
        let total = weights.reduce(0, +)
        guard total > 0 else { return weights.map { _ in 0 } }
        return weights.map { w in
            let (product, overflow) = amount.multipliedReportingOverflow(by: w)
            return overflow ? Int64((Double(amount) * Double(w) / Double(total)).rounded(.down)) : product / total
        }
    }
}
