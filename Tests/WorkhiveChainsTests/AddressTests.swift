import Testing
@testable import WorkhiveChains

@Suite struct TronAddressTests {
    @Test func usdtContractDecodesToItsHex() throws {
        let a = try TronAddress(base58: "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t")
        #expect(a.hex == "41a614f803b6fd780986a42c78ec9c7f77e6ded13c")
        #expect(a.base58 == "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t")
        #expect(try TronAddress(hex: "41a614f803b6fd780986a42c78ec9c7f77e6ded13c") == a)
    }

    @Test func zeroAccountVector() throws {
        let zero = try TronAddress(accountID: [UInt8](repeating: 0, count: 20))
        #expect(zero.base58 == "T9yD14Nj9j7xAB4dbGeiX9h8unkKHxuWwb")
        #expect(try TronAddress(base58: "T9yD14Nj9j7xAB4dbGeiX9h8unkKHxuWwb").accountID == zero.accountID)
    }

    @Test func nearMissesFailWithTheirReason() {
        #expect(addressError { try TronAddress(base58: "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6u") } == .badChecksum)
        // One character changed anywhere breaks the checksum.
        let good = "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"
        for offset in [1, 10, 20, 33] {
            let original = Array(good)[offset]
            let swapped: Character = original == "a" ? "b" : "a"
            #expect(addressError { try TronAddress(base58: replacing(good, at: offset, with: swapped)) } == .badChecksum)
        }
        #expect(addressError { try TronAddress(base58: "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj60") } == .badCharacter("0", position: 33))
        #expect(addressError { try TronAddress(base58: "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6") } == .badLength(expected: 34, actual: 33, unit: .characters))
        #expect(addressError { try TronAddress(base58: "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6tt") } == .badLength(expected: 34, actual: 35, unit: .characters))
        #expect(addressError { try TronAddress(base58: "") } == .empty)
    }

    @Test func validChecksumWithAnotherVersionByteIsNotTron() {
        // A Bitcoin P2PKH address is valid base58check, but its version byte is 0x00, and it is 25 bytes.
        #expect(addressError { try TronAddress(base58: "1BoatSLRHtKNngkdXEeobR76b53LETtpyT") } == .badVersionByte(expected: 0x41, actual: 0x00))
        let otherVersion = Base58.encodeCheck([0x42] + [UInt8](repeating: 7, count: 20))
        #expect(addressError { try TronAddress(base58: otherVersion) } == .badVersionByte(expected: 0x41, actual: 0x42))
    }
}

@Suite struct EVMAddressTests {
    @Test(arguments: [
        "0x55d398326f99059fF775485246999027B3197955",  // USDT on BSC
        "0xFd086bC7CD5C481DCC9C85ebE478A1C0b69FCbb9",  // USDT on Arbitrum One
        "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
        "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
        "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",  // EIP-55's own examples
        "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
    ])
    func checksummedAddressesRoundTrip(_ string: String) throws {
        let a = try EVMAddress(string)
        #expect(a.checksummed == string)
        // Single-case spellings carry no checksum and are accepted, normalizing to the same address.
        #expect(try EVMAddress(a.lowercased).checksummed == string)
        #expect(try EVMAddress("0x" + String(string.dropFirst(2)).uppercased()).checksummed == string)
    }

    @Test func mixedCaseWithABadChecksumIsRefused() {
        #expect(addressError { try EVMAddress("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD") } == .badChecksum)
        // Flip the case of each letter in turn: every flip breaks the checksum.
        let good = Array("0x55d398326f99059fF775485246999027B3197955")
        for (i, c) in good.enumerated() where i >= 2 && c.isLetter {
            var flipped = good
            flipped[i] = c.isUppercase ? Character(c.lowercased()) : Character(c.uppercased())
            #expect(addressError { try EVMAddress(String(flipped)) } == .badChecksum)
        }
    }

    @Test func malformedAddressesNameTheProblem() {
        #expect(addressError { try EVMAddress("55d398326f99059fF775485246999027B3197955") } == .badPrefix(expected: "0x"))
        #expect(addressError { try EVMAddress("0x55d398326f99059fF775485246999027B319795") } == .badLength(expected: 40, actual: 39, unit: .hexDigits))
        #expect(addressError { try EVMAddress("0x55d398326f99059fF775485246999027B319795g") } == .badCharacter("g", position: 41))
        #expect(addressError { try EVMAddress("") } == .empty)
    }
}

@Suite struct TONAddressTests {
    let usdtMaster = "EQCxE6mUtQJKFnGfaROTKOt1lZbDiiX1kCixRv7Nw2Id_sDs"
    let usdtRaw = "0:b113a994b5024a16719f69139328eb759596c38a25f59028b146fecdc3621dfe"

    @Test func usdtJettonMasterInBothForms() throws {
        let friendly = try TONAddress(usdtMaster, mainnet: true)
        #expect(friendly.workchain == 0)
        #expect(friendly.isBounceable && !friendly.isTestnetOnly)
        #expect(friendly.raw == usdtRaw)
        let raw = try TONAddress(usdtRaw, mainnet: true)
        #expect(raw.sameAccount(as: friendly))
        #expect(raw.userFriendly() == usdtMaster)
        // The same account non-bounceable is "UQ…", with its own CRC; standard base64 decodes the same.
        let nonBounceable = friendly.userFriendly(bounceable: false)
        #expect(nonBounceable.hasPrefix("UQ"))
        #expect(try TONAddress(nonBounceable, mainnet: true).sameAccount(as: friendly))
        let standard = friendly.userFriendly(urlSafe: false)
        #expect(standard == usdtMaster.replacingSlashes())
        #expect(try TONAddress(standard, mainnet: true) == friendly)
    }

    @Test func badCRCAndNearMisses() {
        #expect(addressError { try TONAddress("EQCxE6mUtQJKFnGfaROTKOt1lZbDiiX1kCixRv7Nw2Id_sDt", mainnet: true) } == .badChecksum)
        for offset in [2, 12, 30, 47] {
            let original = Array(usdtMaster)[offset]
            let swapped: Character = original == "A" ? "B" : "A"
            #expect(addressError { try TONAddress(replacing(usdtMaster, at: offset, with: swapped), mainnet: true) } == .badChecksum)
        }
        #expect(addressError { try TONAddress(replacing(usdtMaster, at: 5, with: "*"), mainnet: true) } == .badCharacter("*", position: 5))
        #expect(addressError { try TONAddress(String(usdtMaster.dropLast()), mainnet: true) } == .badLength(expected: 48, actual: 47, unit: .characters))
    }

    @Test func testnetFlagIsRefusedOnMainnetOnly() throws {
        let account = try TONAddress(usdtMaster, mainnet: true)
        let testnet = account.userFriendly(testnetOnly: true)
        #expect(testnet.hasPrefix("kQ"))
        #expect(addressError { try TONAddress(testnet, mainnet: true) } == .testnetOnMainnet)
        let parsed = try TONAddress(testnet, mainnet: false)
        #expect(parsed.isTestnetOnly && parsed.sameAccount(as: account))
    }

    @Test func badTagAndWorkchain() throws {
        var bytes: [UInt8] = [0x22, 0x00] + [UInt8](repeating: 0xab, count: 32)
        let crc = CRC16.xmodem(bytes)
        bytes += [UInt8(crc >> 8), UInt8(crc & 0xff)]
        #expect(addressError { try TONAddress(Base64.encode(bytes, urlSafe: true), mainnet: true) } == .badTag(0x22))
        #expect(addressError { try TONAddress("5:" + String(repeating: "ab", count: 32), mainnet: true) } == .badWorkchain("5"))
        let master = try TONAddress("-1:" + String(repeating: "ab", count: 32), mainnet: true)
        #expect(master.workchain == -1)
        #expect(try TONAddress(master.userFriendly(), mainnet: true) == master)
    }

    @Test func rawNearMisses() {
        #expect(addressError { try TONAddress(String(usdtRaw.dropLast()), mainnet: true) } == .badLength(expected: 64, actual: 63, unit: .hexDigits))
        #expect(addressError { try TONAddress(replacing(usdtRaw, at: 10, with: "z"), mainnet: true) } == .badCharacter("z", position: 10))
        #expect(addressError { try TONAddress("x:" + String(repeating: "ab", count: 32), mainnet: true) } == .badCharacter("x", position: 0))
        #expect(addressError { try TONAddress("0:1:2", mainnet: true) } == .badPrefix(expected: "<workchain>:"))
    }
}

@Suite struct PayoutAddressTests {
    @Test func usdtContractsValidateOnTheirNetworks() throws {
        for network in PayoutNetwork.allCases {
            let address = try PayoutAddress.validate(network: network, string: network.usdtContract, mainnet: true)
            #expect(address.normalized == network.usdtContract)
            #expect(address.network == network)
        }
    }

    @Test func normalizesSpellings() throws {
        let evm = try PayoutAddress.validate(network: .bep20, string: "  0x55d398326f99059ff775485246999027b3197955\n", mainnet: true)
        #expect(evm.normalized == "0x55d398326f99059fF775485246999027B3197955")
        let ton = try PayoutAddress.validate(
            network: .ton, string: "0:b113a994b5024a16719f69139328eb759596c38a25f59028b146fecdc3621dfe", mainnet: true)
        #expect(ton.normalized == "EQCxE6mUtQJKFnGfaROTKOt1lZbDiiX1kCixRv7Nw2Id_sDs")
    }

    @Test func wrongNetworkAndNearMissesAreRefusedWithACodeAndMessage() {
        func invalid(_ network: PayoutNetwork, _ string: String, mainnet: Bool = true) -> PayoutAddress.Invalid? {
            do {
                _ = try PayoutAddress.validate(network: network, string: string, mainnet: mainnet)
                return nil
            } catch { return error }
        }
        let tronOnEVM = invalid(.arbitrum, "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t")
        #expect(tronOnEVM?.code == "bad_prefix")
        #expect(tronOnEVM?.message == "invalid Arbitrum One address: the address must start with \"0x\"")
        #expect(invalid(.trc20, "0x55d398326f99059fF775485246999027B3197955")?.code == "bad_character")
        #expect(invalid(.bep20, "0x55d398326f99059fF775485246999027B3197956")?.code == "bad_checksum")
        #expect(invalid(.trc20, "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6u")?.reason == .badChecksum)
        #expect(invalid(.ton, "EQCxE6mUtQJKFnGfaROTKOt1lZbDiiX1kCixRv7Nw2Id_sDt")?.reason == .badChecksum)
        let testnet = "kQCxE6mUtQJKFnGfaROTKOt1lZbDiiX1kCixRv7Nw2Id_sDs"  // tag 0x91, CRC not recomputed
        #expect(invalid(.ton, testnet)?.reason == .badChecksum)
        let realTestnet = (try? TONAddress("EQCxE6mUtQJKFnGfaROTKOt1lZbDiiX1kCixRv7Nw2Id_sDs", mainnet: true))!.userFriendly(testnetOnly: true)
        #expect(invalid(.ton, realTestnet)?.message == "invalid TON address: this is a testnet address and payouts run on mainnet")
        #expect(invalid(.ton, realTestnet, mainnet: false) == nil)
        #expect(invalid(.ton, "")?.reason == .empty)
    }

    @Test func networkRawValues() {
        #expect(PayoutNetwork.allCases.map(\.rawValue) == ["trc20", "bep20", "arbitrum", "ton"])
        #expect(PayoutNetwork(rawValue: "arbitrum") == .arbitrum)
        #expect(PayoutNetwork.bep20.usdtDecimals == 18 && PayoutNetwork.arbitrum.usdtDecimals == 6)
    }
}

extension String {
    /// base64url → standard base64 alphabet.
    func replacingSlashes() -> String {
        String(map { $0 == "-" ? "+" : $0 == "_" ? "/" : $0 })
    }
}
