import Testing
@testable import WorkhiveServer

/// Inputs schemathesis found that broke the server, kept as tests.
@Suite("API: schemathesis regressions")
struct SchemathesisRegressionTests {
    @Test("an admin deposit to a negative or unknown owner id is a 4xx, not a crash (index out of range on the deposit shard)")
    func depositToNegativeOwner() async throws {
        try await withAPI { api in
            let admin = try await api.admin()
            for owner in ["-1", "-9223372036854775808", "987654321"] {
                let r = try await api.send(.post, "/v1/wallet/deposits", key: admin.key, json: #"{"amount_micro_usdt": 5, "owner_id": \#(owner)}"#)
                #expect((400..<500).contains(r.status), "owner \(owner): \(r.status) \(r.text)")
            }
        }
    }
}
