import Foundation
import Testing
import WorkhiveAgent
import WorkhiveChains
import WorkhiveTestSupport

/// The operator's side of EVM payouts as processes: `workhive hot-wallet` seals keys and never shows
/// them, and `workhive serve --bep20-rpc-url` refuses a wrong chain or a wrong WORKHIVE_WALLET_KEY, and
/// pays a withdrawal through the local EVM from a keystore wallet.
@Suite(.serialized, .enabled(if: EVMTestNode.runnable, "needs python3 with eth-tester and vyper (required when CI is set)"))
struct ServeEVMTests {
    static let secret = "a long operator secret for the tests"
    static let key = String(repeating: "46", count: 32)  // address 0x9d8A62f656a8d1615C1294fd71e9CFb3E4855A4F

    /// Runs `workhive ARGS` with `environment` beside the test process's own (less any wallet key) and
    /// `input` on standard input; its exit status and everything it printed. Off the cooperative pool.
    static func workhive(_ arguments: [String], environment: [String: String] = [:], input: String = "") async throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try ServerProcess.executable)
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        env["WORKHIVE_WALLET_KEY"] = nil
        process.environment = env.merging(environment) { $1 }
        let stdin = Pipe(), stdout = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = stdout
        try process.runChild()
        stdin.fileHandleForWriting.write(Data(input.utf8))
        try stdin.fileHandleForWriting.close()
        return try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                let killer = DispatchWorkItem { process.terminate() }
                DispatchQueue.global().asyncAfter(deadline: .now() + 120, execute: killer)
                let data = stdout.fileHandleForReading.readDataToEndOfFile()
                process.waitUntilExit()
                killer.cancel()
                continuation.resume(returning: (process.terminationStatus, String(decoding: data, as: UTF8.self)))
            }
        }
    }

    @Test func hotWalletCommandsSealKeysAndNeverShowThem() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("workhive-cli-keystore-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let env = ["WORKHIVE_WALLET_KEY": Self.secret]

        let missing = try await Self.workhive(["hot-wallet", "create", "--keystore", dir])
        #expect(missing.status != 0 && missing.output.contains("set WORKHIVE_WALLET_KEY"), "\(missing.output)")

        let imported = try await Self.workhive(["hot-wallet", "import", "--keystore", dir], environment: env, input: Self.key + "\n")
        #expect(imported.status == 0 && imported.output.contains("hot wallet 0x9d8A62f656a8d1615C1294fd71e9CFb3E4855A4F imported"), "\(imported.output)")
        let created = try await Self.workhive(["hot-wallet", "create", "--keystore", dir], environment: env)
        #expect(created.status == 0, "\(created.output)")
        let again = try await Self.workhive(["hot-wallet", "import", "--keystore", dir], environment: env, input: "0x" + Self.key)
        #expect(again.status != 0 && again.output.contains("already holds 0x9d8A62f656a8d1615C1294fd71e9CFb3E4855A4F"), "\(again.output)")

        let list = try await Self.workhive(["hot-wallet", "list", "--keystore", dir], environment: env)
        #expect(list.status == 0 && list.output.components(separatedBy: "\topens").count == 3, "\(list.output)")
        let wrong = try await Self.workhive(["hot-wallet", "list", "--keystore", dir], environment: ["WORKHIVE_WALLET_KEY": "not the secret that sealed them"])
        #expect(wrong.status != 0 && wrong.output.contains("WORKHIVE_WALLET_KEY does not open"), "\(wrong.output)")

        for output in [imported.output, created.output, again.output, list.output, wrong.output] {
            #expect(!output.contains(Self.key) && !output.contains(Self.secret), "a key or the secret was printed: \(output)")
        }
        for file in try FileManager.default.contentsOfDirectory(atPath: dir) {
            #expect(!(try String(contentsOfFile: dir + "/" + file, encoding: .utf8)).contains(Self.key))
        }
    }

    @Test(.timeLimit(.minutes(5))) func serveRefusesAWrongChainOrKeyAndPaysThroughTheNode() async throws {
        let node = try await EVMTestNode.shared()
        let chain = node.chain("serve")
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("workhive-serve-evm-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        let env = ["WORKHIVE_WALLET_KEY": Self.secret]
        let keyBytes = (0..<32).map { _ in UInt8.random(in: .min ... .max) }
        let hotWallet = try Secp256k1Signer(privateKey: keyBytes)
        let imported = try await Self.workhive(["hot-wallet", "import", "--keystore", root + "/keystore"], environment: env,
                                               input: Hex.encode(keyBytes))
        #expect(imported.status == 0, "\(imported.output)")
        try await node.fund(chain, hotWallet.address.checksummed, wei: UInt256(1_000_000_000_000_000_000), tokenUnits: UInt256(decimal: "100000000000000000000")!)

        let rpc = ["--bep20-rpc-url", chain.url]
        let base = ["serve", "--port", "0", "--data-dir", root]
        let wrongChain = try await Self.workhive(base + rpc, environment: env)
        #expect(wrongChain.status != 0 && wrongChain.output.contains("is on chain \(chain.chainID), not 56: refusing to pay there"), "\(wrongChain.output)")
        let onChain = rpc + ["--bep20-chain-id", String(chain.chainID), "--bep20-token", chain.token]
        let wrongKey = try await Self.workhive(base + onChain, environment: ["WORKHIVE_WALLET_KEY": "not the secret that sealed them"])
        #expect(wrongKey.status != 0 && wrongKey.output.contains("WORKHIVE_WALLET_KEY does not open"), "\(wrongKey.output)")

        let server = try ServerProcess(dataDirectory: root, databaseURL: nil, extraArguments: onChain, environment: env)
        try await server.start()
        defer { server.stop() }
        #expect(server.log.contains("bep20: paying through \(chain.url) (chain \(chain.chainID), token \(chain.token))"), "\(server.log)")
        #expect(server.log.contains("hot wallet \(hotWallet.address.checksummed): 100000000000000000000 token units"), "\(server.log)")

        let requester = try await ClusterTests.owner("requester", on: server.url)
        _ = try await requester.deposit(amountMicroUSDT: 50_000_000)
        let worker = try await ClusterTests.worker(try await ClusterTests.owner("workers", on: server.url), "w", on: server.url)
        let address = try EVMAddress(bytes: (0..<20).map { _ in UInt8.random(in: .min ... .max) }).checksummed
        _ = try await worker.setPayoutAddress(network: "bep20", address: address)
        _ = try await requester.postTask(NewTask(
            taskType: "serve.evm", title: "Pay me", instructions: "Answer.", payload: ["n": 1], rewardMicroUSDT: 12_000_000,
            verification: .init(verifiers: 0, quorum: 0)))
        let claim = try #require(try await worker.claim(taskType: "serve.evm", waitSeconds: 5))
        _ = try await worker.submit(claimID: claim.id, result: ["ok": true])
        let queued = try await worker.withdraw(amountMicroUSDT: 12_000_000, network: "bep20")

        var payout = queued
        let deadline = ContinuousClock.now + .seconds(90)
        while payout.state != "confirmed" && payout.state != "failed" && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(200))
            payout = try await worker.payout(id: queued.id)
        }
        #expect(payout.state == "confirmed", "\(payout) \(server.log.suffix(2000))")
        #expect(try await node.tokenBalance(chain, of: address) == UInt256(UInt64(payout.sentMicroUSDT)) * 1_000_000_000_000)
        let receipt = try #require(try await node.call(chain, "eth_getTransactionReceipt", [payout.txHash ?? ""]) as? [String: Any])
        #expect(receipt["status"] as? String == "0x1" && (receipt["from"] as? String)?.lowercased() == hotWallet.address.lowercased)
        #expect(!server.log.contains(Hex.encode(keyBytes)) && !server.log.contains(Self.secret))
    }
}
