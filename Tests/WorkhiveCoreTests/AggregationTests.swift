import Testing
import WorkhiveCore

@Suite struct AggregationTests {
    func agg(_ m: AggregationMethod, _ r: [JSONValue]) -> Result<JSONValue, AggregationError> { Aggregation.aggregate(m, r) }

    @Test func mergeJSONMergesObjectsRecursivelyAndConcatenatesArrays() throws {
        let a: JSONValue = .object(["labels": .object(["1": .string("safe")]), "seen": .array([.int(1)]), "v": .int(1)])
        let b: JSONValue = .object(["labels": .object(["2": .string("nudity")]), "seen": .array([.int(2)]), "v": .int(1)])
        #expect(try agg(.mergeJSON, [a, b]).get() == .object([
            "labels": .object(["1": .string("safe"), "2": .string("nudity")]), "seen": .array([.int(1), .int(2)]), "v": .int(1)]))
        // Two different values at one path are a conflict, and non-objects are refused.
        guard case .failure(let conflict) = agg(.mergeJSON, [.object(["v": .int(1)]), .object(["v": .int(2)])]) else { Issue.record("no conflict"); return }
        #expect(conflict.message.contains("/v"))
        guard case .failure = agg(.mergeJSON, [.object([:]), .string("x")]) else { Issue.record("a string was merged"); return }
    }

    @Test func concatFlattensArraysJoinsStringsAndAppendsTheRest() throws {
        #expect(try agg(.concat, [.array([.int(1)]), .array([.int(2), .int(3)]), .int(4)]).get() == .array([.int(1), .int(2), .int(3), .int(4)]))
        #expect(try agg(.concat, [.string("ab"), .string("cd")]).get() == .string("abcd"))
        #expect(try agg(.concat, []).get() == .array([]))
    }

    @Test func majorityNeedsMoreThanHalf() throws {
        #expect(try agg(.majority, [.string("a"), .string("b"), .string("a")]).get() == .string("a"))
        #expect(try agg(.majority, [.object(["x": .int(1)]), .object(["x": .int(1)])]).get() == .object(["x": .int(1)]))
        guard case .failure = agg(.majority, [.string("a"), .string("b")]) else { Issue.record("a tie has no majority"); return }
    }

    @Test func firstAndNone() throws {
        #expect(try agg(.first, [.int(7), .int(8)]).get() == .int(7))
        guard case .failure = agg(.first, []) else { Issue.record("first of nothing"); return }
        #expect(try agg(.none, [.int(1), .string("b")]).get() == .array([.int(1), .string("b")]))
        #expect(AggregationMethod.first.isReady(done: 1, total: 5) && !AggregationMethod.concat.isReady(done: 4, total: 5))
    }

    @Test func sharesRoundDownAndNeverExceedTheAmount() {
        #expect(FleetSplit.shares(of: 100, weights: [1, 1, 1]) == [33, 33, 33])
        #expect(FleetSplit.shares(of: 300, weights: [2, 1, 0]) == [200, 100, 0])
        #expect(FleetSplit.shares(of: 5, weights: [0, 0]) == [0, 0])
        let big = FleetSplit.shares(of: 1_000_000_000_000, weights: [Int64.max / 4, Int64.max / 4])
        #expect(big.reduce(0, +) <= 1_000_000_000_000)
    }

    @Test func spotCheckDrawsGiveTheRateAsAShareOfSubmissions() {
        let policy = VerificationPolicy(verifiers: 3, quorum: 2, spotCheckRate: 0.1, verifierRewardMicroUSDT: 1)
        let human = (0..<1000).filter { verificationSlots(policy: policy, draw: Double($0) / 1000).contains(true) }.count
        #expect(human == 100)
        #expect((0..<1000).allSatisfy { verificationSlots(policy: policy, draw: Double($0) / 1000).filter { $0 }.count <= 1 })
    }
}
