import Foundation

/// A new directory under the system's temporary directory, removed with everything in it once the
/// last reference to it goes (a test's harness and its copies), so test runs do not pile up files.
public final class ScratchDirectory: Sendable {
    public let path: String

    public init(prefix: String) throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}
