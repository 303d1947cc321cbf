import Testing
@testable import WorkhiveChains

/// Vectors from Ethereum's RLP specification.
@Suite struct RLPTests {
    @Test func specificationExamples() {
        #expect(hex(RLP.bytes(Array("dog".utf8)).encoded) == "83646f67")
        #expect(hex(RLP.list([.bytes(Array("cat".utf8)), .bytes(Array("dog".utf8))]).encoded) == "c88363617483646f67")
        #expect(hex(RLP.bytes([]).encoded) == "80")
        #expect(hex(RLP.list([]).encoded) == "c0")
        #expect(hex(RLP.uint(0).encoded) == "80")
        #expect(hex(RLP.bytes([0]).encoded) == "00")
        #expect(hex(RLP.uint(15).encoded) == "0f")
        #expect(hex(RLP.uint(1024).encoded) == "820400")
        let setTheoretic = RLP.list([.list([]), .list([.list([])]), .list([.list([]), .list([.list([])])])])
        #expect(hex(setTheoretic.encoded) == "c7c0c1c0c3c0c1c0")
        let lorem = "Lorem ipsum dolor sit amet, consectetur adipisicing elit"
        #expect(hex(RLP.bytes(Array(lorem.utf8)).encoded) == "b838" + hex(Array(lorem.utf8)))
    }

    @Test func decodesWhatItEncodesAndRefusesNonCanonical() throws {
        let item = RLP.list([.uint(1024), .bytes([UInt8](repeating: 7, count: 100)), .list([.bytes([]), .uint(5)])])
        #expect(try RLP.decode(item.encoded) == item)
        #expect(throws: RLP.DecodingError.nonCanonical) { try RLP.decode([0x81, 0x05]) }  // 0x05 encodes itself
        #expect(throws: RLP.DecodingError.nonCanonical) { try RLP.decode([0xb8, 0x02, 1, 2]) }  // short length in long form
        #expect(throws: RLP.DecodingError.truncated) { try RLP.decode([0x83, 0x64, 0x6f]) }
        #expect(throws: RLP.DecodingError.trailingBytes) { try RLP.decode([0x05, 0x06]) }
    }

    /// EIP-155's worked example: the legacy signing payload of a transaction on chain 1, and the
    /// signature its key must give. Exercises RLP, Keccak and the libsecp256k1 signer together.
    @Test func eip155ExampleSigningHashAndSignature() throws {
        let to = [UInt8](repeating: 0x35, count: 20)
        let payload = RLP.list([
            .uint(9), .uint(20_000_000_000), .uint(21000), .bytes(to), .uint(1_000_000_000_000_000_000), .bytes([]),
            .uint(1), .uint(0), .uint(0),
        ]).encoded
        #expect(hex(payload) == "ec098504a817c800825208943535353535353535353535353535353535353535880de0b6b3a764000080018080")
        let digest = Keccak.hash256(payload)
        #expect(hex(digest) == "daf5a779ae972f972197303d7b574746c7ef83eadac0f2791ad23db92e4c8e53")
        let signer = try Secp256k1Signer(privateKey: [UInt8](repeating: 0x46, count: 32))
        let sig = signer.sign(digest: digest)
        // v = 37 = chainId * 2 + 35 + 0, so the recovery id is 0.
        #expect(sig.yParity == 0)
        #expect(UInt256(bigEndian: sig.r)?.description == "18515461264373351373200002665853028612451056578545711640558177340181847433846")
        #expect(UInt256(bigEndian: sig.s)?.description == "46948507304638947509940763649030358759909902576025900602547168820602576006531")
    }
}

@Suite struct UInt256Tests {
    @Test func arithmeticAndDecimal() {
        let max = UInt256.max
        #expect(max.description == "115792089237316195423570985008687907853269984665640564039457584007913129639935")
        #expect(UInt256(decimal: max.description) == max)
        #expect(UInt256(decimal: "115792089237316195423570985008687907853269984665640564039457584007913129639936") == nil)
        #expect(max.addingReportingOverflow(1).overflow)
        #expect(UInt256.zero.subtractingReportingOverflow(1).overflow)
        let big = UInt256(UInt64.max) * UInt64.max
        #expect(big.description == "340282366920938463426481119284349108225")
        #expect(big.quotientAndRemainder(dividingBy: UInt64.max).quotient == UInt256(UInt64.max))
        #expect(UInt256(decimal: "12a") == nil && UInt256(decimal: "") == nil)
        #expect(UInt256(1) < UInt256(limbs: (0, 1, 0, 0)))
    }

    @Test func bytes() {
        let v = UInt256(0x0102)
        #expect(v.minimalBigEndianBytes == [1, 2])
        #expect(v.bigEndianBytes.count == 32 && v.bigEndianBytes.suffix(2) == [1, 2])
        #expect(UInt256(bigEndian: [0, 0, 1, 2]) == v)
        #expect(UInt256(bigEndian: [UInt8](repeating: 1, count: 33)) == nil)
        #expect(UInt256.zero.minimalBigEndianBytes == [])
    }

    @Test func usdtUnitsPerChain() {
        // 12.34 USDT: 18 decimals on BSC needs more than 64 bits for large amounts.
        #expect(EVMChain.bsc.tokenUnits(microUSDT: 12_340_000).description == "12340000000000000000")
        #expect(EVMChain.arbitrumOne.tokenUnits(microUSDT: 12_340_000).description == "12340000")
        #expect(EVMChain.bsc.tokenUnits(microUSDT: 1_000_000_000_000).description == "1000000000000000000000000")
        #expect(EVMChain.bsc.tokenUnits(microUSDT: 1_000_000_000_000).uint64 == nil)
    }
}
