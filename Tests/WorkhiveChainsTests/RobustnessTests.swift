import Testing
@testable import WorkhiveChains

/// Arbitrary input never crashes a parser, and one-character mistakes in checksummed addresses are caught.
@Suite struct RobustnessTests {
    @Test func everySingleCharacterSubstitutionIsRefused() {
        let base58 = Array("123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz")
        let tron = Array("TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t")
        var tried = 0
        // Position 0 is left out: another first letter changes the version byte, reported as such.
        for position in 1..<tron.count {
            for replacement in base58 where replacement != tron[position] {
                var changed = tron
                changed[position] = replacement
                let error = addressError { try TronAddress(base58: String(changed)) }
                // Any 34 characters after "T" still decode to 25 bytes, so only the checksum can object.
                #expect(error == .badChecksum, "\(String(changed)) gave \(String(describing: error))")
                tried += 1
            }
        }
        let base64url = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
        let ton = Array("EQCxE6mUtQJKFnGfaROTKOt1lZbDiiX1kCixRv7Nw2Id_sDs")
        for position in 0..<ton.count {
            for replacement in base64url where replacement != ton[position] {
                var changed = ton
                changed[position] = replacement
                // CRC-16 catches every burst of up to 16 bits, so every one-character change is refused.
                #expect(addressError { try TONAddress(String(changed), mainnet: true) } != nil, "\(String(changed)) was accepted")
                tried += 1
            }
        }
        #expect(tried == 33 * 57 + 48 * 63)
    }

    @Test func randomInputNeverCrashesAParser() {
        var rng = SplitMix64(seed: 42)
        let alphabet = Array("0123456789abcdefABCDEFxX:-_+/=T€ \u{0}")
        for _ in 0..<5_000 {
            let length = Int(rng.next() % 70)
            let string = String((0..<length).map { _ in alphabet[Int(rng.next() % UInt64(alphabet.count))] })
            for network in PayoutNetwork.allCases {
                _ = try? PayoutAddress.validate(network: network, string: string, mainnet: true)
            }
            _ = try? TronAddress(hex: string)
            let bytes = (0..<length).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            _ = try? RLP.decode(bytes)
            _ = try? SignedEIP1559Transaction(raw: [0x02] + bytes)
            _ = try? DevnetTransaction(encoded: [0xd7] + bytes)
        }
        // Truncations of a real signed transaction are refused, never misread.
        let signer = try! Secp256k1Signer(privateKey: Keccak.hash256("k"))
        let raw = EIP1559Transaction.usdtTransfer(
            chain: .bsc, nonce: 1, to: signer.address, amountMicroUSDT: 5, maxPriorityFeePerGasWei: 1, maxFeePerGasWei: 2, gasLimit: 3
        ).signed(by: signer).raw
        for cut in 1..<raw.count {
            #expect((try? SignedEIP1559Transaction(raw: Array(raw.prefix(cut)))) == nil)
        }
    }

    @Test func longInputsAreRefusedQuickly() {
        let long = String(repeating: "T", count: 100_000)
        #expect(addressError { try TronAddress(base58: long) } == .badLength(expected: 34, actual: 100_000, unit: .characters))
        #expect(addressError { try EVMAddress("0x" + String(repeating: "a", count: 100_000)) } == .badLength(expected: 40, actual: 100_000, unit: .hexDigits))
        #expect(addressError { try TONAddress(String(repeating: "A", count: 100_000), mainnet: true) } == .badLength(expected: 48, actual: 100_000, unit: .characters))
    }
}
