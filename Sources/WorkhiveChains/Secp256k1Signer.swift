import CSecp256k1

/// A recoverable ECDSA signature over secp256k1 as Ethereum uses it: r, s (low-s, EIP-2) and the
/// y-parity of R (0 or 1), from which the signer's public key can be recovered.
public struct RecoverableSignature: Hashable, Sendable {
    public let r: [UInt8]  // 32 bytes
    public let s: [UInt8]  // 32 bytes
    public let yParity: UInt8

    public init(r: [UInt8], s: [UInt8], yParity: UInt8) {
        precondition(r.count == 32 && s.count == 32 && yParity <= 1, "r, s are 32 bytes; y-parity 0 or 1")
        self.r = r
        self.s = s
        self.yParity = yParity
    }
}

public enum Secp256k1Error: Error, Equatable, Sendable {
    /// Zero, or not below the group order.
    case invalidPrivateKey
    case invalidSignature
    case recoveryFailed
}

/// One libsecp256k1 context for the process. A context that is never randomized after creation is safe
/// to share between threads (libsecp256k1's documented rule), hence @unchecked Sendable.
final class Secp256k1Context: @unchecked Sendable {
    static let shared = Secp256k1Context()
    let pointer: OpaquePointer

    private init() {
        // SECP256K1_CONTEXT_NONE: since 0.2 every context can sign and verify.
        guard let ctx = secp256k1_context_create(UInt32(SECP256K1_CONTEXT_NONE)) else {
            fatalError("secp256k1_context_create failed")
        }
        pointer = ctx
    }
}

/// Signs 32-byte digests with one private key through libsecp256k1. The nonce is RFC 6979
/// (libsecp256k1's default), so a digest always gets the same signature, and so does eth-account.
public struct Secp256k1Signer: Sendable {
    private let privateKey: [UInt8]
    /// The uncompressed public key, 0x04 || X || Y.
    public let publicKey: [UInt8]
    /// The Ethereum address of the key (keccak256(X || Y), last 20 bytes).
    public let address: EVMAddress

    public init(privateKey: [UInt8]) throws(Secp256k1Error) {
        let ctx = Secp256k1Context.shared.pointer
        guard privateKey.count == 32, secp256k1_ec_seckey_verify(ctx, privateKey) == 1 else {
            throw .invalidPrivateKey
        }
        var pubkey = secp256k1_pubkey()
        guard secp256k1_ec_pubkey_create(ctx, &pubkey, privateKey) == 1 else { throw .invalidPrivateKey }
        self.privateKey = privateKey
        self.publicKey = Self.serializeUncompressed(pubkey)
        self.address = try! EVMAddress(uncompressedPublicKey: publicKey)
    }

    /// Parses a 64-hex-digit key (optional 0x).
    public init(privateKeyHex: String) throws(Secp256k1Error) {
        guard let bytes = Hex.decode(privateKeyHex) else { throw .invalidPrivateKey }
        try self.init(privateKey: bytes)
    }

    public func sign(digest: [UInt8]) -> RecoverableSignature {
        precondition(digest.count == 32, "secp256k1 signs 32-byte digests")
        let ctx = Secp256k1Context.shared.pointer
        var sig = secp256k1_ecdsa_recoverable_signature()
        // nil nonce function = RFC 6979; the key was verified in init, so signing cannot fail.
        guard secp256k1_ecdsa_sign_recoverable(ctx, &sig, digest, privateKey, nil, nil) == 1 else {
            fatalError("secp256k1_ecdsa_sign_recoverable failed for a verified key")
        }
        var compact = [UInt8](repeating: 0, count: 64)
        var recid: Int32 = 0
        secp256k1_ecdsa_recoverable_signature_serialize_compact(ctx, &compact, &recid, &sig)
        // libsecp256k1 always emits low-s, which EIP-2 requires.
        return RecoverableSignature(r: Array(compact[0..<32]), s: Array(compact[32..<64]), yParity: UInt8(recid))
    }

    /// The uncompressed public key that produced `signature` over `digest`.
    public static func recoverPublicKey(digest: [UInt8], signature: RecoverableSignature) throws(Secp256k1Error) -> [UInt8] {
        guard digest.count == 32 else { throw .invalidSignature }
        let ctx = Secp256k1Context.shared.pointer
        var sig = secp256k1_ecdsa_recoverable_signature()
        guard secp256k1_ecdsa_recoverable_signature_parse_compact(ctx, &sig, signature.r + signature.s, Int32(signature.yParity)) == 1 else {
            throw .invalidSignature
        }
        var pubkey = secp256k1_pubkey()
        guard secp256k1_ecdsa_recover(ctx, &pubkey, &sig, digest) == 1 else { throw .recoveryFailed }
        return serializeUncompressed(pubkey)
    }

    public static func recoverAddress(digest: [UInt8], signature: RecoverableSignature) throws(Secp256k1Error) -> EVMAddress {
        try! EVMAddress(uncompressedPublicKey: try recoverPublicKey(digest: digest, signature: signature))
    }

    private static func serializeUncompressed(_ key: secp256k1_pubkey) -> [UInt8] {
        var key = key
        var out = [UInt8](repeating: 0, count: 65)
        var length = 65
        secp256k1_ec_pubkey_serialize(Secp256k1Context.shared.pointer, &out, &length, &key, UInt32(SECP256K1_EC_UNCOMPRESSED))
        return out
    }
}
