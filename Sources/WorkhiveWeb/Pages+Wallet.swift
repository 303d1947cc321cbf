import Foundation
import Hummingbird
import WorkhiveCore
import WorkhiveEngine

/// Balances and earnings history from the ledger, and devnet deposits.
extension WebApp {
    struct WalletPage {
        let sections: [AccountSection]
        let canDeposit: Bool
        let amount: FormField
    }

    struct AccountSection {
        let anchor: String
        let heading: String
        let balance: String
        let held: String
        let available: String
        let hasHeld: Bool
        let history: [HistoryRow]
        let hasHistory: Bool
        let total: String?
    }

    struct HistoryRow {
        let when: String
        let what: String
        let amount: String
        let incoming: Bool
        let taskURL: String?
        let taskID: String?
    }

    func walletModel(_ user: WebUser, amount: String = "", amountError: String? = nil) async throws -> WalletPage {
        var sections: [AccountSection] = []
        // The worker's earnings first: what a human worker came for. Its history is the worker's own.
        if let worker = user.activeWorker ?? user.session.worker.map({ Principal.worker($0.id, owner: $0.ownerId, kind: $0.kind) }),
           let earnings = try? await marketplace.wallet(worker, historyLimit: 100), let account = earnings.accounts.first {
            let earned = earnings.history.filter { $0.amountMicroUSDT > 0 }.reduce(Int64(0)) { $0 + $1.amountMicroUSDT }
            sections.append(section("Earnings", account, earnings.history, total: "Earned in the rows below: \(USDT.format(earned))"))
        }
        let owner = try await marketplace.wallet(user.owner, historyLimit: 100)
        if let funds = owner.accounts.first(where: { $0.kind == .funds }) {
            sections.append(section("Funds for posting tasks", funds, owner.history, total: nil))
        }
        let canDeposit = marketplace.configuration.devnetDeposits || user.isAdmin
        return WalletPage(
            sections: sections, canDeposit: canDeposit,
            amount: FormField("amount", "Amount (USDT)", value: amount, hint: "On this server's devnet, deposits are credited at once.",
                              error: amountError, required: true, inputmode: "decimal"))
    }

    func section(_ heading: String, _ account: BalanceView, _ history: [TransferView], total: String?) -> AccountSection {
        AccountSection(
            anchor: account.kind.rawValue, heading: heading, balance: USDT.format(account.balanceMicroUSDT), held: USDT.format(account.heldMicroUSDT),
            available: USDT.format(account.availableMicroUSDT), hasHeld: account.heldMicroUSDT != 0,
            history: history.map { t in
                HistoryRow(when: Display.time(t.createdAtMillis), what: Display.reason(t.reason),
                           amount: (t.amountMicroUSDT > 0 ? "+" : "") + USDT.format(t.amountMicroUSDT), incoming: t.amountMicroUSDT > 0,
                           taskURL: nil, taskID: t.taskId.map { String($0.rawValue) })
            },
            hasHistory: !history.isEmpty, total: total)
    }

    @Sendable func walletPage(_ call: WebCall) async throws -> Response {
        let user = try await requireUser(call)
        return try renderer.page("wallet", title: "Wallet", user: user, notice: notice(call), try await walletModel(user))
    }

    @Sendable func deposit(_ call: WebCall) async throws -> Response {
        let user = try await requireUser(call)
        let form = try await FormData.read(call.request, limit: 16 * 1024)
        try checkCSRF(call, form: form, user: user)
        let amount = form.text("amount")
        var problem: String?
        switch USDT.parse(amount) {
        case .success(let micro) where micro <= 0: problem = "Enter an amount above 0."
        case .success(let micro) where micro > TaskSpec.maxRewardMicroUSDT: problem = "Deposit at most \(USDT.format(TaskSpec.maxRewardMicroUSDT)) at once."
        case .success(let micro):
            _ = try await marketplace.deposit(user.owner, amountMicroUSDT: micro)
            return redirect("/wallet?notice=deposited")
        case .failure(let p): problem = WebInput.sentence(p.message)
        }
        return try renderer.page("wallet", title: "Wallet", user: user, alert: "Nothing was deposited. Please correct the amount.",
                                 status: .badRequest, try await walletModel(user, amount: amount, amountError: problem))
    }
}
