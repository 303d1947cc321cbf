import Foundation
import Synchronization

/// Thrown when a key has spent its tokens; answered 429 with Retry-After.
struct RateLimited: Error {
    let retryAfterSeconds: Int
}

/// A token bucket per API key (or per client address for anonymous calls): `burst` requests at
/// once, refilled at `perSecond`.
final class RateLimiter: Sendable {
    private struct Bucket {
        var tokens: Double
        var updated: Double
    }

    let perSecond: Double
    let burst: Double
    private let buckets = Mutex([String: Bucket]())

    init(perSecond: Double, burst: Double) {
        self.perSecond = perSecond
        self.burst = burst
    }

    /// Takes one token for `key` or throws how long to wait.
    func acquire(_ key: String, now: Double = ProcessInfo.processInfo.systemUptime) throws {
        guard perSecond > 0 else { return }
        let wait: Double? = buckets.withLock { buckets in
            if buckets.count > 50_000 { buckets.removeAll() }
            var b = buckets[key] ?? Bucket(tokens: burst, updated: now)
            b.tokens = min(burst, b.tokens + (now - b.updated) * perSecond)
            b.updated = now
            defer { buckets[key] = b }
            if b.tokens >= 1 {
                b.tokens -= 1
                return nil
            }
            return (1 - b.tokens) / perSecond
        }
        if let wait { throw RateLimited(retryAfterSeconds: max(1, Int(wait.rounded(.up)))) }
    }
}
