import Foundation
import NIOCore
import Testing
import WorkhiveCore
import WorkhiveTestSupport
@testable import WorkhiveServer

/// Property-based fuzzing of the request decoders (the libFuzzer targets in fuzz/ cover the address
/// and multipart parsers, which build on their own): mutated task, submission, claim and delegation
/// bodies either decode or are refused with a 4xx WorkhiveError — never a crash, never another error,
/// and through the router never a 5xx or an answer outside openapi.yaml.
@Suite("Fuzz: request decoders")
struct FuzzDecoderTests {
    static let task = #"{"task_type": "social.like", "title": "Like", "instructions": "do it", "payload": {"url": "https://e.com/1", "n": [1, 2.5, null]}, "required_capabilities": ["browser"], "reward_micro_usdt": 500000, "lease_seconds": 60, "max_attempts": 2, "deadline_at_millis": 99999999999999, "priority": 3, "visibility": "public", "verification": {"verifiers": 3, "quorum": 2, "spot_check_rate": 0.1, "verifier_reward_micro_usdt": 1000}}"#
    static let submit = #"{"result": {"liked": true, "labels": {"1": "safe"}}, "proofs": ["\#(String(repeating: "ab", count: 32))"]}"#
    static let claim = #"{"task_type": "social.like", "capabilities": ["browser"], "wait_seconds": 0}"#
    static let delegation = #"{"delegation_strategy": "fan_out", "aggregation_method": "merge_json", "sub_tasks": [{"payload": {"images": [1, 2]}, "reward_micro_usdt": 100000, "task_type": "part", "assignee": 7}]}"#

    /// Decodes `bytes` as `T` and runs `validate`; returns whether it was accepted. Anything thrown
    /// but a WorkhiveError with a 4xx status is recorded.
    static func accepts<T: Decodable>(_ type: T.Type, _ bytes: [UInt8], validate: (T) throws -> Void = { _ in }) -> Bool {
        do {
            try validate(try JSONBody.decode(T.self, from: ByteBuffer(bytes: bytes)))
            return true
        } catch let error as WorkhiveError {
            #expect((400..<500).contains(error.code.httpStatus), "\(error) for \(String(decoding: bytes.prefix(300), as: UTF8.self))")
        } catch {
            Issue.record("not a WorkhiveError: \(error) for \(String(decoding: bytes.prefix(300), as: UTF8.self))")
        }
        return false
    }

    @Test("mutated bodies decode or are refused with a 4xx code")
    func decoders() {
        var mutator = FuzzMutator(seed: 0xF022)
        let iterations = FuzzMutator.iterations(4000)
        var accepted = 0
        for _ in 0..<iterations {
            let t = mutator.mutate(Array(Self.task.utf8))
            if Self.accepts(PostTaskRequest.self, t, validate: { _ = try $0.spec(now: 1_700_000_000_000) }) { accepted += 1 }
            if Self.accepts(SubmitRequest.self, mutator.mutate(Array(Self.submit.utf8))) { accepted += 1 }
            if Self.accepts(ClaimRequest.self, mutator.mutate(Array(Self.claim.utf8))) { accepted += 1 }
            if Self.accepts(DelegationBody.self, mutator.mutate(Array(Self.delegation.utf8)), validate: { _ = try $0.request() }) { accepted += 1 }
        }
        print("fuzz: request decoders (property): \(iterations * 4) inputs, \(accepted) accepted, the rest refused with 4xx, 0 crashes")
    }

    @Test("mutated bodies through the router: never a 5xx, always an answer openapi.yaml describes")
    func throughTheRouter() async throws {
        try await withAPI { api in
            let requester = try await api.requester(funds: 1_000_000_000_000)
            let worker = try await api.soloWorker("fuzzer", capabilities: ["browser"])
            var mutator = FuzzMutator(seed: 0xB0D1)
            let iterations = FuzzMutator.iterations(4000) / 10
            var statuses: [Int: Int] = [:]
            for i in 0..<iterations {
                let task = try await api.send(.post, "/v1/tasks", key: requester.key, json: String(decoding: mutator.mutate(Array(Self.task.utf8)), as: UTF8.self))
                statuses[task.status, default: 0] += 1
                if i % 4 == 0 { try await api.postTask(requester) }
                let claim = try await api.send(.post, "/v1/claims", key: worker.key, json: String(decoding: mutator.mutate(Array(Self.claim.utf8)), as: UTF8.self))
                statuses[claim.status, default: 0] += 1
                guard let claimID = claim["claim_id"]?.asInt else { continue }
                let path = i % 2 == 0 ? "/v1/claims/\(claimID)/submit" : "/v1/claims/\(claimID)/delegation"
                let body = mutator.mutate(Array((i % 2 == 0 ? Self.submit : Self.delegation).utf8))
                let r = try await api.send(.post, path, key: worker.key, json: String(decoding: body, as: UTF8.self))
                statuses[r.status, default: 0] += 1
            }
            let summary = statuses.keys.sorted().map { "\($0)×\(statuses[$0]!)" }.joined(separator: " ")
            print("fuzz: task/claim/submission/delegation bodies through the router: \(statuses.values.reduce(0, +)) requests, statuses \(summary)")
            #expect(statuses.keys.allSatisfy { $0 < 500 })
        }
    }
}
