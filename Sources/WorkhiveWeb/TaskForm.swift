import Foundation
import WorkhiveCore
import WorkhiveEngine

/// The "post a task" form: every field of `POST /v1/tasks`, in the units people type (USDT, a UTC
/// date), read into a `TaskSpec` with a message for each field that is wrong. The defaults are the
/// API's: lease 300 s, 3 attempts, priority 0, public, 3 verifiers with a majority quorum, no spot
/// checks, verifier reward 5% of the reward.
struct TaskForm {
    static let fieldNames = ["task_type", "title", "instructions", "payload", "required_capabilities", "reward", "lease_seconds",
                             "max_attempts", "deadline", "priority", "visibility", "verifiers", "quorum", "spot_check_rate", "verifier_reward"]

    var values: [String: String]
    var idempotencyKey: String

    init(_ form: FormData) {
        values = Dictionary(uniqueKeysWithValues: Self.fieldNames.map { ($0, form[$0] ?? "") })
        idempotencyKey = form.text("idempotency_key")
    }

    /// A blank form with the defaults filled in.
    static func blank() -> TaskForm {
        var form = TaskForm(FormData())
        form.values["lease_seconds"] = "300"
        form.values["max_attempts"] = "3"
        form.values["priority"] = "0"
        form.values["visibility"] = "public"
        form.values["verifiers"] = "3"
        form.values["spot_check_rate"] = "0"
        form.values["payload"] = "{}"
        form.idempotencyKey = WebTokens.random()
        return form
    }

    func text(_ name: String) -> String { (values[name] ?? "").trimmingCharacters(in: .whitespacesAndNewlines) }

    /// The spec, or the message for every field that is wrong.
    func spec(now: Int64) -> Result<TaskSpec, FieldErrors> {
        var errors = FieldErrors()
        func integer(_ name: String, default value: Int, _ range: ClosedRange<Int>, _ what: String) -> Int {
            let raw = text(name)
            if raw.isEmpty { return value }
            guard let n = Int(raw) else { errors.add(name, "Enter a whole number."); return value }
            if !range.contains(n) { errors.add(name, "\(what) must be between \(range.lowerBound) and \(range.upperBound).") }
            return n
        }
        let taskType = text("task_type").lowercased()
        if taskType.isEmpty { errors.add("task_type", "Enter a task type, like social.like or moderation.image.") }
        else if taskType == TaskType.verify { errors.add("task_type", "The type verify is reserved for verification.") }
        else if (try? TaskType.validate(taskType)) == nil {
            errors.add("task_type", "Use 1 to 64 characters: a-z, 0-9, dot, dash, underscore or colon.")
        }
        let title = text("title")
        if title.isEmpty || title.count > 200 { errors.add("title", "Enter a title of 1 to 200 characters.") }
        let instructions = values["instructions"] ?? ""
        if instructions.utf8.count > 20_000 { errors.add("instructions", "Keep the instructions under 20,000 bytes.") }

        var payload: JSONValue = .object([:])
        let payloadText = text("payload")
        if !payloadText.isEmpty {
            do {
                payload = try JSONValue.parse(payloadText)
                guard case .object = payload else { throw InputProblem("") }
            } catch let problem as JSONValue.ParseError {
                errors.add("payload", "This is not valid JSON (\(problem.reason) at character \(problem.offset + 1)).")
            } catch {
                errors.add("payload", "The payload must be a JSON object, like {\"url\": \"https://…\"}.")
            }
        }
        let payloadJSON = StoredJSON.encode(payload)
        if payloadJSON.utf8.count > TaskSpec.maxPayloadBytes { errors.add("payload", "Keep the payload under \(TaskSpec.maxPayloadBytes / 1024) KiB.") }

        var capabilities = Capabilities.none
        do { capabilities = try Capabilities(WebInput.list(text("required_capabilities"))) } catch {
            errors.add("required_capabilities", WebInput.sentence(error.message))
        }

        var reward: Int64 = 0
        switch USDT.parse(text("reward")) {
        case .success(let micro):
            reward = micro
            if micro <= 0 { errors.add("reward", "The reward must be more than 0 USDT.") }
            if micro > TaskSpec.maxRewardMicroUSDT { errors.add("reward", "The reward can be at most \(USDT.format(TaskSpec.maxRewardMicroUSDT)).") }
        case .failure(let problem): errors.add("reward", WebInput.sentence(problem.message))
        }
        let lease = integer("lease_seconds", default: 300, 5...86_400, "The lease")
        let attempts = integer("max_attempts", default: 3, 1...20, "Attempts")
        let priority = integer("priority", default: 0, -1000...1000, "Priority")
        let verifiers = integer("verifiers", default: 3, 0...VerificationPolicy.maxVerifiers, "Verifiers")
        let defaultQuorum = verifiers == 0 ? 0 : verifiers / 2 + 1
        let quorum = integer("quorum", default: defaultQuorum, 0...VerificationPolicy.maxVerifiers, "The quorum")
        if errors["verifiers"] == nil, errors["quorum"] == nil {
            if verifiers == 0 && quorum != 0 { errors.add("quorum", "With no verifiers the quorum must be 0 (or left empty).") }
            if verifiers > 0 && !(1...verifiers).contains(quorum) { errors.add("quorum", "The quorum must be between 1 and the number of verifiers (\(verifiers)).") }
        }
        var spotCheck = 0.0
        let spotText = text("spot_check_rate")
        if !spotText.isEmpty {
            if let rate = Double(spotText), rate.isFinite, (0...1).contains(rate) { spotCheck = rate } else {
                errors.add("spot_check_rate", "Enter a share between 0 and 1, like 0.1 for one check in ten.")
            }
        }
        var verifierReward = FeePolicy.defaultVerifierReward(reward: max(reward, 1))
        if !text("verifier_reward").isEmpty {
            switch USDT.parse(text("verifier_reward")) {
            case .success(let micro): verifierReward = micro
            case .failure(let problem): errors.add("verifier_reward", WebInput.sentence(problem.message))
            }
        }
        var deadline: Int64?
        if !text("deadline").isEmpty {
            if let millis = Self.utcMillis(text("deadline")) {
                deadline = millis
                if millis <= now { errors.add("deadline", "The deadline must be in the future.") }
            } else {
                errors.add("deadline", "Enter a date and time, like 2030-01-31T18:00.")
            }
        }
        let visibility = Visibility(rawValue: text("visibility").isEmpty ? "public" : text("visibility"))
        if visibility == nil { errors.add("visibility", "Choose public or private.") }
        if idempotencyKey.isEmpty || idempotencyKey.utf8.count > 200 { errors.add("form", "The form is incomplete; reload the page.") }
        guard errors.isEmpty, let visibility else { return .failure(errors) }
        do {
            return .success(try TaskSpec(
                taskType: taskType, title: title, instructions: instructions, payloadJSON: payloadJSON, requiredCapabilities: capabilities,
                rewardMicroUSDT: reward, leaseSeconds: lease, maxAttempts: attempts, deadlineAtMillis: deadline, priority: priority,
                visibility: visibility,
                verification: VerificationPolicy(verifiers: verifiers, quorum: quorum, spotCheckRate: spotCheck, verifierRewardMicroUSDT: verifierReward),
                nowMillis: now))
        } catch {
            // The engine's own rules are the last word; put its message next to the field it names.
            errors.add(Self.field(named: error.message), WebInput.sentence(error.message))
            return .failure(errors)
        }
    }

    /// The form field an engine message is about.
    static func field(named message: String) -> String {
        let pairs: [(String, String)] = [
            ("verification.verifiers", "verifiers"), ("verification.quorum", "quorum"), ("verification.spot_check_rate", "spot_check_rate"),
            ("verification.verifier_reward", "verifier_reward"), ("task_type", "task_type"), ("title", "title"), ("instructions", "instructions"),
            ("payload", "payload"), ("capabilit", "required_capabilities"), ("reward", "reward"), ("lease", "lease_seconds"),
            ("max_attempts", "max_attempts"), ("priority", "priority"), ("deadline", "deadline"),
        ]
        return pairs.first { message.contains($0.0) }?.1 ?? "form"
    }

    /// `2030-01-31T18:00` (a datetime-local value) read as UTC.
    static func utcMillis(_ text: String) -> Int64? {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        for format in ["yyyy-MM-dd'T'HH:mm", "yyyy-MM-dd'T'HH:mm:ss", "yyyy-MM-dd HH:mm"] {
            formatter.dateFormat = format
            if let date = formatter.date(from: text) { return Int64(date.timeIntervalSince1970 * 1000) }
        }
        return nil
    }

    /// What a retry of this exact form must match to reuse the first task (the idempotency hash).
    func fingerprint() -> String {
        sha256Hex(Self.fieldNames.map { "\($0)=\(text($0))" }.joined(separator: "\n"))
    }
}
