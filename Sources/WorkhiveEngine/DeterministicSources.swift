import Synchronization
import WorkhiveCore

/// A clock that moves only when told: lease expiry and deadlines in tests without sleeping.
public final class ManualClock: WorkhiveClock {
    private let millis: Mutex<Int64>
    public init(startMillis: Int64 = 1_800_000_000_000) { millis = Mutex(startMillis) }
    public func nowMillis() -> Int64 { millis.withLock { $0 } }
    public func advance(seconds: Double) { millis.withLock { $0 += Int64(seconds * 1000) } }
}

/// SplitMix64: reproducible randomness for tests and benchmarks.
public final class SeededRandom: RandomSource {
    private let state: Mutex<UInt64>
    public init(seed: UInt64) { state = Mutex(seed) }
    public func nextUInt64() -> UInt64 {
        state.withLock { s in
            s &+= 0x9E37_79B9_7F4A_7C15
            var z = s
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }
}
