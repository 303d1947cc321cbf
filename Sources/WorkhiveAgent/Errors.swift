/// The server answered with an error: `{"error": {"code", "message"}}` and an HTTP status.
///
/// `code` is the machine-readable reason (`claim_expired`, `rate_limited`, `not_found`, ...);
/// `retryAfterSeconds` carries a 429 answer's `Retry-After`.
public struct WorkhiveAPIError: Error, Sendable, Hashable, CustomStringConvertible {
    public var status: Int
    public var code: String
    public var message: String
    public var retryAfterSeconds: Int?

    public init(status: Int, code: String, message: String, retryAfterSeconds: Int? = nil) {
        self.status = status
        self.code = code
        self.message = message
        self.retryAfterSeconds = retryAfterSeconds
    }

    public var description: String { "HTTP \(status) \(code): \(message)" }

    /// A 429: wait `retryAfterSeconds` and try again.
    public var isRateLimited: Bool { status == 429 }
    /// A 5xx: the server failed; the same request may succeed later.
    public var isServerError: Bool { status >= 500 }
    /// The claim is no longer held (lease expired, released or completed): drop it.
    public var isClaimGone: Bool { code == Codes.claimExpired || code == Codes.verificationClosed }

    /// Error codes the server answers with.
    public enum Codes {
        public static let invalidRequest = "invalid_request"
        public static let invalidJSON = "invalid_json"
        public static let unauthenticated = "unauthenticated"
        public static let forbidden = "forbidden"
        public static let notFound = "not_found"
        public static let conflict = "conflict"
        public static let insufficientFunds = "insufficient_funds"
        public static let idempotencyKeyReused = "idempotency_key_reused"
        public static let claimExpired = "claim_expired"
        public static let taskNotOpen = "task_not_open"
        public static let verificationClosed = "verification_closed"
        public static let payloadTooLarge = "payload_too_large"
        public static let unsupportedMediaType = "unsupported_media_type"
        public static let rateLimited = "rate_limited"
        public static let workerSuspended = "worker_suspended"
        public static let appealExists = "appeal_exists"
        public static let notAppealable = "not_appealable"
        public static let internalError = "internal_error"
    }
}

/// The request never got a usable HTTP answer: connection refused or reset, timeout, TLS failure.
/// The server may or may not have acted on it, so only idempotent requests should be retried.
public struct WorkhiveTransportError: Error, Sendable, CustomStringConvertible {
    public var underlying: any Error
    public init(_ underlying: any Error) { self.underlying = underlying }
    public var description: String { "transport error: \(String(describing: underlying))" }
}

/// The server answered successfully but with a body this SDK could not decode.
public struct WorkhiveDecodingError: Error, Sendable, CustomStringConvertible {
    public var status: Int
    public var type: String
    public var underlying: any Error
    public var body: String
    public var description: String { "cannot decode \(type) from HTTP \(status): \(underlying); body: \(body.prefix(300))" }
}
