import Foundation

/// When and how long to wait before retrying a failed request.
///
/// Transport errors and 5xx answers back off exponentially with full jitter (a random wait between 0
/// and `min(maxDelay, initialDelay * multiplier^(attempt-1))`); a 429 waits its `Retry-After`.
/// Other API errors (4xx) are not retried: the same request would fail the same way.
public struct RetryPolicy: Sendable {
    /// The backoff ceiling of the first retry.
    public var initialDelay: Duration
    /// The largest backoff ceiling.
    public var maxDelay: Duration
    /// How much the ceiling grows per attempt.
    public var multiplier: Double
    /// Attempts in all (the first one included) before giving up; nil retries until cancelled.
    public var maxAttempts: Int?
    /// A cap on how long a `Retry-After` is honoured, against a server asking for absurd waits.
    public var maxRetryAfter: Duration

    public init(initialDelay: Duration = .milliseconds(200), maxDelay: Duration = .seconds(30), multiplier: Double = 2,
                maxAttempts: Int? = nil, maxRetryAfter: Duration = .seconds(300)) {
        self.initialDelay = initialDelay
        self.maxDelay = maxDelay
        self.multiplier = multiplier
        self.maxAttempts = maxAttempts
        self.maxRetryAfter = maxRetryAfter
    }

    /// 200 ms doubling to 30 s, retrying until cancelled.
    public static let `default` = RetryPolicy()

    /// Whether the same request may succeed later: a transport error, a 429 or a 5xx.
    public static func isRetryable(_ error: any Error) -> Bool {
        switch error {
        case is WorkhiveTransportError: true
        case let e as WorkhiveAPIError: e.isRateLimited || e.isServerError
        default: false
        }
    }

    /// The full-jitter backoff before retry number `attempt` (1 for the first retry).
    public func backoff(attempt: Int) -> Duration {
        let base = initialDelay.secondsValue * pow(multiplier, Double(max(0, attempt - 1)))
        let ceiling = min(maxDelay.secondsValue, base)
        return .seconds(Double.random(in: 0...max(0, ceiling)))
    }

    /// How long to wait after `error` on attempt `attempt` (1-based), or nil when it should not be
    /// retried. A 429 waits its `Retry-After` (plus up to 10% jitter so a crowd does not return at once).
    public func delay(after error: any Error, attempt: Int) -> Duration? {
        guard Self.isRetryable(error) else { return nil }
        if let maxAttempts, attempt >= maxAttempts { return nil }
        if let api = error as? WorkhiveAPIError, api.isRateLimited {
            let seconds = Double(max(1, api.retryAfterSeconds ?? 1))
            return min(maxRetryAfter, .seconds(seconds + Double.random(in: 0...(seconds / 10))))
        }
        return backoff(attempt: attempt)
    }

    /// Runs `operation`, retrying it while `delay(after:attempt:)` says so. `onRetry` is told of each
    /// error that will be retried and the wait before the retry. Cancellation stops the wait at once.
    public func run<T>(
        onRetry: (@Sendable (_ error: any Error, _ attempt: Int, _ delay: Duration) -> Void)? = nil,
        _ operation: () async throws -> T
    ) async throws -> T {
        var attempt = 1
        while true {
            do {
                return try await operation()
            } catch {
                guard !(error is CancellationError), let wait = delay(after: error, attempt: attempt) else { throw error }
                onRetry?(error, attempt, wait)
                try await Task.sleep(for: wait)
                attempt += 1
            }
        }
    }
}

extension Duration {
    /// The duration in seconds as a Double.
    var secondsValue: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
