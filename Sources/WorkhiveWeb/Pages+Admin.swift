import Foundation
import Hummingbird
import WorkhiveCore
import WorkhiveEngine

/// The admin overview: workers (with suspension), tasks, and the ledger's totals.
extension WebApp {
    struct AdminPage {
        let workers: [WorkerRow]
        let taskCounts: [CountRow]
        let tasks: [TaskRow]
        let ledger: [CountRow]
        let balanced: Bool
    }

    struct WorkerRow {
        let id: String
        let name: String
        let kind: String
        let capabilities: String
        let status: String
        let suspended: Bool
        let lastSeen: String
    }

    struct CountRow {
        let label: String
        let value: String
    }

    @Sendable func adminPage(_ call: WebCall) async throws -> Response {
        let user = try await requireUser(call)
        guard user.isAdmin else { throw WorkhiveError.forbidden("only an admin can open the admin pages") }
        let workers = try await marketplace.workers(user.owner)
        let stats = try await marketplace.stats()
        let tasks = try await marketplace.listTasks(user.owner, limit: 50)
        let ledger = try await marketplace.ledgerTotals()
        let model = AdminPage(
            workers: workers.map { w in
                WorkerRow(id: String(w.id.rawValue), name: w.name, kind: w.kind.rawValue,
                          capabilities: w.capabilities.isEmpty ? "—" : w.capabilities.joined(separator: ", "), status: w.status.rawValue,
                          suspended: w.suspended, lastSeen: w.lastHeartbeatAtMillis.map(Display.time) ?? "never")
            },
            taskCounts: TaskState.allCases.filter { $0 != .done }.map { s in
                CountRow(label: Display.state(s.rawValue), value: String(stats.tasksByState[s.rawValue] ?? 0))
            } + [CountRow(label: "Open verification slots", value: String(stats.verificationSlotsByState["open"] ?? 0))],
            tasks: tasks.map { t in
                TaskRow(url: "/tasks/\(t.id)", title: t.title, taskType: t.taskType, state: Display.state(t.state.rawValue), stateClass: t.state.rawValue,
                        reward: USDT.format(t.rewardMicroUSDT), attempts: "\(t.attempts) of \(t.maxAttempts)", posted: Display.time(t.createdAtMillis))
            },
            ledger: [
                CountRow(label: "Deposited", value: USDT.format(ledger.depositsMicroUSDT)),
                CountRow(label: "Held in escrow", value: USDT.format(ledger.escrowHeldMicroUSDT)),
                CountRow(label: "Platform fees", value: USDT.format(ledger.platformFeesMicroUSDT)),
            ],
            balanced: ledger.balanced)
        return try renderer.page("admin", title: "Admin", user: user, notice: notice(call), model)
    }

    func setSuspended(_ call: WebCall, _ suspended: Bool) async throws -> Response {
        let user = try await requireUser(call)
        let form = try await FormData.read(call.request, limit: 16 * 1024)
        try checkCSRF(call, form: form, user: user)
        _ = try await marketplace.setSuspended(user.owner, worker: try call.id("id"), suspended: suspended)
        return redirect("/admin?notice=\(suspended ? "suspended" : "unsuspended")")
    }
}
