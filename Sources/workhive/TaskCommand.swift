import ArgumentParser
import Foundation
import WorkhiveAgent

/// Where the CLI finds the server and its key: flags, else WORKHIVE_URL / WORKHIVE_API_KEY.
struct ClientOptions: ParsableArguments {
    @Option(help: "Server URL (default: $WORKHIVE_URL or http://127.0.0.1:8080).") var url: String?
    @Option(help: "API key (default: $WORKHIVE_API_KEY).") var apiKey: String?

    func client() throws -> WorkhiveClient {
        let env = ProcessInfo.processInfo.environment
        guard let key = apiKey ?? env["WORKHIVE_API_KEY"] else { throw ValidationError("pass --api-key or set WORKHIVE_API_KEY") }
        return WorkhiveClient(baseURL: url ?? env["WORKHIVE_URL"] ?? "http://127.0.0.1:8080", apiKey: key)
    }
}

struct TaskCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "task", abstract: "Post, list and show tasks on a running server; appeal a rejection; a requester's record.",
        subcommands: [Post.self, List.self, Show.self, Appeal.self, Requester.self])

    struct Post: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Post a task (holds its escrow from your funds).")
        @OptionGroup var client: ClientOptions
        @Option(help: "Task type, e.g. social.like, research, moderation.image.") var type: String
        @Option(help: "Title.") var title: String
        @Option(help: "Instructions for the worker.") var instructions = ""
        @Option(help: "Payload as a JSON object.") var payload = "{}"
        @Option(help: "Reward in micro-USDT (1 USDT = 1000000).") var reward: Int64
        @Option(parsing: .upToNextOption, help: "Required capabilities.") var capability: [String] = []
        @Option(help: "Verifiers n.") var verifiers = 3
        @Option(help: "Quorum k.") var quorum = 2
        @Option(help: "Human spot-check rate p (0...1).") var spotCheck = 0.0
        @Option(help: "Idempotency key (a retry with the same key returns the first task).") var idempotencyKey: String?

        func run() async throws {
            guard let payloadJSON = try? JSONDecoder().decode(JSON.self, from: Data(payload.utf8)) else {
                throw ValidationError("--payload must be JSON")
            }
            let task = try await client.client().postTask(NewTask(
                taskType: type, title: title, instructions: instructions, payload: payloadJSON, requiredCapabilities: capability,
                rewardMicroUSDT: reward, verification: .init(verifiers: verifiers, quorum: quorum, spotCheckRate: spotCheck)),
                idempotencyKey: idempotencyKey)
            print("posted task \(task.id) (\(task.taskType), reward \(task.rewardMicroUSDT) micro-USDT, state \(task.state.rawValue))")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List your tasks (as an owner) or open work (as a worker).")
        @OptionGroup var client: ClientOptions
        @Option(help: "Only tasks in this state.") var state: String?
        @Option(help: "At most this many.") var limit = 50

        func run() async throws {
            let state = state.map { TaskState(rawValue: $0) }
            for t in try await client.client().tasks(state: state, limit: limit) {
                print("\(t.id)\t\(t.state.rawValue)\t\(t.taskType)\t\(t.rewardMicroUSDT)\t\(t.title)")
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one task and its submissions.")
        @OptionGroup var client: ClientOptions
        @Argument(help: "Task id.") var id: Int64

        func run() async throws {
            let c = try client.client()
            let t = try await c.task(id: id)
            print("task \(t.id): \(t.title)\n  type \(t.taskType), state \(t.state.rawValue), attempts \(t.attempts)/\(t.maxAttempts), reward \(t.rewardMicroUSDT) micro-USDT")
            if let subs = try? await c.submissions(taskID: id) {
                for s in subs { print("  submission \(s.id) by worker \(s.workerId): \(s.state) (\(s.approvals) approve, \(s.rejections) reject)") }
            }
        }
    }

    struct Appeal: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Appeal a rejection of your submission (a worker key): a fresh panel with a human decides; once per submission.")
        @OptionGroup var client: ClientOptions
        @Argument(help: "Submission id.") var submission: Int64
        @Option(help: "What the panel got wrong (needed to appeal).") var reason: String?
        @Flag(help: "Only show the appeal's state.") var status = false

        func run() async throws {
            let c = try client.client()
            let a: WorkhiveAgent.Appeal
            if status {
                a = try await c.appeal(submissionID: submission)
            } else {
                guard let reason else { throw ValidationError("pass --reason (what the panel got wrong), or --status") }
                a = try await c.appeal(submissionID: submission, reason: reason)
            }
            print("appeal \(a.id) of submission \(a.submissionId) (task \(a.taskId)): \(a.state), "
                  + "\(a.approvals) approve / \(a.rejections) reject of \(a.verifiers) (\(a.quorum) approvals overturn)")
        }
    }

    struct Requester: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "How a requester treats work: rejection rate and appeals against it.")
        @OptionGroup var client: ClientOptions
        @Argument(help: "Requester (owner) id: a task's requester_id.") var id: Int64

        func run() async throws {
            let r = try await client.client().requesterStats(requesterID: id)
            print("requester \(r.requesterId): \(r.tasksPosted) tasks, \(r.submissionsApproved) submissions approved, "
                  + "\(r.submissionsRejected) rejected (rejection rate \(String(format: "%.1f%%", r.rejectionRate * 100)))")
            print("  appeals against it: \(r.appealsFiled) filed, \(r.appealsWon) won by the worker, \(r.appealsUpheld) upheld, \(r.appealsPending) pending")
        }
    }
}
