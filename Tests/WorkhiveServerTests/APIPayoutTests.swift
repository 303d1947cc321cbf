import Foundation
import HTTPTypes
import Testing
import WorkhiveChains
import WorkhiveCore
import WorkhiveEngine
@testable import WorkhiveServer

@Suite struct APIPayoutTests {
    /// A worker earns through an approved task, registers addresses, withdraws with an idempotency key,
    /// and the dispatcher confirms the payout on the devnet; every answer is checked against openapi.yaml.
    @Test func addressesWithdrawalAndPayoutStatusOverHTTP() async throws {
        try await withAPI { api in
            let requester = try await api.requester()
            let worker = try await api.soloWorker("w")
            try await api.postTask(requester, taskType: "pay.me", reward: 20_000_000,
                                   extra: ["verification": .object(["verifiers": .int(0), "quorum": .int(0)])])
            let claim = try await api.claim(worker, "pay.me")
            let claimID = try #require(claim["claim_id"]?.asInt)
            let submitted = try await api.send(.post, "/v1/claims/\(claimID)/submit", key: worker.key, json: #"{"result": {"ok": true}}"#)
            #expect(submitted.status == 201)

            // Bad addresses: a 400 with a code and a message naming what is wrong.
            let bad = try await api.send(.put, "/v1/wallet/addresses/trc20", key: worker.key, json: #"{"address": "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6u"}"#)
            let error = api.expectError(bad, 400, "invalid_address")
            #expect(error?.message.contains("TRON") == true && error?.message.contains("bad_checksum") == true)
            api.expectError(try await api.send(.put, "/v1/wallet/addresses/ton", key: worker.key,
                                               json: #"{"address": "EQCxE6mUtQJKFnGfaROTKOt1lZbDiiX1kCixRv7Nw2Id_sD"}"#), 400, "invalid_address")
            api.expectError(try await api.send(.put, "/v1/wallet/addresses/solana", key: worker.key, json: #"{"address": "x"}"#), 400, "invalid_request")
            api.expectError(try await api.send(.put, "/v1/wallet/addresses/bep20", key: worker.key, json: #"{"addr": "x"}"#), 400, "invalid_json")
            api.expectError(try await api.send(.put, "/v1/wallet/addresses/bep20", key: requester.key,
                                               json: #"{"address": "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"}"#), 403, "forbidden")
            // No address yet: a withdrawal has nowhere to go.
            api.expectError(try await api.send(.post, "/v1/payouts", key: worker.key, json: #"{"amount_micro_usdt": 5000000}"#), 409, "no_payout_address")

            let set = try await api.send(.put, "/v1/wallet/addresses/bep20", key: worker.key, json: #"{"address": "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed"}"#)
            #expect(set.status == 200 && set["address"]?.stringValue == "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed")
            let pref = try await api.send(.put, "/v1/wallet/preference", key: worker.key, json: #"{"preference": "low_fee"}"#)
            #expect(pref.status == 200 && pref["preference"]?.stringValue == "low_fee")
            api.expectError(try await api.send(.put, "/v1/wallet/preference", key: worker.key, json: #"{"preference": "fast"}"#), 400, "invalid_request")
            let listed = try await api.send(.get, "/v1/wallet/addresses", key: worker.key)
            #expect(listed["addresses"]?.asArray?.count == 1)
            #expect(try await api.send(.get, "/v1/wallet/addresses?worker_id=\(worker.id)", key: worker.owner.key).status == 200)
            api.expectError(try await api.send(.get, "/v1/wallet/addresses?worker_id=\(worker.id)", key: requester.key), 404, "not_found")

            api.expectError(try await api.send(.post, "/v1/payouts", key: worker.key, json: #"{"amount_micro_usdt": 20000001}"#), 402, "insufficient_funds")
            api.expectError(try await api.send(.post, "/v1/payouts", key: worker.key, json: #"{"amount_micro_usdt": 500000}"#), 400, "below_minimum_payout")
            api.expectError(try await api.send(.post, "/v1/payouts", key: worker.key, json: #"{"amount_micro_usdt": -1}"#), 400, "invalid_request")
            var idem = HTTPFields()
            idem[HTTPField.Name("Idempotency-Key")!] = "withdraw-1"
            let created = try await api.send(.post, "/v1/payouts", key: worker.key, json: #"{"amount_micro_usdt": 8000000}"#, headers: idem)
            #expect(created.status == 201 && created["state"]?.stringValue == "queued" && created["network"]?.stringValue == "bep20")
            #expect(created["rule"]?.stringValue == "lowest_fee" && created["reason"]?.stringValue?.isEmpty == false)
            let id = try #require(created["id"]?.asInt)
            let retried = try await api.send(.post, "/v1/payouts", key: worker.key, json: #"{"amount_micro_usdt": 8000000}"#, headers: idem)
            #expect(retried.status == 201 && retried["id"]?.asInt == id)
            api.expectError(try await api.send(.post, "/v1/payouts", key: worker.key, json: #"{"amount_micro_usdt": 9000000}"#, headers: idem),
                            409, "idempotency_key_reused")
            let wallet = try await api.wallet(worker.key)
            #expect(api.balance(wallet, kind: "earnings") == 12_000_000)

            // The dispatcher on a devnet settles it.
            let devnet = Devnet()
            let signer = DevnetPayoutSigner(network: .bep20)
            await devnet.mint(1_000_000_000, to: signer.address, on: .bep20)
            let dispatcher = PayoutDispatcher(market: api.m, rails: [.bep20: PayoutRail(settlement: await devnet.settlement(.bep20), wallets: [signer])]) {
                await devnet.advance(byMillis: 1_000)
            }
            try await dispatcher.prepare()
            try await dispatcher.runOnce()
            #expect(try await api.send(.get, "/v1/payouts/\(id)", key: worker.key)["state"]?.stringValue == "queued")  // one payout waits for the batch age
            api.clock.advance(seconds: 11)
            for _ in 0..<10 { try await dispatcher.runOnce() }
            let shown = try await api.send(.get, "/v1/payouts/\(id)", key: worker.key)
            #expect(shown["state"]?.stringValue == "confirmed" && shown["tx_hash"]?.stringValue?.hasPrefix("0x") == true)
            let sent = try #require(shown["sent_micro_usdt"]?.asInt)
            #expect(await devnet.balance(of: "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", on: .bep20) == sent)

            let list = try await api.send(.get, "/v1/payouts?state=confirmed", key: worker.key)
            #expect(list["payouts"]?.asArray?.count == 1)
            #expect(try await api.send(.get, "/v1/payouts", key: worker.owner.key)["payouts"]?.asArray?.count == 1)
            api.expectError(try await api.send(.get, "/v1/payouts?state=done", key: worker.key), 400, "invalid_request")
            api.expectError(try await api.send(.get, "/v1/payouts/\(id)", key: requester.key), 404, "not_found")
            #expect(try await api.send(.delete, "/v1/wallet/addresses/bep20", key: worker.key).status == 204)
            api.expectError(try await api.send(.delete, "/v1/wallet/addresses/bep20", key: worker.key), 404, "not_found")
            #expect(try await LedgerAudit.run(api.m.database).problems == [])
        }
    }
}
