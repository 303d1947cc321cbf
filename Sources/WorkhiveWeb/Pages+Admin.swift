import Foundation
import Hummingbird
import WorkhiveChains
import WorkhiveCore
import WorkhiveEngine

/// The admin overview: workers (with suspension), tasks, payouts, and the ledger's totals.
extension WebApp {
    struct AdminPage {
        let workers: [WorkerRow]
        let taskCounts: [CountRow]
        let tasks: [TaskRow]
        let ledger: [CountRow]
        let balanced: Bool
        let payouts: AdminPayouts
    }

    struct AdminPayouts {
        let totals: [CountRow]
        let states: [String]
        let networks: [NetworkPayoutRow]
        let recent: [AdminPayoutRow]
        let hasPayouts: Bool
    }

    /// One network's payouts: how many in each state (in `states` order), and what was paid and charged.
    struct NetworkPayoutRow {
        let network: String
        let counts: [String]
        let paid: String
        let fees: String
    }

    struct AdminPayoutRow {
        let id: String
        let worker: String
        let amount: String
        let network: String
        let state: String
        let stateClass: String
        let txHash: String?
        let txShort: String?
        let requested: String
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
        let payouts = try await marketplace.payoutOverview(user.owner, recentLimit: 20)
        let names = Dictionary(workers.map { ($0.id, $0.name) }, uniquingKeysWith: { a, _ in a })
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
            balanced: ledger.balanced,
            payouts: adminPayouts(payouts, names: names))
        return try renderer.page("admin", title: "Admin", user: user, notice: notice(call), model)
    }

    func adminPayouts(_ o: PayoutOverviewView, names: [WorkerID: String]) -> AdminPayouts {
        let networks = PayoutNetwork.allCases.map(\.rawValue) + Set(o.groups.map(\.network)).subtracting(PayoutNetwork.allCases.map(\.rawValue)).sorted()
        let all = o.groups.reduce(0) { $0 + $1.count }
        return AdminPayouts(
            totals: [
                CountRow(label: "Payouts", value: String(all)),
                CountRow(label: "On their way", value: USDT.format(o.inFlightMicroUSDT)),
                CountRow(label: "Paid out", value: USDT.format(o.paidOutMicroUSDT)),
                CountRow(label: "Network fees", value: USDT.format(o.networkFeesMicroUSDT)),
                CountRow(label: "Refunded", value: USDT.format(o.refundedMicroUSDT)),
            ],
            states: PayoutState.allCases.map(Display.payoutState),
            networks: networks.map { n in
                let groups = o.groups.filter { $0.network == n && $0.state == .confirmed }
                return NetworkPayoutRow(
                    network: PayoutNetwork(rawValue: n).map(Display.networkShort) ?? n, counts: PayoutState.allCases.map { String(o.count($0, on: n)) },
                    paid: USDT.format(groups.reduce(0) { $0 + $1.amountMicroUSDT - $1.feeMicroUSDT }),
                    fees: USDT.format(groups.reduce(0) { $0 + $1.feeMicroUSDT }))
            },
            recent: o.recent.map { p in
                AdminPayoutRow(id: String(p.id.rawValue), worker: names[p.workerId] ?? "worker \(p.workerId)", amount: USDT.format(p.amountMicroUSDT),
                               network: PayoutNetwork(rawValue: p.network).map(Display.networkShort) ?? p.network,
                               state: Display.payoutState(p.state), stateClass: Display.payoutStateClass(p.state), txHash: p.txHash,
                               txShort: p.txHash.map { Display.shortened($0) }, requested: Display.time(p.createdAtMillis))
            },
            hasPayouts: all > 0)
    }

    func setSuspended(_ call: WebCall, _ suspended: Bool) async throws -> Response {
        let user = try await requireUser(call)
        let form = try await FormData.read(call.request, limit: 16 * 1024)
        try checkCSRF(call, form: form, user: user)
        _ = try await marketplace.setSuspended(user.owner, worker: try call.id("id"), suspended: suspended)
        return redirect("/admin?notice=\(suspended ? "suspended" : "unsuspended")")
    }
}
