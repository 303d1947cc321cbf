import Foundation
import Testing
@testable import WorkhiveChains
import WorkhiveTestSupport

/// The Python with eth-account the signing output is checked against (see TestPython).
enum ReferencePython {
    static let script = TestPython.packageRoot.appendingPathComponent("Tests/WorkhiveChainsTests/python/eth_cross_check.py")
    static let executable = TestPython.executable(importing: ["eth_account"])

    /// Runs the check where it can; under CI a missing reference library is a failure, elsewhere a skip.
    static var runnable: Bool {
        if executable == nil && !TestPython.isCI {
            print("note: eth-account cross-check skipped: no python3 with eth-account (pip install -r Tests/WorkhiveChainsTests/python/requirements.txt into .venv, or set WORKHIVE_PYTHON)")
        }
        return executable != nil || TestPython.isCI
    }
}

@Suite struct EthAccountCrossCheckTests {
    struct TxCase: Encodable {
        let raw, hash, signing_hash, sender, private_key, chain_id, nonce, max_priority_fee_per_gas, max_fee_per_gas, gas, to, value, data: String
    }
    struct KeccakCase: Encodable { let input, hash: String }
    struct EIP55Case: Encodable { let lower, checksummed: String }
    struct Cases: Encodable {
        let transactions: [TxCase]
        let keccak: [KeccakCase]
        let eip55: [EIP55Case]
    }

    static func txCase(_ signed: SignedEIP1559Transaction, key: [UInt8]) -> TxCase {
        let tx = signed.transaction
        return TxCase(
            raw: signed.rawHex, hash: signed.hashHex, signing_hash: "0x" + Hex.encode(tx.signingHash), sender: try! signed.recoverSender().checksummed,
            private_key: "0x" + Hex.encode(key), chain_id: String(tx.chainID), nonce: String(tx.nonce),
            max_priority_fee_per_gas: tx.maxPriorityFeePerGasWei.description, max_fee_per_gas: tx.maxFeePerGasWei.description,
            gas: String(tx.gasLimit), to: tx.to.lowercased, value: tx.valueWei.description, data: "0x" + Hex.encode(tx.data))
    }

    /// USDT transfers on both chains over a spread of keys, nonces, amounts and fees, including one whose
    /// r or s starts with a zero byte (RLP must then drop it) — eth-account must agree on every byte.
    static func transactions() throws -> [TxCase] {
        var cases: [TxCase] = []
        let amounts: [Int64] = [1, 12_340_000, 999_999_999, 1_000_000_000_000]
        let nonces: [UInt64] = [0, 1, 127, 128, 255, 256, 65_536, 4_294_967_296]
        for (k, chain) in [EVMChain.bsc, .arbitrumOne].enumerated() {
            for i in 0..<8 {
                let key = Keccak.hash256("workhive hot wallet \(k)-\(i)")
                let signer = try Secp256k1Signer(privateKey: key)
                let recipient = try EVMAddress(bytes: Array(Keccak.hash256("worker \(i)").prefix(20)))
                let tx = EIP1559Transaction.usdtTransfer(
                    chain: chain, nonce: nonces[i], to: recipient, amountMicroUSDT: amounts[i % amounts.count],
                    maxPriorityFeePerGasWei: UInt256(UInt64(i) * 1_000_000), maxFeePerGasWei: UInt256(50_000_000 + UInt64(i) * 7_000_000_000),
                    gasLimit: 60_000 + UInt64(i) * 1000)
                cases.append(txCase(tx.signed(by: signer), key: key))
            }
        }
        let key46 = [UInt8](repeating: 0x46, count: 32)
        let signer = try Secp256k1Signer(privateKey: key46)
        let recipient = try EVMAddress(bytes: [UInt8](repeating: 0x35, count: 20))
        var foundShort = false
        for nonce in UInt64(0)..<5000 where !foundShort {
            let signed = EIP1559Transaction.usdtTransfer(
                chain: .bsc, nonce: nonce, to: recipient, amountMicroUSDT: 5_000_000,
                maxPriorityFeePerGasWei: 100_000_000, maxFeePerGasWei: 100_000_000, gasLimit: 60_000
            ).signed(by: signer)
            if signed.signature.r[0] == 0 || signed.signature.s[0] == 0 {
                cases.append(txCase(signed, key: key46))
                foundShort = true
            }
        }
        #expect(foundShort, "some nonce below 5000 gives a signature with a leading zero byte")
        // A plain value transfer with a large 256-bit value, to exercise wide integers.
        let wide = EIP1559Transaction(
            chainID: 42161, nonce: 3, maxPriorityFeePerGasWei: UInt256(decimal: "1000000000000000000000")!,
            maxFeePerGasWei: UInt256(decimal: "1000000000000000000001")!, gasLimit: 21_000, to: recipient,
            valueWei: UInt256(decimal: "340282366920938463463374607431768211457")!)
        cases.append(txCase(wide.signed(by: signer), key: key46))
        return cases
    }

    @Test(.enabled(if: ReferencePython.runnable, "needs python3 with eth-account (required when CI is set)"))
    func ethAccountAgrees() async throws {
        guard let python = ReferencePython.executable else {
            Issue.record("CI is set but no python3 with eth-account was found: pip install -r Tests/WorkhiveChainsTests/python/requirements.txt into .venv (or set WORKHIVE_PYTHON)")
            return
        }
        let keccakCases = [0, 1, 31, 32, 135, 136, 137, 500, 4096].map { n in
            let input = (0..<n).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ n) }
            return KeccakCase(input: Hex.encode(input), hash: Hex.encode(Keccak.hash256(input)))
        }
        let eip55Cases = (0..<40).map { i in
            let address = try! EVMAddress(bytes: Array(Keccak.hash256("address \(i)").suffix(20)))
            return EIP55Case(lower: address.lowercased, checksummed: address.checksummed)
        }
        let cases = Cases(transactions: try Self.transactions(), keccak: keccakCases, eip55: eip55Cases)
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("workhive-eth-cross-check-\(UUID().uuidString).json")
        try JSONEncoder().encode(cases).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let result = try await runToEnd(python, TestPython.arguments(for: python, [ReferencePython.script.path, file.path]))
        #expect(result.status == 0, "eth-account disagrees:\n\(result.output)")
        #expect(result.output.contains("OK"), "\(result.output)")
        print(result.output)
    }
}
