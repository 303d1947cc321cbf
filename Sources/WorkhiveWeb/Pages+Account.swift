import Foundation
import Hummingbird
import WorkhiveCore
import WorkhiveEngine

/// Sign-up, login (password or API key) and logout.
extension WebApp {
    struct HomePage {
        let login: LoginPage
        let allowSignup: Bool
    }

    struct LoginPage {
        let email: FormField
        let password: FormField
        let apiKey: FormField
        let next: String
        let allowSignup: Bool
    }

    struct SignupPage {
        let name: FormField
        let email: FormField
        let password: FormField
        let capabilities: FormField
        let roleWorker: Bool
        let roleRequester: Bool
        let roleError: String?
    }

    @Sendable func home(_ call: WebCall) async throws -> Response {
        if let user = try await currentUser(call) { return redirect(landing(for: user)) }
        let (csrf, cookie) = anonymousCSRF(call)
        var response = try renderer.page("home", title: "Welcome", user: nil, csrf: csrf,
                                         HomePage(login: loginForm(next: ""), allowSignup: configuration.allowSignup))
        if let cookie { response.setCookie(cookie) }
        return response
    }

    /// Where a user lands after signing in: workers at their feed, admins at the overview, requesters
    /// at their tasks.
    func landing(for user: WebUser) -> String {
        if user.isAdmin { return "/admin" }
        return user.hasWorker ? "/work" : "/tasks"
    }

    func loginForm(next: String, email: String = "", emailError: String? = nil, passwordError: String? = nil, keyError: String? = nil) -> LoginPage {
        LoginPage(
            email: FormField("email", "E-mail", type: "email", value: email, error: emailError, required: true, autocomplete: "username"),
            password: FormField("password", "Password", type: "password", error: passwordError, required: true, autocomplete: "current-password"),
            apiKey: FormField("api_key", "API key", type: "password", hint: "An owner or worker key (wh_…), such as the admin key `workhive serve` prints.",
                              error: keyError, required: true, autocomplete: "off"),
            next: safeNext(next), allowSignup: configuration.allowSignup)
    }

    @Sendable func loginPage(_ call: WebCall) async throws -> Response {
        if let user = try await currentUser(call) { return redirect(landing(for: user)) }
        let (csrf, cookie) = anonymousCSRF(call)
        var response = try renderer.page("login", title: "Log in", user: nil, csrf: csrf, loginForm(next: call.query("next") ?? ""))
        if let cookie { response.setCookie(cookie) }
        return response
    }

    @Sendable func login(_ call: WebCall) async throws -> Response {
        let form = try await FormData.read(call.request, limit: 16 * 1024)
        try checkCSRF(call, form: form, user: nil)
        let (csrf, _) = anonymousCSRF(call)
        let email = form.text("email"), password = form["password"] ?? "", next = form.text("next")
        guard throttle.allow(call.address) else {
            return try renderer.page("login", title: "Log in", user: nil, csrf: csrf, alert: "Too many attempts from your address; wait a minute and try again.",
                                     status: .tooManyRequests, loginForm(next: next, email: email))
        }
        let record = try await marketplace.webLogin(email: email)
        guard let record, await hasher.verify(password, against: record.passwordHash) else {
            if record == nil { await hasher.burnTime(password) }
            return try renderer.page("login", title: "Log in", user: nil, csrf: csrf, alert: "That e-mail and password do not match an account.",
                                     status: .unauthorized, loginForm(next: next, email: email, passwordError: "The e-mail or the password is wrong."))
        }
        let cookie = try await openSession(owner: record.ownerId, worker: record.workerId, email: record.email)
        let target = safeNext(next).isEmpty ? (record.workerId == nil ? "/tasks" : "/work") : safeNext(next)
        return redirect(target, cookies: [cookie])
    }

    @Sendable func loginWithKey(_ call: WebCall) async throws -> Response {
        let form = try await FormData.read(call.request, limit: 16 * 1024)
        try checkCSRF(call, form: form, user: nil)
        let (csrf, _) = anonymousCSRF(call)
        guard throttle.allow(call.address) else {
            return try renderer.page("login", title: "Log in", user: nil, csrf: csrf, alert: "Too many attempts from your address; wait a minute and try again.",
                                     status: .tooManyRequests, loginForm(next: form.text("next")))
        }
        let principal: Principal
        do {
            principal = try await marketplace.authenticate(apiKey: form.text("api_key"))
        } catch let error as WorkhiveError where error.code == .unauthenticated || error.code == .workerSuspended {
            let message = error.code == .workerSuspended ? "This worker is suspended." : "That API key is not valid."
            return try renderer.page("login", title: "Log in", user: nil, csrf: csrf, alert: message, status: .unauthorized,
                                     loginForm(next: form.text("next"), keyError: message))
        }
        let cookie = try await openSession(owner: principal.ownerID, worker: principal.workerID, email: nil)
        let next = safeNext(form.text("next"))
        return redirect(next.isEmpty ? (principal.isAdmin ? "/admin" : principal.workerID == nil ? "/tasks" : "/work") : next, cookies: [cookie])
    }

    @Sendable func logout(_ call: WebCall) async throws -> Response {
        let form = try await FormData.read(call.request, limit: 16 * 1024)
        guard let user = try await currentUser(call) else { return redirect("/") }
        try checkCSRF(call, form: form, user: user)
        try await marketplace.endWebSession(tokenHash: WebTokens.hash(user.token))
        return redirect("/", cookies: [cookie(WebCookie.session, "", maxAge: 0)])
    }

    func signupForm(_ form: FormData = FormData(), _ errors: FieldErrors = FieldErrors()) -> SignupPage {
        let role = form["role"] ?? "worker"
        return SignupPage(
            name: FormField("name", "Your name", value: form.text("name"), hint: "Shown to people you work with.", error: errors["name"],
                            required: true, autocomplete: "name"),
            email: FormField("email", "E-mail", type: "email", value: form.text("email"), error: errors["email"], required: true,
                             autocomplete: "email"),
            password: FormField("password", "Password", type: "password",
                                hint: "At least \(PasswordHasher.minimumPasswordLength) characters.", error: errors["password"], required: true,
                                autocomplete: "new-password"),
            capabilities: FormField("capabilities", "Skills (workers)", value: form.text("capabilities"),
                                    hint: "Optional, separated by commas, like: moderation, english. Tasks that require skills are shown to workers who have them.",
                                    error: errors["capabilities"]),
            roleWorker: role == "worker", roleRequester: role == "requester", roleError: errors["role"])
    }

    @Sendable func signupPage(_ call: WebCall) async throws -> Response {
        if let user = try await currentUser(call) { return redirect(landing(for: user)) }
        guard configuration.allowSignup else { throw WorkhiveError.forbidden("sign-up is closed on this server") }
        let (csrf, cookie) = anonymousCSRF(call)
        var response = try renderer.page("signup", title: "Sign up", user: nil, csrf: csrf, signupForm())
        if let cookie { response.setCookie(cookie) }
        return response
    }

    @Sendable func signup(_ call: WebCall) async throws -> Response {
        guard configuration.allowSignup else { throw WorkhiveError.forbidden("sign-up is closed on this server") }
        let form = try await FormData.read(call.request, limit: 16 * 1024)
        try checkCSRF(call, form: form, user: nil)
        let (csrf, _) = anonymousCSRF(call)
        guard throttle.allow(call.address) else {
            return try renderer.page("signup", title: "Sign up", user: nil, csrf: csrf, alert: "Too many attempts from your address; wait a minute and try again.",
                                     status: .tooManyRequests, signupForm(form))
        }
        var errors = FieldErrors()
        let name = form.text("name"), password = form["password"] ?? "", role = form["role"] ?? ""
        if name.isEmpty || name.count > 100 { errors.add("name", "Enter a name of 1 to 100 characters.") }
        if (try? WebInput.email(form.text("email"))) == nil { errors.add("email", "Enter an e-mail address like name@example.com.") }
        if password.count < PasswordHasher.minimumPasswordLength {
            errors.add("password", "Use at least \(PasswordHasher.minimumPasswordLength) characters.")
        } else if password.utf8.count > PasswordHasher.maximumPasswordBytes {
            errors.add("password", "Use at most \(PasswordHasher.maximumPasswordBytes) bytes.")
        }
        if role != "worker" && role != "requester" { errors.add("role", "Choose whether you will work on tasks or post them.") }
        let capabilities = WebInput.list(form.text("capabilities"))
        do { _ = try Capabilities(capabilities) } catch { errors.add("capabilities", WebInput.sentence(error.message)) }
        guard errors.isEmpty else {
            return try renderer.page("signup", title: "Sign up", user: nil, csrf: csrf, alert: "Please correct the marked fields.",
                                     status: .badRequest, signupForm(form, errors))
        }
        let record: WebLoginRecord
        do {
            record = try await marketplace.createWebLogin(
                email: form.text("email"), passwordHash: try await hasher.hash(password), name: name,
                humanWorkerCapabilities: role == "worker" ? capabilities : nil)
        } catch let error as WorkhiveError where error.code == .conflict {
            errors.add("email", "An account with this e-mail already exists. Log in instead.")
            return try renderer.page("signup", title: "Sign up", user: nil, csrf: csrf, alert: "Please correct the marked fields.",
                                     status: .conflict, signupForm(form, errors))
        }
        let cookie = try await openSession(owner: record.ownerId, worker: record.workerId, email: record.email)
        return redirect(record.workerId == nil ? "/tasks?notice=welcome" : "/work?notice=welcome", cookies: [cookie])
    }

    /// A same-site path to go back to after login, or "" (never another host: no open redirect).
    func safeNext(_ next: String) -> String {
        guard next.hasPrefix("/"), !next.hasPrefix("//"), !next.hasPrefix("/\\"), !next.contains("\r"), !next.contains("\n") else { return "" }
        return next
    }
}

/// Small parsers for what people type into forms.
enum WebInput {
    static func email(_ raw: String) throws -> String {
        let email = raw.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
        let parts = email.split(separator: "@", omittingEmptySubsequences: false)
        guard (3...254).contains(email.utf8.count), parts.count == 2, !parts[0].isEmpty, parts[1].contains("."),
              !email.contains(where: \.isWhitespace) else { throw InputProblem("enter an e-mail address") }
        return email
    }

    /// "a, b c" → ["a", "b", "c"].
    static func list(_ raw: String) -> [String] {
        raw.split(whereSeparator: { $0 == "," || $0.isWhitespace }).map(String.init)
    }

    /// An engine message as a sentence: capitalised, with a full stop.
    static func sentence(_ message: String) -> String {
        guard let first = message.first else { return message }
        return first.uppercased() + message.dropFirst() + (message.hasSuffix(".") ? "" : ".")
    }
}
