import Foundation

/// The Python the tests' reference libraries and peers run on: $WORKHIVE_PYTHON, then the package's
/// .venv (which .ci/run fills from the requirements files), then python3 on the PATH — the first that
/// imports the modules a test needs. Without one a test skips, unless `CI` is set: then it fails.
public enum TestPython {
    public static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    public static let isCI = ProcessInfo.processInfo.environment["CI"].map { !$0.isEmpty } ?? false

    /// An executable that imports every module in `modules`; "/usr/bin/env" means `env python3`.
    public static func executable(importing modules: [String]) -> String? {
        var candidates: [String] = []
        if let configured = ProcessInfo.processInfo.environment["WORKHIVE_PYTHON"] { candidates.append(configured) }
        candidates.append(packageRoot.appendingPathComponent(".venv/bin/python3").path)
        candidates.append("/usr/bin/env")
        let probe = ["-c", modules.map { "import \($0)" }.joined(separator: "; ")]
        for candidate in candidates {
            if let result = try? runToEndBlocking(candidate, arguments(for: candidate, probe)), result.status == 0 { return candidate }
        }
        return nil
    }

    /// `arguments` for a Python script or flags, with "python3" in front when the executable is env.
    public static func arguments(for executable: String, _ arguments: [String]) -> [String] {
        executable == "/usr/bin/env" ? ["python3"] + arguments : arguments
    }
}

/// Runs a program to its end, stdout and stderr together, on a thread of its own: waiting for it on
/// the cooperative pool (two threads on a 2-core machine) would stall every other test meanwhile.
public func runToEnd(_ executable: String, _ arguments: [String], environment: [String: String] = [:]) async throws -> (status: Int32, output: String) {
    try await offCooperativePool { try runToEndBlocking(executable, arguments, environment: environment) }
}

/// `runToEnd` on the calling thread; `environment` is added to the test process's own.
func runToEndBlocking(_ executable: String, _ arguments: [String], environment: [String: String] = [:]) throws -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    if !environment.isEmpty { process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new } }
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.runChild()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}

/// Runs blocking work (waiting for a child process, reading a pipe to its end) on a new thread and
/// resumes with its result, leaving the cooperative pool's few threads to the concurrent tests.
public func offCooperativePool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread.detachNewThread { continuation.resume(with: Result { try body() }) }
    }
}
