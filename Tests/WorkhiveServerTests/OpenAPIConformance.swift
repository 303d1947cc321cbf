import Foundation
import Hummingbird
import Testing
import WorkhiveCore
import WorkhiveEngine
import Yams
@testable import WorkhiveServer

// MARK: - The validator

/// Resources/openapi.yaml as a tree, with a validator that checks an HTTP answer against it: the
/// operation exists for the concrete path, the status is documented, and the body matches the
/// response schema. The schema check is a small JSON Schema subset (type, enum, const, properties,
/// required, additionalProperties, items, pattern, $ref to #/components/..., oneOf/anyOf/allOf),
/// which is all the document uses.
struct OpenAPISpec {
    struct LoadError: Error { let message: String }

    static let methods = ["get", "put", "post", "delete", "patch", "head", "options", "trace"]

    let root: JSONValue

    init(text: String = OpenAPIDocument.text) throws {
        guard let node = try Yams.compose(yaml: text) else { throw LoadError(message: "empty document") }
        root = Self.tree(node)
        guard case .object = root["paths"] else { throw LoadError(message: "no paths") }
    }

    /// YAML → JSON-like tree, typing scalars by their resolved YAML tag (so quoted "200" stays a string).
    static func tree(_ node: Node) -> JSONValue {
        switch node {
        case .mapping(let mapping):
            var object: [String: JSONValue] = [:]
            for (key, value) in mapping { object[key.string ?? ""] = tree(value) }
            return .object(object)
        case .sequence(let sequence):
            return .array(sequence.map(tree))
        case .scalar, .alias:
            switch Tag.Name(rawValue: node.tag.rawValue) {
            case .null: return .null
            case .bool: return node.bool.map(JSONValue.bool) ?? .string(node.string ?? "")
            case .int: return node.int.map { .int(Int64($0)) } ?? .string(node.string ?? "")
            case .float: return node.float.map(JSONValue.double) ?? .string(node.string ?? "")
            default: return .string(node.string ?? "")
            }
        }
    }

    // MARK: Operations

    var paths: [String: JSONValue] { Self.object(root["paths"]) }

    /// Every operation as "GET /v1/tasks/{id}".
    var operations: Set<String> {
        Set(paths.flatMap { path, item in
            Self.object(item).keys.filter(Self.methods.contains).map { "\($0.uppercased()) \(path)" }
        })
    }

    /// Every operation object, keyed like `operations`.
    var operationObjects: [(key: String, operation: JSONValue)] {
        paths.flatMap { path, item in
            Self.object(item).filter { Self.methods.contains($0.key) }.map { ("\($0.key.uppercased()) \(path)", $0.value) }
        }
    }

    /// The path template a concrete path matches, preferring literal segments over `{params}` as the
    /// router does (so /v1/workers/heartbeat is not /v1/workers/{id}).
    func template(for path: String) -> String? {
        let concrete = Self.segments(path)
        func literals(_ t: String) -> Int { Self.segments(t).filter { !$0.hasPrefix("{") }.count }
        return paths.keys
            .filter { t in
                let template = Self.segments(t)
                return template.count == concrete.count
                    && zip(template, concrete).allSatisfy { $0.hasPrefix("{") && $0.hasSuffix("}") ? !$1.isEmpty : $0 == $1 }
            }
            .max { literals($0) < literals($1) }
    }

    static func segments(_ path: String) -> [String] {
        let withoutQuery = path.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        return withoutQuery.split(separator: "/").map(String.init)
    }

    // MARK: Validation

    /// Problems with an answer of `status` and `body` to `method path`; empty when it conforms.
    func validate(method: String, path: String, status: Int, body: Data) -> [String] {
        guard let template = template(for: path), let operation = paths[template]?[method.lowercased()] else {
            return ["no operation \(method.uppercased()) \(path) in the spec"]
        }
        let name = "\(method.uppercased()) \(template)"
        let responses = Self.object(operation["responses"])
        let range = "\(status / 100)XX"
        guard let documented = responses[String(status)] ?? responses[range] ?? responses["default"] else {
            return ["\(name): status \(status) is not documented (documented: \(responses.keys.sorted().joined(separator: ", ")))"]
        }
        guard let response = deref(documented) else { return ["\(name) \(status): unresolvable response reference"] }
        guard case .object(let content) = response["content"] else {
            return body.isEmpty ? [] : ["\(name) \(status): documented without a body, but \(body.count) bytes came"]
        }
        guard let media = content["application/json"] else { return [] }  // not JSON: bytes are not checked
        let value: JSONValue
        do {
            value = try JSONDecoder().decode(JSONValue.self, from: body)
        } catch {
            return ["\(name) \(status): body is not JSON: \(String(decoding: body.prefix(200), as: UTF8.self))"]
        }
        return validate(value, against: media["schema"] ?? .object([:]), at: "$").map { "\(name) \(status): \($0)" }
    }

    /// Problems with `json` as an instance of `#/components/schemas/<schema>`.
    func validate(json: Data, schema name: String) -> [String] {
        guard let value = try? JSONDecoder().decode(JSONValue.self, from: json) else { return ["not JSON"] }
        return validate(value, against: .object(["$ref": .string("#/components/schemas/\(name)")]), at: "$")
    }

    /// Problems with `value` as an instance of `schema`, with `at` the JSON path for messages.
    func validate(_ value: JSONValue, against schema: JSONValue, at path: String) -> [String] {
        if let ref = schema["$ref"]?.stringValue {
            guard let target = resolve(ref) else { return ["\(path): unresolvable $ref \(ref)"] }
            return validate(value, against: target, at: path)
        }
        var problems: [String] = []
        if case .array(let all) = schema["allOf"] {
            for s in all { problems += validate(value, against: s, at: path) }
        }
        if case .array(let any) = schema["anyOf"], !any.contains(where: { validate(value, against: $0, at: path).isEmpty }) {
            problems.append("\(path): matches none of anyOf")
        }
        if case .array(let one) = schema["oneOf"] {
            let results = one.map { validate(value, against: $0, at: path) }
            let matches = results.filter(\.isEmpty).count
            if matches == 0 {
                let closest = results.min { $0.count < $1.count } ?? []
                problems.append("\(path): matches none of oneOf (closest: \(closest.joined(separator: "; ")))")
            } else if matches > 1 {
                problems.append("\(path): matches \(matches) of oneOf")
            }
        }
        if let types = Self.types(schema["type"]), !types.contains(where: { Self.value(value, hasType: $0) }) {
            return problems + ["\(path): expected \(types.joined(separator: " or ")), got \(Self.describe(value))"]
        }
        if case .array(let allowed) = schema["enum"], !allowed.contains(where: { Self.same($0, value) }) {
            problems.append("\(path): \(Self.describe(value)) is not one of \(allowed.map(Self.describe))")
        }
        if let constant = schema["const"], !Self.same(constant, value) {
            problems.append("\(path): \(Self.describe(value)) is not \(Self.describe(constant))")
        }
        if case .string(let s) = value, let pattern = schema["pattern"]?.stringValue, s.range(of: pattern, options: .regularExpression) == nil {
            problems.append("\(path): '\(s.prefix(80))' does not match \(pattern)")
        }
        if case .object(let members) = value {
            let properties = Self.object(schema["properties"])
            if case .array(let required) = schema["required"] {
                for case .string(let key) in required where members[key] == nil {
                    problems.append("\(path): missing required '\(key)'")
                }
            }
            for (key, member) in members.sorted(by: { $0.key < $1.key }) {
                if let property = properties[key] {
                    problems += validate(member, against: property, at: "\(path).\(key)")
                } else if let additional = schema["additionalProperties"] {
                    if case .bool(false) = additional {
                        problems.append("\(path): unexpected property '\(key)'")
                    } else if case .object = additional {
                        problems += validate(member, against: additional, at: "\(path).\(key)")
                    }
                }
            }
        }
        if case .array(let items) = value, let itemSchema = schema["items"] {
            for (i, item) in items.enumerated() { problems += validate(item, against: itemSchema, at: "\(path)[\(i)]") }
        }
        return problems
    }

    // MARK: References

    /// The target of a local reference such as `#/components/schemas/Task`.
    func resolve(_ ref: String) -> JSONValue? {
        guard ref.hasPrefix("#/") else { return nil }
        var node: JSONValue? = root
        for part in ref.dropFirst(2).split(separator: "/") {
            node = node?[part.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")]
        }
        return node
    }

    /// `node`, or what its `$ref` points at (following chains).
    func deref(_ node: JSONValue) -> JSONValue? {
        var node = node
        for _ in 0..<16 {
            guard let ref = node["$ref"]?.stringValue else { return node }
            guard let target = resolve(ref) else { return nil }
            node = target
        }
        return nil
    }

    /// Every `$ref` in the document that does not resolve.
    func unresolvedReferences() -> [String] {
        var bad: [String] = []
        func walk(_ node: JSONValue) {
            switch node {
            case .object(let o):
                if let ref = o["$ref"]?.stringValue, resolve(ref) == nil { bad.append(ref) }
                o.values.forEach(walk)
            case .array(let a): a.forEach(walk)
            default: break
            }
        }
        walk(root)
        return bad
    }

    // MARK: Helpers

    static func object(_ value: JSONValue?) -> [String: JSONValue] {
        if case .object(let o) = value { o } else { [:] }
    }

    static func strings(_ value: JSONValue?) -> [String] {
        if case .array(let a) = value { a.compactMap(\.stringValue) } else { [] }
    }

    static func types(_ value: JSONValue?) -> [String]? {
        switch value {
        case .string(let s): [s]
        case .array(let a): a.compactMap(\.stringValue)
        default: nil
        }
    }

    static func value(_ value: JSONValue, hasType type: String) -> Bool {
        switch (type, value) {
        case ("null", .null), ("boolean", .bool), ("string", .string), ("array", .array), ("object", .object): true
        case ("integer", .int), ("number", .int), ("number", .double): true
        case ("integer", .double(let d)): d.rounded() == d
        default: false
        }
    }

    /// JSON equality, with 1 and 1.0 the same number.
    static func same(_ a: JSONValue, _ b: JSONValue) -> Bool {
        switch (a, b) {
        case (.int(let x), .double(let y)), (.double(let y), .int(let x)): Double(x) == y
        default: a == b
        }
    }

    static func describe(_ value: JSONValue) -> String {
        switch value {
        case .null: "null"
        case .bool(let b): "\(b)"
        case .int(let i): "\(i)"
        case .double(let d): "\(d)"
        case .string(let s): "\"\(s.prefix(80))\""
        case .array: "an array"
        case .object: "an object"
        }
    }
}

// MARK: - Tests

@Suite("OpenAPI conformance")
struct OpenAPIConformanceTests {
    let spec: OpenAPISpec

    init() throws { spec = try OpenAPISpec() }

    @Test func documentParsesAndEveryReferenceResolves() throws {
        #expect(spec.root["openapi"]?.stringValue?.hasPrefix("3.1") == true)
        #expect(!spec.operations.isEmpty)
        #expect(spec.unresolvedReferences() == [])
        var operationIds: [String] = []
        for (name, operation) in spec.operationObjects {
            let id = operation["operationId"]?.stringValue ?? ""
            #expect(!id.isEmpty, "\(name) has no operationId")
            let description = operation["description"]?.stringValue ?? ""
            #expect(!description.isEmpty, "\(name) has no description")
            operationIds.append(id)
            for (status, response) in OpenAPISpec.object(operation["responses"]) {
                #expect(spec.deref(response)?["description"] != nil, "\(name) \(status) does not resolve to a response")
            }
        }
        #expect(Set(operationIds).count == operationIds.count, "operationIds must be unique")
    }

    @Test func specNamesExactlyTheRoutesTheRouterServes() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("workhive-openapi-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let db = try SQLiteDatabase(path: dir + "/db.sqlite")
        let m = try await Marketplace.open(database: db, configuration: MarketplaceConfiguration(blobDirectory: dir + "/blobs"))
        let router = buildRouter(ServerConfiguration(), marketplace: m)

        /// `:id` and `{id}` are the same parameter.
        func normalized(_ path: String) -> String {
            "/" + OpenAPISpec.segments(path).map { $0.hasPrefix(":") ? "{\($0.dropFirst())}" : $0 }.joined(separator: "/")
        }
        // The web app's pages share the router but are not API: the API is /v1 and the meta routes.
        let api = router.routes.filter { r in
            let path = r.path.description
            return path.hasPrefix("/v1") || ["/healthz", "/openapi.yaml", "/metrics", "/.well-known/agent-card.json"].contains(path)
        }
        let served = Set(api.map { "\($0.method.rawValue.uppercased()) \(normalized($0.path.description))" })
        let documented = Set(spec.operations.map { op in
            let parts = op.split(separator: " ", maxSplits: 1)
            return "\(parts[0]) \(normalized(String(parts[1])))"
        })
        #expect(served.count > 20)
        #expect(served.subtracting(documented).sorted() == [], "served but not in openapi.yaml")
        #expect(documented.subtracting(served).sorted() == [], "in openapi.yaml but not served")
        await db.close()
    }

    @Test func enumsMatchTheCode() {
        func specEnum(_ name: String) -> Set<String> {
            Set(OpenAPISpec.strings(spec.resolve("#/components/schemas/\(name)")?["enum"]))
        }
        #expect(specEnum("ErrorCode") == Set(ErrorCode.allCases.map(\.rawValue)))
        #expect(specEnum("TaskState") == Set(TaskState.allCases.map(\.rawValue)))
        #expect(specEnum("WorkerKind") == Set(WorkerKind.allCases.map(\.rawValue)))
        #expect(specEnum("WorkerStatus") == Set(WorkerStatus.allCases.map(\.rawValue)))
        #expect(specEnum("Verdict") == Set(Verdict.allCases.map(\.rawValue)))
        #expect(specEnum("AccountKind") == Set(AccountKind.allCases.map(\.rawValue)))
        // Not CaseIterable: every documented value must at least decode.
        for v in specEnum("Visibility") { #expect(Visibility(rawValue: v) != nil) }
        for v in specEnum("Outcome") { #expect(Outcome(rawValue: v) != nil) }
        for v in specEnum("TransferKind") { #expect(TransferKind(rawValue: v) != nil) }
        for v in specEnum("TransferReason") { #expect(TransferReason(rawValue: v) != nil) }
    }

    @Test func blobMediaTypesMatchTheConfiguration() {
        let upload = spec.paths["/v1/blobs"]?["post"]?["requestBody"]?["content"]
        #expect(Set(OpenAPISpec.object(upload).keys) == MarketplaceConfiguration(blobDirectory: "/tmp").allowedMediaTypes)
    }

    @Test func eventFramesMatchTheSchema() {
        let events: [Event] = [
            .taskAvailable(.init(task: TaskID(1), taskType: "social.like", requiredCapabilities: "browser,x.com",
                                 rewardMicroUSDT: 50_000, humanOnly: false, excludedOwner: nil)),
            .claimExpiring(claim: ClaimID(Int64.max), task: TaskID(2), worker: WorkerID(3), leaseExpiresAtMillis: 1_700_000_000_000),
            .submissionVerdict(submission: SubmissionID(4), task: TaskID(2), worker: WorkerID(3), requester: OwnerID(5), outcome: .approved),
            .ledgerCredited(account: AccountID(6), owner: OwnerID(5), worker: nil, amountMicroUSDT: 10, reason: .deposit, task: nil),
            .ledgerCredited(account: AccountID(7), owner: OwnerID(5), worker: WorkerID(3), amountMicroUSDT: 9, reason: .verifierReward, task: TaskID(8)),
        ]
        for event in events {
            let frame = EventsRoute.encode(event)
            #expect(spec.validate(json: Data(frame.utf8), schema: "EventFrame") == [], "\(frame)")
        }
        #expect(spec.paths["/v1/events"]?["get"]?["x-websocket-frames"]?["$ref"]?.stringValue == "#/components/schemas/EventFrame")
    }

    /// The validator must catch drift, not just pass everything.
    @Test func validatorCatchesDrift() {
        func body(_ s: String) -> Data { Data(s.utf8) }
        let lease = #"{"claim_id": 1, "lease_expires_at_millis": 2}"#
        #expect(spec.validate(method: "POST", path: "/v1/claims/9/heartbeat", status: 200, body: body(lease)) == [])
        #expect(spec.validate(method: "GET", path: "/healthz", status: 200, body: body(#"{"status":"ok"}"#)) == [])
        #expect(spec.validate(method: "POST", path: "/v1/claims", status: 204, body: Data()) == [])
        #expect(spec.validate(method: "POST", path: "/v1/workers/heartbeat", status: 413,
                              body: body(#"{"error":{"code":"payload_too_large","message":"x"}}"#)) == [])

        let extra = #"{"claim_id": 1, "lease_expires_at_millis": 2, "surprise": true}"#
        #expect(!spec.validate(method: "POST", path: "/v1/claims/9/heartbeat", status: 200, body: body(extra)).isEmpty)
        #expect(!spec.validate(method: "POST", path: "/v1/claims/9/heartbeat", status: 200, body: body(#"{"claim_id": 1}"#)).isEmpty)
        #expect(!spec.validate(method: "POST", path: "/v1/claims/9/heartbeat", status: 200, body: body(#"{"claim_id": "1", "lease_expires_at_millis": 2}"#)).isEmpty)
        #expect(!spec.validate(method: "POST", path: "/v1/claims/9/heartbeat", status: 418, body: body(lease)).isEmpty)
        #expect(!spec.validate(method: "DELETE", path: "/v1/claims/9/heartbeat", status: 200, body: body(lease)).isEmpty)
        #expect(!spec.validate(method: "GET", path: "/v1/nothing", status: 200, body: Data()).isEmpty)
        #expect(!spec.validate(method: "POST", path: "/v1/claims", status: 204, body: body("{}")).isEmpty)
        #expect(!spec.validate(method: "POST", path: "/v1/claims", status: 400, body: body(#"{"error":{"code":"nope","message":"x"}}"#)).isEmpty)
        #expect(!spec.validate(json: body(#"{"type":"task.available","data":{}}"#), schema: "EventFrame").isEmpty)
    }

    /// What the engine returns, encoded the way the server encodes it, matches the response schemas.
    @Test func engineViewsMatchTheSchemas() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("workhive-openapi-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let db = try SQLiteDatabase(path: dir + "/db.sqlite")
        let m = try await Marketplace.open(database: db, configuration: MarketplaceConfiguration(blobDirectory: dir + "/blobs"))
        func check(_ value: some Encodable, _ schema: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
            let json = try JSONBody.encoder().encode(value)
            #expect(spec.validate(json: json, schema: schema) == [], "\(String(decoding: json, as: UTF8.self))", sourceLocation: sourceLocation)
        }

        let requester = try await m.createOwner(name: "requester", admin: true)
        try check(requester, "OwnerCredentials")
        let owner = try await m.authenticate(apiKey: requester.apiKey)
        try check(try await m.deposit(owner, amountMicroUSDT: 10_000_000), "Balance")
        let worker = try await m.createWorker(owner, name: "w", kind: .agent, capabilities: ["Browser"])
        try check(worker, "WorkerCredentials")
        let other = try await m.authenticate(apiKey: try await m.createOwner(name: "verifiers").apiKey)
        let verifier = try await m.createWorker(other, name: "v", kind: .human, capabilities: ["browser"])
        try check(WorkerList(workers: try await m.workers(owner)), "WorkerList")
        let w = try await m.authenticate(apiKey: worker.apiKey)
        let v = try await m.authenticate(apiKey: verifier.apiKey)
        try check(MeView(kind: "owner", ownerId: owner.ownerID, isAdmin: true, worker: nil), "Me")
        try check(MeView(kind: "worker", ownerId: owner.ownerID, isAdmin: false, worker: worker.subject), "Me")
        try check(try await m.workerHeartbeat(w, status: .busy), "Worker")

        let request = try JSONDecoder().decode(PostTaskRequest.self, from: Data("""
            {"task_type": "social.like", "title": "Like a post", "payload": {"url": "https://x.com/1"},
             "required_capabilities": ["browser"], "reward_micro_usdt": 100000, "deadline_at_millis": \(m.now() + 3_600_000),
             "verification": {"verifiers": 1, "quorum": 1}}
            """.utf8))
        let task = try await m.postTask(owner, try request.spec(now: m.now()), idempotencyKey: "k1", requestHash: "h")
        try check(task, "Task")
        try check(TaskList(tasks: try await m.listTasks(owner)), "TaskList")
        let claim = try #require(try await m.claim(w, taskType: "social.like"))
        try check(claim, "Claim")
        try check(try await m.heartbeat(w, claim: claim.claimId), "Lease")
        let blob = try await m.uploadBlob(w, bytes: Array("proof".utf8), mediaType: "text/plain; charset=utf-8")
        try check(blob, "Blob")
        let submission = try await m.submit(w, claim: claim.claimId, result: .object(["done": .bool(true)]), proofs: [blob.sha256])
        try check(submission, "Submission")
        let slot = try #require(try await m.claim(v, taskType: TaskType.verify))
        #expect(slot.review != nil)
        try check(slot, "Claim")
        try check(try await m.vote(v, claim: slot.claimId, verdict: .approve, reason: ""), "Vote")
        try check(VoteList(votes: try await m.votes(owner, submission: submission.id)), "VoteList")
        try check(SubmissionList(submissions: try await m.submissions(owner, task: task.id)), "SubmissionList")
        try check(try await m.wallet(owner), "Wallet")
        try check(try await m.wallet(w), "Wallet")
        try check(try await m.ledgerTotals(), "LedgerTotals")
        try check(try await m.setSuspended(owner, worker: worker.subject.id, suspended: true), "Worker")

        let second = try await m.postTask(owner, try request.spec(now: m.now()))
        let released = try await m.cancelTask(owner, second.id)
        try check(released, "Task")
        try check(ErrorBody(error: .init(code: ErrorCode.taskNotOpen.rawValue, message: "x")), "Error")
        await db.close()
    }
}
