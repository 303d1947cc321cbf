/// Time as the engine sees it, injected so tests can move it.
public protocol WorkhiveClock: Sendable {
    func nowMillis() -> Int64
}

/// Randomness as the engine sees it (spot-check draws, claim ids, key secrets), injected so tests can fix it.
public protocol RandomSource: Sendable {
    func nextUInt64() -> UInt64
}

extension RandomSource {
    /// Uniform in [0, 1).
    public func nextUnit() -> Double { Double(nextUInt64() >> 11) * 0x1.0p-53 }
    /// Positive 63-bit value, never 0.
    public func nextPositiveInt64() -> Int64 { Int64(bitPattern: nextUInt64() >> 1) | 1 }
}

/// Verification slots to open for a submission: `verifiers` slots, one of them human-only with
/// probability `spotCheckRate`.
public func verificationSlots(policy: VerificationPolicy, draw: Double) -> [Bool] {
    guard policy.verifiers > 0 else { return [] }
    var humanOnly = Array(repeating: false, count: policy.verifiers)
    if draw < policy.spotCheckRate { humanOnly[0] = true }
    return humanOnly
}
