import Testing
@testable import WorkhiveChains

/// Vectors: the empty string, "abc" and the fox sentence are the published Keccak-256 values; the rest
/// were computed with pycryptodome's Keccak (via eth-hash), around the 136-byte rate boundary.
@Suite struct KeccakTests {
    @Test func publishedVectors() {
        #expect(hex(Keccak.hash256("")) == "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470")
        #expect(hex(Keccak.hash256("abc")) == "4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45")
        #expect(
            hex(Keccak.hash256("The quick brown fox jumps over the lazy dog"))
                == "4d741b6f1eb29cb2a9b9911c82f56fa8d73b04959d3d9d222895df6c0b28aa15")
    }

    @Test(arguments: [
        (1, "69c322e3248a5dfc29d73c5b0553b0185a35cd5bb6386747517ef7e53b15e287"),
        (135, "00ef96af9cf4b24c7f269d922294444a197d0a33638c2e56634c57e892103a8f"),
        (136, "742061bcad767ed4c4f5883b1dcb1aad11afdcc140dc469d953759b127b9f9ed"),
        (137, "e3371f61e770abf254c34239c3b0099ad90594507415bc81dd0a10b9692bbf2a"),
        (272, "ac141fd7b0a0ffcd2e967254d508da3ec616596493c36fa304425647d90e6de5"),
        (1000, "80cdc8dd52cbb3dbaea8f383209893fa2bb52efbd5aedbb4b26dcfe307fcdc9b"),
    ])
    func rateBoundaries(length: Int, expected: String) {
        let input = (0..<length).map { UInt8(truncatingIfNeeded: $0 * 7 + 3) }
        #expect(hex(Keccak.hash256(input)) == expected)
    }

    @Test func oneMillionBytes() {
        let input = [UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000)
        #expect(hex(Keccak.hash256(input)) == "fadae6b49f129bbb812be8407b7b2894f34aecf6dbd1f9b0f0c7e9853098fc96")
    }

    @Test func selectorsAndTopics() {
        #expect(hex(Array(Keccak.hash256("transfer(address,uint256)").prefix(4))) == "a9059cbb")
        #expect(hex(Keccak.hash256("Transfer(address,address,uint256)")) == "ddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef")
        #expect(ERC20.transferSelector == Array(Keccak.hash256("transfer(address,uint256)").prefix(4)))
    }
}

@Suite struct ChecksumPrimitiveTests {
    @Test func crc16Xmodem() {
        #expect(CRC16.xmodem(Array("123456789".utf8)) == 0x31C3)
        #expect(CRC16.xmodem([UInt8]()) == 0)
    }

    @Test func base58RoundTripKeepsLeadingZeros() throws {
        for input: [UInt8] in [[], [0], [0, 0, 1], [0xff, 0xff], Array(0..<25)] {
            #expect(try Base58.decode(Base58.encode(input)) == input)
        }
        #expect(Base58.encode(Array("hello world".utf8)) == "StV1DL6CwTryKyV")
        #expect(Base58.encode([0, 0, 0x28, 0x7f, 0xb4, 0xcd]) == "11233QC4")
    }

    @Test func base58RefusesCharactersOutsideTheAlphabet() {
        // 0, O, I and l are left out of base58 because they are easy to confuse.
        #expect(addressError { try Base58.decode("abc0def") } == .badCharacter("0", position: 3))
        #expect(addressError { try Base58.decode("Il") } == .badCharacter("I", position: 0))
        #expect(addressError { try Base58.decode("ab€") } == .badCharacter("€", position: 2))
    }
}
