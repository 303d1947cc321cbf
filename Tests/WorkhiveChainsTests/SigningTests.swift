import Testing
@testable import WorkhiveChains

@Suite struct SigningTests {
    let key46 = [UInt8](repeating: 0x46, count: 32)
    let recipient35 = try! EVMAddress(bytes: [UInt8](repeating: 0x35, count: 20))

    @Test func addressFromPrivateKey() throws {
        #expect(try Secp256k1Signer(privateKey: key46).address.checksummed == "0x9d8A62f656a8d1615C1294fd71e9CFb3E4855A4F")
        // Key 1's public key is the generator point.
        let one = try Secp256k1Signer(privateKey: [UInt8](repeating: 0, count: 31) + [1])
        #expect(hex(one.publicKey).hasPrefix("0479be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798"))
        #expect(one.address.checksummed == "0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf")
    }

    @Test func invalidKeysAreRefused() {
        #expect(throws: Secp256k1Error.invalidPrivateKey) { try Secp256k1Signer(privateKey: [UInt8](repeating: 0, count: 32)) }
        #expect(throws: Secp256k1Error.invalidPrivateKey) { try Secp256k1Signer(privateKey: [UInt8](repeating: 0xff, count: 32)) }
        #expect(throws: Secp256k1Error.invalidPrivateKey) { try Secp256k1Signer(privateKey: [1, 2, 3]) }
        #expect(throws: Secp256k1Error.invalidPrivateKey) { try Secp256k1Signer(privateKeyHex: "zz") }
    }

    /// chains.md's type-2 vector (checked with eth-account): 12.34 USDT on BSC to 0x3535…35.
    @Test func bscUSDTTransferVector() throws {
        let signer = try Secp256k1Signer(privateKey: key46)
        let tx = EIP1559Transaction.usdtTransfer(
            chain: .bsc, nonce: 0, to: recipient35, amountMicroUSDT: 12_340_000,
            maxPriorityFeePerGasWei: 100_000_000, maxFeePerGasWei: 100_000_000, gasLimit: 60000)
        #expect(hex(tx.signingHash) == "4729d9c31ad7028331f6a165b632efb5c7883324644afbf0bc0b01bae46719d0")
        let signed = tx.signed(by: signer)
        #expect(signed.hashHex == "0xdb1c9b424bbab23ae6a1375906739e0ad03a5475914e59e6437b49fecd61ddc6")
        #expect(try signed.recoverSender() == signer.address)
        #expect(tx.to == EVMChain.bsc.usdtContract)
        #expect(hex(tx.data) == "a9059cbb" + String(repeating: "0", count: 24) + String(repeating: "35", count: 20)
            + String(repeating: "0", count: 48) + "ab407c9eb0520000")  // 12.34e18 = 0xab407c9eb0520000
    }

    @Test func signaturesAreLowSAndDeterministic() throws {
        // Half the group order: EIP-2 requires s ≤ n/2.
        let halfOrder = UInt256(decimal: "57896044618658097711785492504343953926418782139537452191302581570759080747168")!
        let signer = try Secp256k1Signer(privateKey: key46)
        for i in 0..<64 {
            let digest = Keccak.hash256([UInt8(i)])
            let sig = signer.sign(digest: digest)
            #expect(UInt256(bigEndian: sig.s)! <= halfOrder)
            #expect(signer.sign(digest: digest) == sig)
            #expect(try Secp256k1Signer.recoverAddress(digest: digest, signature: sig) == signer.address)
        }
    }

    @Test func rawTransactionRoundTripsThroughTheDecoder() throws {
        let signer = try Secp256k1Signer(privateKey: Keccak.hash256("hot wallet"))
        let tx = EIP1559Transaction.usdtTransfer(
            chain: .arbitrumOne, nonce: 300, to: recipient35, amountMicroUSDT: 150_000_000,
            maxPriorityFeePerGasWei: 0, maxFeePerGasWei: 20_000_000, gasLimit: 120_000)
        let signed = tx.signed(by: signer)
        let decoded = try SignedEIP1559Transaction(raw: signed.raw)
        #expect(decoded == signed)
        #expect(ERC20.decodeTransfer(decoded.transaction.data)?.amount == UInt256(150_000_000))
        #expect(throws: SignedEIP1559Transaction.DecodingError.notType2) { try SignedEIP1559Transaction(raw: [0x01] + signed.raw.dropFirst()) }
        var tampered = signed.raw
        tampered[tampered.count - 40] ^= 1
        // A flipped signature byte still parses but recovers someone else (or nobody).
        if let other = try? SignedEIP1559Transaction(raw: tampered) {
            #expect((try? other.recoverSender()) != signer.address)
        }
    }
}
