import Synchronization
import WorkhiveCore

/// Caps a resource a client holds open (event WebSockets, long-poll claim waiters): at most
/// `perKey` at once for one API key and `total` for the whole server. Beyond either, `enter`
/// answers 429 `rate_limited` naming the limit; `leave` gives the slot back.
final class ConnectionQuota: Sendable {
    let what: String
    let perKey: Int
    let total: Int
    private let counts = Mutex<(byKey: [String: Int], total: Int)>(([:], 0))

    init(_ what: String, perKey: Int, total: Int) {
        self.what = what
        self.perKey = perKey
        self.total = total
    }

    /// Throws `rate_limited` when `key` could not take one more slot now, without taking one: for
    /// refusing with a plain HTTP answer before a WebSocket upgrade.
    func requireRoom(_ key: String) throws(WorkhiveError) {
        if let refusal = counts.withLock({ reason(key, $0) }) { throw WorkhiveError(.rateLimited, refusal) }
    }

    /// Takes a slot for `key`, or throws `rate_limited`.
    func enter(_ key: String) throws(WorkhiveError) {
        let refusal: String? = counts.withLock { c in
            if let refusal = reason(key, c) { return refusal }
            c.byKey[key, default: 0] += 1
            c.total += 1
            return nil
        }
        if let refusal { throw WorkhiveError(.rateLimited, refusal) }
    }

    private func reason(_ key: String, _ c: (byKey: [String: Int], total: Int)) -> String? {
        if c.byKey[key, default: 0] >= perKey { return "at most \(perKey) open \(what) per API key" }
        if c.total >= total { return "the server holds its maximum of \(total) open \(what); retry later" }
        return nil
    }

    func leave(_ key: String) {
        counts.withLock { c in
            let n = c.byKey[key, default: 0] - 1
            c.byKey[key] = n > 0 ? n : nil
            c.total -= 1
        }
    }

    /// Runs `body` holding a slot for `key`.
    func holding<T>(_ key: String, _ body: () async throws -> T) async throws -> T {
        try enter(key)
        defer { leave(key) }
        return try await body()
    }

    var open: Int { counts.withLock { $0.total } }
}

extension Principal {
    /// The key a quota counts this caller under: one per worker or owner.
    var quotaKey: String {
        switch self {
        case .owner(let id, _): "owner:\(id.rawValue)"
        case .worker(let id, _, _): "worker:\(id.rawValue)"
        }
    }
}
