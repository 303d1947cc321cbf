import Foundation
import Hummingbird
import WorkhiveChains
import WorkhiveCore
import WorkhiveEngine

/// Balances and earnings history from the ledger, devnet deposits, and a human worker's payouts:
/// addresses per network, the network preference, withdrawals and the list of payouts with their states.
extension WebApp {
    struct WalletPage {
        let earnings: AccountSection?
        let payouts: PayoutsBlock?
        let funds: AccountSection?
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

    /// What a worker's wallet shows about payouts.
    struct PayoutsBlock {
        let suspended: Bool
        let canWithdraw: Bool
        let hasAddresses: Bool
        let available: String
        let amount: FormField
        let network: SelectField
        let formError: String?
        let idempotencyKey: String
        /// The payout a withdrawal just queued: where it goes, the fee, and why that network.
        let result: PayoutRow?
        let payouts: [PayoutRow]
        let hasPayouts: Bool
        /// Whether a payout is still moving, so the page follows it; `liveVersion` is what the page shows.
        let live: Bool
        let liveVersion: String
        let addresses: [AddressForm]
        let preference: SelectField
    }

    struct AddressForm {
        let network: String
        let shortName: String
        let field: FormField
        let isSet: Bool
    }

    struct PayoutRow {
        let id: String
        let amount: String
        let network: String
        let address: String
        let addressShort: String
        let fee: String
        let sent: String
        let state: String
        let stateClass: String
        let txHash: String?
        let requested: String
        let confirmed: String?
        let reason: String
        let automatic: Bool
        let failureReason: String?
    }

    /// What the wallet's forms were sent with, and what was wrong with it, to show again.
    struct WalletForms {
        var errors = FieldErrors()
        var deposit = ""
        var withdrawAmount = ""
        var withdrawNetwork = ""
        var idempotencyKey: String?
        var addresses: [String: String] = [:]
        var preference: String?
        var shownPayout: PayoutID?
    }

    func walletModel(_ user: WebUser, _ forms: WalletForms = WalletForms()) async throws -> WalletPage {
        var earnings: AccountSection?, payouts: PayoutsBlock?
        // The worker's earnings first: what a human worker came for. Its history is the worker's own.
        // A suspended worker still sees its wallet and payouts, but cannot withdraw (as with the API).
        if let workerView = user.session.worker {
            let worker = Principal.worker(workerView.id, owner: workerView.ownerId, kind: workerView.kind)
            let wallet = try await marketplace.wallet(worker, historyLimit: 100)
            if let account = wallet.accounts.first {
                let earned = wallet.history.filter { $0.amountMicroUSDT > 0 && $0.reason != .payoutRefund }.reduce(Int64(0)) { $0 + $1.amountMicroUSDT }
                earnings = section("Earnings", account, wallet.history, total: "Earned in the rows below: \(USDT.format(earned))")
                payouts = try await payoutsBlock(worker, suspended: workerView.suspended, available: account.availableMicroUSDT, forms)
            }
        }
        let owner = try await marketplace.wallet(user.owner, historyLimit: 100)
        let funds = owner.accounts.first(where: { $0.kind == .funds }).map { section("Funds for posting tasks", $0, owner.history, total: nil) }
        let canDeposit = marketplace.configuration.devnetDeposits || user.isAdmin
        return WalletPage(
            earnings: earnings, payouts: payouts, funds: funds, canDeposit: canDeposit,
            amount: FormField("amount", "Amount (USDT)", value: forms.deposit, hint: "On this server's devnet, deposits are credited at once.",
                              error: forms.errors["amount"], required: true, inputmode: "decimal"))
    }

    func payoutsBlock(_ worker: Principal, suspended: Bool, available: Int64, _ forms: WalletForms) async throws -> PayoutsBlock {
        let stored = try await marketplace.payoutAddresses(worker)
        let byNetwork = Dictionary(uniqueKeysWithValues: stored.addresses.map { ($0.network, $0.address) })
        let list = try await marketplace.payouts(worker, limit: 50)
        var result: PayoutRow?
        if let id = forms.shownPayout {
            do { result = payoutRow(try await marketplace.payout(worker, id: id)) } catch let error as WorkhiveError where error.code == .notFound {
                // Not this worker's payout (or no such payout): nothing to show.
            }
        }
        let withAddress = PayoutNetwork.allCases.filter { byNetwork[$0.rawValue] != nil }
        let minimums = marketplace.configuration.payouts.policy.minimumPayoutMicroUSDT
        let networkOptions = [SelectField.Option(value: "", label: "Best network for the amount", selected: forms.withdrawNetwork.isEmpty)]
            + withAddress.map { n in
                SelectField.Option(value: n.rawValue, label: "\(n.displayName) only", selected: forms.withdrawNetwork == n.rawValue)
            }
        let preference = forms.preference ?? stored.preference
        let preferenceOptions = [
            SelectField.Option(value: "none", label: "No preference: chosen by amount and fee", selected: preference == "none"),
            SelectField.Option(value: "low_fee", label: "The lowest fee", selected: preference == "low_fee"),
        ] + PayoutNetwork.allCases.map { n in
            SelectField.Option(value: n.rawValue, label: "\(n.displayName), when its fee is reasonable", selected: preference == n.rawValue)
        }
        return PayoutsBlock(
            suspended: suspended, canWithdraw: !suspended && !withAddress.isEmpty, hasAddresses: !withAddress.isEmpty,
            available: USDT.format(available),
            amount: FormField("withdraw_amount", "Amount (USDT)", value: forms.withdrawAmount,
                              hint: "Available: \(USDT.format(available)). The network fee comes out of this amount. Minimum: "
                                + withAddress.map { "\(Display.networkShort($0)) \(USDT.format(minimums[$0] ?? 0))" }.joined(separator: ", ") + ".",
                              error: forms.errors["withdraw_amount"], required: true, inputmode: "decimal"),
            network: SelectField("withdraw_network", "Network", options: networkOptions,
                                 hint: "Only networks you have an address on are listed.", error: forms.errors["withdraw_network"]),
            formError: forms.errors["withdraw"], idempotencyKey: forms.idempotencyKey ?? WebTokens.random(), result: result,
            payouts: list.map(payoutRow), hasPayouts: !list.isEmpty,
            live: list.contains { !$0.state.isFinal }, liveVersion: Self.walletVersion(available: available, list),
            addresses: PayoutNetwork.allCases.map { n in
                let name = "address_\(n.rawValue)"
                let current = byNetwork[n.rawValue]
                return AddressForm(
                    network: n.rawValue, shortName: Display.networkShort(n),
                    field: FormField(name, "\(n.displayName) address", value: forms.addresses[name] ?? current ?? "",
                                     hint: (current == nil ? "Not set. " : "") + Self.addressHint(n), error: forms.errors[name],
                                     autocomplete: "off"),
                    isSet: current != nil)
            },
            preference: SelectField("preference", "Network preference", options: preferenceOptions,
                                    hint: "Used when you withdraw with “the best network”. A network you prefer is passed over when its fee would take too much of the amount.",
                                    error: forms.errors["preference"]))
    }

    static func addressHint(_ network: PayoutNetwork) -> String {
        switch network {
        case .trc20: "A TRON address: 34 characters starting with T."
        case .bep20, .arbitrum: "An EVM address: 0x and 40 hex digits (mixed case is checked as an EIP-55 checksum)."
        case .ton: "A TON address: 48 characters such as EQ… or UQ…, or raw 0:…"
        }
    }

    func payoutRow(_ p: PayoutView) -> PayoutRow {
        PayoutRow(
            id: String(p.id.rawValue), amount: USDT.format(p.amountMicroUSDT), network: Display.network(p.network), address: p.address,
            addressShort: Display.shortened(p.address), fee: USDT.format(p.feeMicroUSDT), sent: USDT.format(p.sentMicroUSDT),
            state: Display.payoutState(p.state), stateClass: Display.payoutStateClass(p.state), txHash: p.txHash,
            requested: Display.time(p.createdAtMillis), confirmed: p.confirmedAtMillis.map(Display.time), reason: Display.payoutReason(p.reason),
            automatic: p.origin == .automatic, failureReason: p.failureReason.map(WebInput.sentence))
    }

    /// One string that changes whenever the worker's balance or a payout's state does.
    static func walletVersion(available: Int64, _ payouts: [PayoutView]) -> String {
        "\(available);" + payouts.map { "\($0.id)/\($0.state.rawValue)" }.joined(separator: ",")
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

    func walletAgain(_ user: WebUser, _ forms: WalletForms, alert: String, status: HTTPResponse.Status) async throws -> Response {
        try renderer.page("wallet", title: "Wallet", user: user, alert: alert, status: status, try await walletModel(user, forms))
    }

    @Sendable func walletPage(_ call: WebCall) async throws -> Response {
        let user = try await requireUser(call)
        var forms = WalletForms()
        forms.shownPayout = call.query("payout").flatMap { Int64($0) }.map { PayoutID(rawValue: $0) }
        return try renderer.page("wallet", title: "Wallet", user: user, notice: notice(call), try await walletModel(user, forms))
    }

    /// What the wallet page's script polls while a payout is moving: a version that changes with the
    /// balance and the payouts' states, and whether anything is still in flight.
    @Sendable func walletProgress(_ call: WebCall) async throws -> Response {
        let user = try await requireUser(call)
        guard let w = user.session.worker else { return try jsonResponse(["version": .string(""), "live": .bool(false), "state_label": .string("")]) }
        let worker = Principal.worker(w.id, owner: w.ownerId, kind: w.kind)
        let available = try await marketplace.wallet(worker, historyLimit: 1).accounts.first?.availableMicroUSDT ?? 0
        let list = try await marketplace.payouts(worker, limit: 50)
        let moving = list.filter { !$0.state.isFinal }.count
        return try jsonResponse([
            "version": .string(Self.walletVersion(available: available, list)), "live": .bool(moving > 0),
            "state_label": .string(moving == 0 ? "every payout is final" : moving == 1 ? "1 payout on its way" : "\(moving) payouts on their way"),
            "payouts": .array(list.map { p in .object(["id": .int(p.id.rawValue), "state": .string(p.state.rawValue)]) }),
        ])
    }

    @Sendable func deposit(_ call: WebCall) async throws -> Response {
        let user = try await requireUser(call)
        let form = try await FormData.read(call.request, limit: 16 * 1024)
        try checkCSRF(call, form: form, user: user)
        var forms = WalletForms()
        forms.deposit = form.text("amount")
        switch USDT.parse(forms.deposit) {
        case .success(let micro) where micro <= 0: forms.errors.add("amount", "Enter an amount above 0.")
        case .success(let micro) where micro > TaskSpec.maxRewardMicroUSDT: forms.errors.add("amount", "Deposit at most \(USDT.format(TaskSpec.maxRewardMicroUSDT)) at once.")
        case .success(let micro):
            _ = try await marketplace.deposit(user.owner, amountMicroUSDT: micro)
            return redirect("/wallet?notice=deposited")
        case .failure(let p): forms.errors.add("amount", WebInput.sentence(p.message))
        }
        return try await walletAgain(user, forms, alert: "Nothing was deposited. Please correct the amount.", status: .badRequest)
    }

    // MARK: Payouts

    /// The network named in the path, or 404.
    func pathNetwork(_ call: WebCall) throws -> PayoutNetwork {
        guard let network = call.parameters.get("network").flatMap(PayoutNetwork.init(rawValue:)) else { throw WorkhiveError.notFound("page") }
        return network
    }

    @Sendable func setPayoutAddress(_ call: WebCall) async throws -> Response {
        let user = try await requireUser(call)
        let form = try await FormData.read(call.request, limit: 16 * 1024)
        try checkCSRF(call, form: form, user: user)
        let worker = try user.requireWorker()
        let network = try pathNetwork(call)
        let field = "address_\(network.rawValue)"
        let address = form.text(field)
        do {
            _ = try await marketplace.setPayoutAddress(worker, network: network.rawValue, address: address)
            return redirect("/wallet?notice=address-saved#addresses")
        } catch let error as WorkhiveError where error.code == .invalidAddress {
            var forms = WalletForms()
            forms.addresses[field] = address
            forms.errors.add(field, Self.addressProblem(error.message, network: network))
            return try await walletAgain(user, forms, alert: "The \(Display.networkShort(network)) address was not saved. Please correct it.", status: .badRequest)
        }
    }

    /// The engine's address message without what the field already says (its network) and without its
    /// trailing code: "invalid TON address: the checksum does not match (bad_checksum)" → "The checksum does not match. …".
    static func addressProblem(_ message: String, network: PayoutNetwork) -> String {
        let plain = message.replacingOccurrences(of: #"\s*\([a-z0-9_]+\)$"#, with: "", options: .regularExpression)
            .replacingOccurrences(of: "invalid \(network.displayName) address: ", with: "")
        return WebInput.sentence(plain) + " Check it against your \(Display.networkShort(network)) wallet."
    }

    @Sendable func removePayoutAddress(_ call: WebCall) async throws -> Response {
        let user = try await requireUser(call)
        let form = try await FormData.read(call.request, limit: 16 * 1024)
        try checkCSRF(call, form: form, user: user)
        let worker = try user.requireWorker()
        do {
            try await marketplace.removePayoutAddress(worker, network: try pathNetwork(call).rawValue)
        } catch let error as WorkhiveError where error.code == .notFound {
            // Already gone (a second click, or another tab): the outcome the worker asked for.
        }
        return redirect("/wallet?notice=address-removed#addresses")
    }

    @Sendable func setPayoutPreference(_ call: WebCall) async throws -> Response {
        let user = try await requireUser(call)
        let form = try await FormData.read(call.request, limit: 16 * 1024)
        try checkCSRF(call, form: form, user: user)
        let worker = try user.requireWorker()
        let preference = form.text("preference")
        do {
            _ = try await marketplace.setPayoutPreference(worker, preference)
            return redirect("/wallet?notice=preference-saved#addresses")
        } catch let error as WorkhiveError where error.code == .invalidRequest {
            var forms = WalletForms()
            forms.errors.add("preference", "Choose one of the listed preferences.")
            forms.preference = preference
            return try await walletAgain(user, forms, alert: "The preference was not saved.", status: .badRequest)
        }
    }

    @Sendable func withdraw(_ call: WebCall) async throws -> Response {
        let user = try await requireUser(call)
        let form = try await FormData.read(call.request, limit: 16 * 1024)
        try checkCSRF(call, form: form, user: user)
        let worker = try user.requireWorker()
        var forms = WalletForms()
        forms.withdrawAmount = form.text("withdraw_amount")
        forms.withdrawNetwork = form.text("withdraw_network")
        forms.idempotencyKey = form.text("idempotency_key")
        let network = forms.withdrawNetwork.isEmpty ? nil : PayoutNetwork(rawValue: forms.withdrawNetwork)
        var amount: Int64 = 0
        switch USDT.parse(forms.withdrawAmount) {
        case .success(let micro) where micro <= 0: forms.errors.add("withdraw_amount", "Enter an amount above 0.")
        case .success(let micro): amount = micro
        case .failure(let p): forms.errors.add("withdraw_amount", WebInput.sentence(p.message))
        }
        if !forms.withdrawNetwork.isEmpty && network == nil { forms.errors.add("withdraw_network", "Choose a network from the list.") }
        if forms.idempotencyKey!.isEmpty || forms.idempotencyKey!.utf8.count > 200 {
            forms.errors.add("withdraw", "The form is incomplete; reload the page and try again.")
            forms.idempotencyKey = nil
        }
        var status: HTTPResponse.Status = .badRequest
        if forms.errors.isEmpty {
            do {
                let payout = try await marketplace.requestPayout(worker, amountMicroUSDT: amount, network: network?.rawValue,
                                                                 idempotencyKey: forms.idempotencyKey)
                return redirect("/wallet?payout=\(payout.id)#withdraw-result")
            } catch let error as WorkhiveError {
                status = HTTPResponse.Status(code: error.code.httpStatus)
                switch error.code {
                case .insufficientFunds:
                    let available = try await marketplace.wallet(worker, historyLimit: 1).accounts.first?.availableMicroUSDT ?? 0
                    forms.errors.add("withdraw_amount", "That is more than you have: \(USDT.format(available)) is available to withdraw.")
                case .belowMinimumPayout where error.message.contains("minimum"):
                    // Said in the page's own money format, for the networks this payout could take.
                    let addresses = try await marketplace.payoutAddresses(worker).addresses.compactMap { PayoutNetwork(rawValue: $0.network) }
                    let minimums = marketplace.configuration.payouts.policy.minimumPayoutMicroUSDT
                    let minimum = (network.map { [$0] } ?? addresses).compactMap { minimums[$0] }.min() ?? 0
                    forms.errors.add("withdraw_amount", "The smallest payout \(network.map { "on \($0.displayName)" } ?? "to your addresses") is \(USDT.format(minimum)).")
                case .belowMinimumPayout, .invalidRequest:
                    forms.errors.add("withdraw_amount", Display.payoutReason(error.message))
                case .noPayoutAddress:
                    if let network {
                        forms.errors.add("withdraw_network", "You have no \(network.displayName) address. Set one below, or choose another network.")
                    } else {
                        forms.errors.add("withdraw", "Set a payout address below first.")
                    }
                case .idempotencyKeyReused:
                    forms.errors.add("withdraw", "This form was already used for a different withdrawal. Reload the page to make another.")
                    forms.idempotencyKey = nil
                default:
                    throw error
                }
            }
        }
        return try await walletAgain(user, forms, alert: "Nothing was withdrawn. Please correct the marked fields.", status: status)
    }
}

/// A labelled drop-down as the `select` partial renders it.
struct SelectField {
    struct Option {
        let value: String
        let label: String
        let selected: Bool
    }

    let name: String
    let label: String
    let options: [Option]
    let hint: String?
    let error: String?
    let describedBy: String?

    init(_ name: String, _ label: String, options: [Option], hint: String? = nil, error: String? = nil) {
        self.name = name
        self.label = label
        self.options = options
        self.hint = hint
        self.error = error
        describedBy = FormField.describedBy(name, hint: hint, error: error)
    }
}
