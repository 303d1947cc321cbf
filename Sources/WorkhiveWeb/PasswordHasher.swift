import Crypto
import _CryptoExtras
import Dispatch
import Foundation

/// Password hashing with scrypt (memory-hard), stored as `scrypt$<log2 N>$<r>$<p>$<salt>$<hash>` with
/// base64 salt and hash, so the cost can be raised later without breaking existing logins.
/// Derivation runs on a Dispatch queue: tens of milliseconds of CPU and memory per call should not
/// hold one of the few cooperative threads that serve every request.
struct PasswordHasher: Sendable {
    /// log2 of scrypt's N. 15 (N = 32768, r = 8: 32 MiB per derivation) is the interactive-login
    /// setting the scrypt paper recommends; tests may lower it.
    var logN: Int = 15
    var blockSize = 8
    var parallelism = 1

    static let minimumPasswordLength = 10
    static let maximumPasswordBytes = 1024

    func hash(_ password: String) async throws -> String {
        var salt = [UInt8](repeating: 0, count: 16)
        var generator = SystemRandomNumberGenerator()
        for i in salt.indices { salt[i] = generator.next() }
        let derived = try await Self.derive(password, salt: salt, logN: logN, r: blockSize, p: parallelism)
        return "scrypt$\(logN)$\(blockSize)$\(parallelism)$\(Data(salt).base64EncodedString())$\(Data(derived).base64EncodedString())"
    }

    /// Whether `password` matches `stored`; false for anything malformed.
    func verify(_ password: String, against stored: String) async -> Bool {
        let parts = stored.split(separator: "$", omittingEmptySubsequences: false)
        guard parts.count == 6, parts[0] == "scrypt", let logN = Int(parts[1]), let r = Int(parts[2]), let p = Int(parts[3]),
              (10...20).contains(logN), (1...16).contains(r), (1...4).contains(p),
              let salt = Data(base64Encoded: String(parts[4])), let expected = Data(base64Encoded: String(parts[5])), expected.count == 32
        else { return false }
        guard let derived = try? await Self.derive(password, salt: Array(salt), logN: logN, r: r, p: p) else { return false }
        return constantTimeEquals(derived, Array(expected))
    }

    /// Spends the same work as a real check, so an unknown e-mail answers as slowly as a wrong password.
    func burnTime(_ password: String) async {
        _ = try? await Self.derive(password, salt: Array(repeating: 0, count: 16), logN: logN, r: blockSize, p: parallelism)
    }

    private static func derive(_ password: String, salt: [UInt8], logN: Int, r: Int, p: Int) async throws -> [UInt8] {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                do {
                    let key = try KDF.Scrypt.deriveKey(
                        from: Array(password.utf8), salt: salt, outputByteCount: 32, rounds: 1 << logN, blockSize: r,
                        parallelism: p, maxMemory: 256 * r * (1 << logN) + (1 << 20))
                    continuation.resume(returning: key.withUnsafeBytes { Array($0) })
                } catch {
                    continuation.resume(throwing: error)
                }
            }
        }
    }
}

func constantTimeEquals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
    guard a.count == b.count else { return false }
    var difference: UInt8 = 0
    for i in a.indices { difference |= a[i] ^ b[i] }
    return difference == 0
}
