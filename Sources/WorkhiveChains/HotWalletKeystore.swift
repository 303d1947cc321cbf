import Crypto
import Foundation
import _CryptoExtras

/// Why a keystore operation failed. Messages name files and addresses, never key material.
public enum KeystoreError: Error, Equatable, Sendable, CustomStringConvertible {
    case missingPassphrase
    case weakPassphrase(minimumCharacters: Int)
    case wrongPassphrase(path: String)
    case alreadyExists(address: String, path: String)
    case malformed(path: String, String)
    case invalidPrivateKey

    public var description: String {
        switch self {
        case .missingPassphrase:
            "set \(HotWalletKeystore.environmentVariable) to the secret that seals hot-wallet keys (it is never stored)"
        case .weakPassphrase(let minimum):
            "\(HotWalletKeystore.environmentVariable) is shorter than \(minimum) characters; use a long random secret"
        case .wrongPassphrase(let path):
            "\(HotWalletKeystore.environmentVariable) does not open \(path): it was sealed under another key, or the file was altered"
        case .alreadyExists(let address, let path): "the keystore already holds \(address) (\(path))"
        case .malformed(let path, let why): "\(path) is not a Workhive hot-wallet file: \(why)"
        case .invalidPrivateKey: "not a secp256k1 private key (64 hex digits, not zero, below the group order)"
        }
    }
}

/// Hot-wallet keys at rest: one JSON file per wallet in a directory (0700, files 0600). Each private key
/// is sealed with AES-256-GCM under a key that scrypt derives from the secret in WORKHIVE_WALLET_KEY and
/// the file's own salt. The address stays readable, so wallets can be listed without the secret, and is
/// the sealed box's associated data, so a file's key cannot be passed off under another address.
public struct HotWalletKeystore: Sendable {
    public static let environmentVariable = "WORKHIVE_WALLET_KEY"
    public static let minimumPassphraseCharacters = 16

    public let directory: String
    /// log2 of scrypt's N: 15 (32 MiB, about 0.1 s) by default; tests lower it.
    public var logN: Int

    public init(directory: String, logN: Int = 15) {
        self.directory = directory
        self.logN = logN
    }

    /// The secret from the environment (WORKHIVE_WALLET_KEY).
    public static func passphrase(from environment: [String: String] = ProcessInfo.processInfo.environment) throws(KeystoreError) -> String {
        guard let secret = environment[environmentVariable], !secret.isEmpty else { throw .missingPassphrase }
        guard secret.count >= minimumPassphraseCharacters else { throw .weakPassphrase(minimumCharacters: minimumPassphraseCharacters) }
        return secret
    }

    struct File: Codable {
        struct KDF: Codable {
            var name = "scrypt"
            let logN, r, p: Int
            let salt: String
            enum CodingKeys: String, CodingKey { case name, logN = "log_n", r, p, salt }
        }
        var version = 1
        let address: String
        let kdf: KDF
        var cipher = "aes-256-gcm"
        /// base64 of nonce || ciphertext || tag.
        let sealed: String
    }

    public struct Entry: Hashable, Sendable {
        public let address: String
        public let path: String
    }

    /// The wallets in the keystore, by address (nothing is decrypted). An absent directory is empty.
    public func entries() throws(KeystoreError) -> [Entry] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return [] }
        var out: [Entry] = []
        for name in names.sorted() where name.hasSuffix(".json") {
            let path = directory + "/" + name
            out.append(Entry(address: try read(path).address, path: path))
        }
        return out
    }

    /// Makes a new random key, stores it sealed, and returns its address.
    @discardableResult
    public func create(passphrase: String) throws(KeystoreError) -> String {
        var key: [UInt8]
        repeat { key = SecureRandom.bytes(32) } while (try? Secp256k1Signer(privateKey: key)) == nil  // ~2^-128 odds of a retry
        return try importKey(key, passphrase: passphrase)
    }

    /// Stores an existing private key sealed, and returns its address; refuses one already present.
    @discardableResult
    public func importKey(_ privateKey: [UInt8], passphrase: String) throws(KeystoreError) -> String {
        guard let signer = try? Secp256k1Signer(privateKey: privateKey) else { throw .invalidPrivateKey }
        let address = signer.address.checksummed
        let path = directory + "/\(address).json"
        if let existing = try entries().first(where: { $0.address == address }) { throw .alreadyExists(address: address, path: existing.path) }
        let salt = SecureRandom.bytes(16)
        let box: AES.GCM.SealedBox
        do {
            let key = try Self.derive(passphrase, salt: salt, logN: logN, r: 8, p: 1)
            box = try AES.GCM.seal(privateKey, using: key, authenticating: Self.associatedData(address))
        } catch {
            throw .malformed(path: path, "sealing failed: \(error)")
        }
        let file = File(address: address, kdf: .init(logN: logN, r: 8, p: 1, salt: Data(salt).base64EncodedString()),
                        sealed: box.combined!.base64EncodedString())
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            // Written under a temporary name with 0600 from the start, then renamed into place.
            let temporary = directory + "/.\(address).\(UUID().uuidString).tmp"
            guard FileManager.default.createFile(atPath: temporary, contents: try encoder.encode(file), attributes: [.posixPermissions: 0o600]) else {
                throw CocoaError(.fileWriteUnknown)
            }
            do { try FileManager.default.moveItem(atPath: temporary, toPath: path) } catch {
                try? FileManager.default.removeItem(atPath: temporary)
                throw error
            }
        } catch {
            throw .malformed(path: path, "cannot write it: \(error)")
        }
        return address
    }

    /// Opens one wallet: a wrong secret (or an altered file) is `.wrongPassphrase`.
    public func unlock(_ entry: Entry, passphrase: String) throws(KeystoreError) -> Secp256k1Signer {
        let file = try read(entry.path)
        guard file.kdf.name == "scrypt", (10...22).contains(file.kdf.logN), (1...16).contains(file.kdf.r), (1...4).contains(file.kdf.p),
              let salt = Data(base64Encoded: file.kdf.salt), let sealed = Data(base64Encoded: file.sealed)
        else { throw .malformed(path: entry.path, "unsupported key derivation or encoding") }
        let key: [UInt8]
        do {
            let box = try AES.GCM.SealedBox(combined: sealed)
            let derived = try Self.derive(passphrase, salt: Array(salt), logN: file.kdf.logN, r: file.kdf.r, p: file.kdf.p)
            key = Array(try AES.GCM.open(box, using: derived, authenticating: Self.associatedData(file.address)))
        } catch {
            throw .wrongPassphrase(path: entry.path)
        }
        guard let signer = try? Secp256k1Signer(privateKey: key), signer.address.checksummed == file.address else {
            throw .malformed(path: entry.path, "the sealed key is not the key of \(file.address)")
        }
        return signer
    }

    /// Opens every wallet in the keystore, in address order.
    public func unlockAll(passphrase: String) throws(KeystoreError) -> [Secp256k1Signer] {
        var out: [Secp256k1Signer] = []
        for entry in try entries() { out.append(try unlock(entry, passphrase: passphrase)) }
        return out
    }

    private func read(_ path: String) throws(KeystoreError) -> File {
        guard let data = FileManager.default.contents(atPath: path) else { throw .malformed(path: path, "cannot read it") }
        guard let file = try? JSONDecoder().decode(File.self, from: data) else { throw .malformed(path: path, "not the expected JSON") }
        guard file.version == 1, file.cipher == "aes-256-gcm", (try? EVMAddress(file.address))?.checksummed == file.address else {
            throw .malformed(path: path, "unknown version, cipher or address")
        }
        return file
    }

    private static func associatedData(_ address: String) -> [UInt8] { Array("workhive hot wallet v1 \(address)".utf8) }

    private static func derive(_ passphrase: String, salt: [UInt8], logN: Int, r: Int, p: Int) throws -> SymmetricKey {
        try KDF.Scrypt.deriveKey(from: Array(passphrase.utf8), salt: salt, outputByteCount: 32, rounds: 1 << logN, blockSize: r,
                                 parallelism: p, maxMemory: 256 * r * (1 << logN) + (1 << 20))
    }
}
