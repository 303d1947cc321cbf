/// The closed set of error codes the platform answers with. Each maps to exactly one HTTP status here,
/// so the server never decides a status on its own.
public enum ErrorCode: String, Sendable, CaseIterable, Codable {
    case invalidRequest = "invalid_request"
    case invalidJSON = "invalid_json"
    case unauthenticated = "unauthenticated"
    case forbidden = "forbidden"
    case notFound = "not_found"
    case methodNotAllowed = "method_not_allowed"
    case conflict = "conflict"
    case insufficientFunds = "insufficient_funds"
    case idempotencyKeyReused = "idempotency_key_reused"
    case claimExpired = "claim_expired"
    case taskNotOpen = "task_not_open"
    case verificationClosed = "verification_closed"
    case payloadTooLarge = "payload_too_large"
    case unsupportedMediaType = "unsupported_media_type"
    case rateLimited = "rate_limited"
    case workerSuspended = "worker_suspended"
    /// A payout address that does not validate on its network; the message names what is wrong.
    case invalidAddress = "invalid_address"
    /// A payout asked for on no network the worker has an address on.
    case noPayoutAddress = "no_payout_address"
    /// A payout under every candidate network's minimum, or one its network fee would swallow.
    case belowMinimumPayout = "below_minimum_payout"
    /// The submission was appealed already: each rejection can be appealed once.
    case appealExists = "appeal_exists"
    /// The submission cannot be appealed (not rejected by a panel, its window passed, or its task moved on).
    case notAppealable = "not_appealable"
    case internalError = "internal_error"

    public var httpStatus: Int {
        switch self {
        case .invalidRequest, .invalidJSON, .invalidAddress, .belowMinimumPayout: 400
        case .unauthenticated: 401
        case .insufficientFunds: 402
        case .forbidden, .workerSuspended: 403
        case .notFound: 404
        case .methodNotAllowed: 405
        case .conflict, .idempotencyKeyReused, .taskNotOpen, .verificationClosed: 409
        case .claimExpired, .noPayoutAddress, .appealExists, .notAppealable: 409
        case .payloadTooLarge: 413
        case .unsupportedMediaType: 415
        case .rateLimited: 429
        case .internalError: 500
        }
    }
}

/// An error a caller can act on: a code from the closed set and a message for a person.
public struct WorkhiveError: Error, Sendable, Equatable, CustomStringConvertible {
    public let code: ErrorCode
    public let message: String
    public init(_ code: ErrorCode, _ message: String) {
        self.code = code
        self.message = message
    }
    public var description: String { "\(code.rawValue): \(message)" }

    public static func invalid(_ message: String) -> Self { .init(.invalidRequest, message) }
    public static func notFound(_ what: String) -> Self { .init(.notFound, "\(what) not found") }
    public static func forbidden(_ message: String) -> Self { .init(.forbidden, message) }
}
