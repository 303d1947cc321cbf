import Foundation
#if canImport(Glibc)
import Glibc
#endif

extension Process {
    /// `run()`, for tests. On Linux, Foundation's `Process.run()` reads `/proc/self/fd` to find the
    /// descriptors to close in the child, and copies each directory entry's whole 256-byte name
    /// field; an entry at the very end of glibc's directory buffer then reads past it, and if the
    /// next page is unmapped the test process dies with SIGSEGV (swift-corelibs-foundation#5472,
    /// fixed upstream after the 6.3.1 toolchain this project builds with). A test process holds many
    /// descriptors (database pools, sockets, servers), so it happened in CI. Allocations of 32 KiB
    /// and more, directory buffers among them, are given mappings of their own from the first launch
    /// on: rounded up to whole pages, they leave room for the over-read.
    public func runChild() throws {
        #if canImport(Glibc)
        _ = Self.directoryBuffersInOwnMappings
        #endif
        try run()
    }

    #if canImport(Glibc)
    private static let directoryBuffersInOwnMappings: Bool = {
        // mallopt(M_MMAP_THRESHOLD, 32 KiB); <malloc.h> is not part of the Glibc module.
        typealias MallOpt = @convention(c) (Int32, Int32) -> Int32
        let mmapThreshold: Int32 = -3  // M_MMAP_THRESHOLD
        guard let symbol = dlsym(nil, "mallopt") else { return false }  // nil: RTLD_DEFAULT
        return unsafeBitCast(symbol, to: MallOpt.self)(mmapThreshold, 32 * 1024) == 1
    }()
    #endif
}
