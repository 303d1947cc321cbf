import AsyncHTTPClient
import Foundation
import NIOCore
import Synchronization
import WorkhiveChains

/// The local EVM the EVM adapter is tested against: Tests/WorkhiveChainsTests/python/evm_node.py (py-evm
/// through eth-tester, with a TestUSDT ERC-20 compiled by vyper on each chain), started once per test
/// process on loopback and ended when the process exits (the node quits when its standard input closes).
///
/// Its chains are independent; each test suite uses chains of its own, so that a test which pauses
/// mining, stalls answers or drops the mempool does not disturb another running beside it.
public final class EVMTestNode: @unchecked Sendable {  // immutable after launch
    public struct Chain: Sendable {
        public let name: String
        public let url: String
        public let chainID: UInt64
        public let token: String
        public let decimals: Int
    }

    /// name:chain id:token decimals[:finalized lag, "-" for none]. eth-tester's own chain id is
    /// 131277322940537; the adapter takes whatever it is configured with.
    public static let chainSpecs = [
        "unit:131277322940537:18",  // adapter tests (WorkhiveChainsTests)
        "depth:131277322940537:6:-",  // a node without the "finalized" tag: finality by depth
        "bep20:131277322940537:18",  // the payout pipeline end to end (WorkhiveEngineTests)
        "arbitrum:42161:6",
        "faults:42161:6",  // the pipeline under stalls, lost mempools and reverts
        "serve:131277322940537:18",  // `workhive serve --bep20-rpc-url` (WorkhiveClusterTests)
    ]

    public static let script = TestPython.packageRoot.appendingPathComponent("Tests/WorkhiveChainsTests/python/evm_node.py")
    public static let python = TestPython.executable(importing: ["eth_tester", "eth_account", "vyper"])

    /// Runs where it can; under CI a missing eth-tester or vyper is a failure, elsewhere a skip.
    public static var runnable: Bool {
        if python == nil && !TestPython.isCI {
            print("note: local EVM tests skipped: no python3 with eth-tester and vyper (pip install -r Tests/WorkhiveChainsTests/python/requirements.txt into .venv, or set WORKHIVE_PYTHON)")
        }
        return python != nil || TestPython.isCI
    }

    public struct Unavailable: Error, CustomStringConvertible {
        public let description: String
    }

    public let chains: [String: Chain]
    private let process: Process
    private let input: FileHandle

    private init(chains: [String: Chain], process: Process, input: FileHandle) {
        self.chains = chains
        self.process = process
        self.input = input
    }

    private actor Starter {
        var task: Task<EVMTestNode, any Error>?
        func node() async throws -> EVMTestNode {
            if task == nil { task = Task { try await EVMTestNode.launch() } }
            return try await task!.value
        }
    }
    private static let starter = Starter()

    /// The node for this test process (started by the first caller).
    public static func shared() async throws -> EVMTestNode { try await starter.node() }

    public func chain(_ name: String) -> Chain { chains[name]! }

    private static func launch() async throws -> EVMTestNode {
        guard let python else {
            throw Unavailable(description: "CI is set but no python3 with eth-tester and vyper was found: pip install -r Tests/WorkhiveChainsTests/python/requirements.txt into .venv (or set WORKHIVE_PYTHON)")
        }
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("workhive-evm-node-\(UUID().uuidString).log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = TestPython.arguments(for: python, [script.path] + chainSpecs.flatMap { ["--chain", $0] })
        let stdin = Pipe(), stdout = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = try FileHandle(forWritingTo: log)
        try process.runChild()
        // A node not ready in 5 minutes is ended, which ends the wait below with its log.
        final class Ready: Sendable { let value = Mutex(false) }
        let ready = Ready()
        DispatchQueue.global().asyncAfter(deadline: .now() + 300) {
            if !ready.value.withLock({ $0 }) { process.terminate() }
        }
        // Reading lines blocks: off the cooperative pool, which every concurrent test shares.
        let lines: [String] = try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                var lines: [String] = []
                var buffer = Data()
                let handle = stdout.fileHandleForReading
                while true {
                    let chunk = handle.availableData
                    if chunk.isEmpty {
                        let detail = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
                        continuation.resume(throwing: Unavailable(description: "the local EVM exited before it was ready:\n\(detail.suffix(3000))"))
                        return
                    }
                    buffer.append(chunk)
                    while let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                        let line = String(decoding: buffer[buffer.startIndex..<newline], as: UTF8.self)
                        buffer.removeSubrange(buffer.startIndex...newline)
                        if line.contains("\"ready\"") {
                            ready.value.withLock { $0 = true }
                            continuation.resume(returning: lines)
                            return
                        }
                        lines.append(line)
                    }
                }
            }
        }
        var chains: [String: Chain] = [:]
        for line in lines {
            guard let o = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  let name = o["name"] as? String, let url = o["url"] as? String, let id = o["chain_id"] as? Int,
                  let token = o["token"] as? String, let decimals = o["decimals"] as? Int
            else { throw Unavailable(description: "unexpected line from the local EVM: \(line)") }
            chains[name] = Chain(name: name, url: url, chainID: UInt64(id), token: token, decimals: decimals)
        }
        return EVMTestNode(chains: chains, process: process, input: stdin.fileHandleForWriting)
    }

    // MARK: Calls

    /// A JSON-RPC call; the node's error objects throw `Unavailable` with their message.
    @discardableResult
    public func call(_ chain: Chain, _ method: String, _ params: [Any] = []) async throws -> Any? {
        var request = HTTPClientRequest(url: chain.url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: ["jsonrpc": "2.0", "id": 1, "method": method, "params": params])))
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(60))
        let body = try await response.body.collect(upTo: 16 << 20)
        guard let object = try JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any] else {
            throw Unavailable(description: "\(method): not a JSON-RPC answer")
        }
        if let error = object["error"] as? [String: Any] { throw Unavailable(description: "\(method): \(error["message"] ?? error)") }
        return object["result"] is NSNull ? nil : object["result"]
    }

    /// Runs `body` with the chain's block production paused (blocks come only from test_mine), and
    /// resumes it however `body` ends, so one failing test does not stall the next.
    public func withMiningPaused<T>(_ chain: Chain, _ body: () async throws -> T) async throws -> T {
        try await call(chain, "test_setMining", [false])
        do {
            let value = try await body()
            try await call(chain, "test_setMining", [true])
            return value
        } catch {
            _ = try? await call(chain, "test_setMining", [true])
            throw error
        }
    }

    /// Gives `address` the chain's coin for gas and minted tokens (base units).
    public func fund(_ chain: Chain, _ address: String, wei: UInt256, tokenUnits: UInt256) async throws {
        try await call(chain, "test_fund", [address, Self.hex(wei), Self.hex(tokenUnits)])
    }

    /// The token balance of `address` by eth_call of balanceOf, independent of the adapter under test.
    public func tokenBalance(_ chain: Chain, of address: String) async throws -> UInt256 {
        let data = "0x" + Hex.encode(ERC20.balanceOfCalldata(try EVMAddress(address)))
        guard let hex = try await call(chain, "eth_call", [["to": chain.token, "data": data], "latest"]) as? String,
              let bytes = Hex.decode(hex), let value = UInt256(bigEndian: bytes)
        else { throw Unavailable(description: "balanceOf gave no word") }
        return value
    }

    static func hex(_ value: UInt256) -> String {
        let digits = Hex.encode(value.minimalBigEndianBytes).drop { $0 == "0" }
        return "0x" + (digits.isEmpty ? "0" : digits)
    }
}
