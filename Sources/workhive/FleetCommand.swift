import ArgumentParser
import Foundation
import WorkhiveAgent

/// `workhive fleet ...`: a master agent (its worker key in --api-key / $WORKHIVE_API_KEY) manages its
/// sub-agents, reads a delegation and shares its earnings.
struct FleetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fleet", abstract: "Manage a master agent's fleet of sub-agents (use the master's worker key).",
        subcommands: [Status.self, Spawn.self, Pause.self, Resume.self, Remove.self, Delegation.self, Distribute.self])

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Every sub-agent: status, last heartbeat, claims held, earnings.")
        @OptionGroup var client: ClientOptions

        func run() async throws {
            let fleet = try await client.client().fleet()
            print("master \(fleet.master.id) \(fleet.master.name): \(fleet.active) active, \(fleet.paused) paused, \(fleet.removed) removed, "
                  + "\(fleet.currentClaims) claims held, sub-agents earned \(usdt(fleet.earningsMicroUSDT)), master has \(usdt(fleet.masterAvailableMicroUSDT))")
            for m in fleet.subAgents {
                let state = m.worker.removedAtMillis != nil ? "removed" : m.worker.paused ? "paused" : m.worker.status.rawValue
                let seen = m.worker.lastHeartbeatAtMillis.map { "\(max(0, Int64(Date().timeIntervalSince1970 * 1000) - $0) / 1000) s ago" } ?? "never"
                print("\(m.worker.id)\t\(m.worker.name)\t\(state)\tseen \(seen)\tclaims \(m.currentClaims)\tsub-tasks \(m.subTasksDone)\t\(usdt(m.earningsMicroUSDT))")
            }
        }
    }

    struct Spawn: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create sub-agents; prints each one's API key once.")
        @OptionGroup var client: ClientOptions
        @Option(help: "How many.") var count = 1
        @Option(help: "Name prefix.") var name = "sub-agent"
        @Option(parsing: .upToNextOption, help: "Capabilities.") var capability: [String] = []
        @Option(help: "Wallet address (only with --count 1).") var wallet: String?

        func validate() throws {
            guard (1...1000).contains(count) else { throw ValidationError("--count must be 1-1000") }
            guard wallet == nil || count == 1 else { throw ValidationError("--wallet needs --count 1") }
        }

        func run() async throws {
            let master = try client.client()
            for i in 0..<count {
                let created = try await master.createSubAgent(name: count == 1 ? name : "\(name)-\(i)", capabilities: capability, walletAddress: wallet)
                print("\(created.subject.id)\t\(created.subject.name)\t\(created.apiKey)")
            }
        }
    }

    struct Pause: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Pause a sub-agent (it claims nothing until resumed).")
        @OptionGroup var client: ClientOptions
        @Argument(help: "Sub-agent id.") var id: Int64
        func run() async throws { print("paused \(try await client.client().pauseSubAgent(id: id).name)") }
    }

    struct Resume: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Resume a paused sub-agent.")
        @OptionGroup var client: ClientOptions
        @Argument(help: "Sub-agent id.") var id: Int64
        func run() async throws { print("resumed \(try await client.client().resumeSubAgent(id: id).name)") }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove a sub-agent: its keys stop working, its claims return to the queue.")
        @OptionGroup var client: ClientOptions
        @Argument(help: "Sub-agent id.") var id: Int64
        func run() async throws { print("removed \(try await client.client().removeSubAgent(id: id).name)") }
    }

    struct Delegation: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a delegation: its sub-tasks and, once complete, the aggregate.")
        @OptionGroup var client: ClientOptions
        @Argument(help: "Delegation id.") var id: Int64
        @Flag(help: "Retry every failed sub-task.") var retryFailed = false

        func run() async throws {
            let master = try client.client()
            var d = try await master.delegation(id: id)
            if retryFailed {
                for sub in d.subTasks where !sub.done && (sub.state == .failed || sub.state == .cancelled) {
                    d = try await master.retrySubTask(delegationID: id, slot: sub.slot)
                }
            }
            print("delegation \(d.id) of task \(d.parentTaskId): \(d.state), \(d.done) done, \(d.running) running, \(d.failed) failed "
                  + "(\(d.aggregationMethod.rawValue), \(d.funding.rawValue))")
            for s in d.subTasks {
                print("  \(s.slot)\ttask \(s.taskId)\t\(s.state.rawValue)\tattempts \(s.attempts)/\(s.maxAttempts)\tretries \(s.retries)"
                      + (s.failureReason.map { "\t\($0)" } ?? ""))
            }
            if let aggregate = d.aggregate, let data = try? JSONEncoder().encode(aggregate) { print(String(decoding: data, as: UTF8.self)) }
            if let error = d.aggregationError { print("aggregation failed: \(error)") }
        }
    }

    struct Distribute: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Share the master's earnings with its sub-agents.")
        @OptionGroup var client: ClientOptions
        @Option(help: "equal, per_sub_task or explicit.") var split: String
        @Option(help: "Amount in micro-USDT (equal, per_sub_task).") var amount: Int64?
        @Option(help: "Delegation whose finished sub-tasks set the weights (per_sub_task).") var delegation: Int64?
        @Option(parsing: .upToNextOption, help: "Explicit shares as worker_id=micro_usdt.") var share: [String] = []
        @Option(help: "Idempotency key.") var idempotencyKey: String?

        func run() async throws {
            guard let split = FleetSplit(rawValue: split) else { throw ValidationError("--split must be equal, per_sub_task or explicit") }
            let shares = try share.map { s -> FleetShare in
                let parts = s.split(separator: "=")
                guard parts.count == 2, let worker = Int64(parts[0]), let amount = Int64(parts[1]) else {
                    throw ValidationError("--share takes worker_id=micro_usdt, not '\(s)'")
                }
                return FleetShare(workerId: worker, amountMicroUSDT: amount)
            }
            let d = try await client.client().distribute(split: split, amountMicroUSDT: amount, delegationID: delegation, shares: shares,
                                                          idempotencyKey: idempotencyKey)
            print("distributed \(usdt(d.distributedMicroUSDT)) of \(usdt(d.amountMicroUSDT)) (\(d.keptMicroUSDT) micro-USDT kept by rounding)")
            for s in d.shares { print("  worker \(s.workerId)\t\(usdt(s.amountMicroUSDT))") }
        }
    }
}
