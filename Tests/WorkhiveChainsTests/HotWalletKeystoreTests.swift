import Foundation
import Testing
@testable import WorkhiveChains

/// The hot-wallet keystore: keys sealed under a secret from the environment, never on disk in the clear.
@Suite struct HotWalletKeystoreTests {
    let secret = "correct horse battery staple, 2026"
    // scrypt at N = 2^10 keeps the tests fast; the format records the cost, so files of any cost open.
    func keystore() -> HotWalletKeystore {
        HotWalletKeystore(directory: FileManager.default.temporaryDirectory.appendingPathComponent("workhive-keystore-\(UUID().uuidString)").path, logN: 10)
    }

    @Test func anImportedKeyIsSealedAndOpensOnlyWithItsSecret() throws {
        let store = keystore()
        let key = [UInt8](repeating: 0x46, count: 32)
        // The address of the key 0x4646…46 (reference: docs/chains.md's signing vector).
        #expect(try store.importKey(key, passphrase: secret) == "0x9d8A62f656a8d1615C1294fd71e9CFb3E4855A4F")
        let entries = try store.entries()
        #expect(entries.map(\.address) == ["0x9d8A62f656a8d1615C1294fd71e9CFb3E4855A4F"])
        let path = try #require(entries.first?.path)

        let file = try #require(FileManager.default.contents(atPath: path))
        let text = String(decoding: file, as: UTF8.self)
        #expect(!text.contains(Hex.encode(key)) && !text.contains(Data(key).base64EncodedString()), "the key must not be on disk in the clear")
        #expect(text.contains("aes-256-gcm") && text.contains("scrypt"))
        let permissions = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        #expect(permissions == 0o600)
        #expect(try FileManager.default.attributesOfItem(atPath: store.directory)[.posixPermissions] as? Int == 0o700)

        let signer = try store.unlock(entries[0], passphrase: secret)
        #expect(signer.address.checksummed == "0x9d8A62f656a8d1615C1294fd71e9CFb3E4855A4F")
        #expect(throws: KeystoreError.wrongPassphrase(path: path)) { try store.unlock(entries[0], passphrase: secret + "!") }
        #expect(throws: KeystoreError.alreadyExists(address: "0x9d8A62f656a8d1615C1294fd71e9CFb3E4855A4F", path: path)) {
            try store.importKey(key, passphrase: secret)
        }
        #expect(throws: KeystoreError.invalidPrivateKey) { try store.importKey([UInt8](repeating: 0, count: 32), passphrase: secret) }
        #expect(throws: KeystoreError.invalidPrivateKey) { try store.importKey([UInt8](repeating: 1, count: 31), passphrase: secret) }
    }

    @Test func createdKeysAreDistinctAndAllOpen() throws {
        let store = keystore()
        let a = try store.create(passphrase: secret)
        let b = try store.create(passphrase: secret)
        #expect(a != b)
        #expect(try store.entries().map(\.address) == [a, b].sorted())
        #expect(try store.unlockAll(passphrase: secret).map(\.address.checksummed) == [a, b].sorted())
        #expect(throws: KeystoreError.self) { try store.unlockAll(passphrase: "another secret of some length") }
    }

    @Test func aFileMovedToAnotherAddressDoesNotOpen() throws {
        let store = keystore()
        let a = try store.create(passphrase: secret)
        let b = try store.create(passphrase: secret)
        // Swap the sealed keys between the two files: each box is bound to its own address.
        let pa = store.directory + "/\(a).json", pb = store.directory + "/\(b).json"
        let fa = String(decoding: FileManager.default.contents(atPath: pa)!, as: UTF8.self)
        let fb = String(decoding: FileManager.default.contents(atPath: pb)!, as: UTF8.self)
        try fa.replacingOccurrences(of: a, with: b).write(toFile: pb, atomically: true, encoding: .utf8)
        try fb.replacingOccurrences(of: b, with: a).write(toFile: pa, atomically: true, encoding: .utf8)
        for entry in try store.entries() {
            #expect(throws: KeystoreError.wrongPassphrase(path: entry.path)) { try store.unlock(entry, passphrase: secret) }
        }
        try "{}".write(toFile: store.directory + "/junk.json", atomically: true, encoding: .utf8)
        #expect(throws: KeystoreError.malformed(path: store.directory + "/junk.json", "not the expected JSON")) { try store.entries() }
    }

    @Test func theSecretComesFromTheEnvironment() throws {
        #expect(throws: KeystoreError.missingPassphrase) { try HotWalletKeystore.passphrase(from: [:]) }
        #expect(throws: KeystoreError.missingPassphrase) { try HotWalletKeystore.passphrase(from: ["WORKHIVE_WALLET_KEY": ""]) }
        #expect(throws: KeystoreError.weakPassphrase(minimumCharacters: 16)) { try HotWalletKeystore.passphrase(from: ["WORKHIVE_WALLET_KEY": "short"]) }
        #expect(try HotWalletKeystore.passphrase(from: ["WORKHIVE_WALLET_KEY": secret]) == secret)
        #expect("\(KeystoreError.wrongPassphrase(path: "/k/0xA.json"))".contains("WORKHIVE_WALLET_KEY does not open /k/0xA.json"))
        #expect(try keystore().entries().isEmpty, "an absent keystore directory holds no wallet")
    }
}
