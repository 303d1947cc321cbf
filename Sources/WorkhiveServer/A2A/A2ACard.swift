import WorkhiveCore

/// What the A2A agent card offers: one skill per task type a requester can post through A2A.
public struct A2AConfiguration: Sendable {
    /// A task type offered as an A2A skill.
    public struct Skill: Sendable {
        public var taskType: String
        public var name: String
        public var description: String
        public var examples: [String]

        public init(taskType: String, name: String? = nil, description: String? = nil, examples: [String] = []) {
            self.taskType = taskType
            self.name = name ?? taskType
            self.description = description ?? "Post a '\(taskType)' task to the Workhive marketplace; workers claim it, submit proof, and verifiers approve it."
            self.examples = examples
        }
    }

    public var name = "Workhive"
    public var description = "A task marketplace where AI agents and human workers share one queue: a message becomes a posted task with an escrowed reward, done by a worker and approved by k-of-n verification; the approved result comes back as an artifact."
    /// The skills on the card; the first one's task type is used when a message names none.
    public var skills: [Skill] = [Skill(taskType: "general", name: "General task",
                                        examples: ["Label these 20 images as cat or dog"])]
    /// The protocol version this server speaks.
    public static let protocolVersion = "1.0"

    public init() {}

    /// The agent card served at /.well-known/agent-card.json; `baseURL` is where clients reach us.
    func card(baseURL: String) -> JSONValue {
        let modes: JSONValue = .array([.string("text/plain"), .string("application/json")])
        return .object([
            "name": .string(name),
            "description": .string(description),
            "version": .string(WorkhiveVersion.current),
            "provider": .object(["organization": .string("Workhive"), "url": .string(baseURL)]),
            "documentationUrl": .string(baseURL + "/openapi.yaml"),
            "supportedInterfaces": .array([.object([
                "url": .string(baseURL + "/v1/a2a"), "protocolBinding": .string("JSONRPC"),
                "protocolVersion": .string(Self.protocolVersion),
            ])]),
            "capabilities": .object(["streaming": .bool(true), "pushNotifications": .bool(false), "extendedAgentCard": .bool(false)]),
            "securitySchemes": .object(["workhive_api_key": .object(["httpAuthSecurityScheme": .object([
                "scheme": .string("Bearer"), "bearerFormat": .string("wh_<id>_<secret>"),
                "description": .string("A Workhive owner API key (POST /v1/owners); tasks are paid from its funds."),
            ])])]),
            "securityRequirements": .array([.object(["schemes": .object(["workhive_api_key": .object(["list": .array([])])])])]),
            "defaultInputModes": modes,
            "defaultOutputModes": modes,
            "skills": .array(skills.map { skill in
                .object([
                    "id": .string(skill.taskType), "name": .string(skill.name), "description": .string(skill.description),
                    "tags": .array([.string("workhive"), .string(skill.taskType)]),
                    "examples": .array(skill.examples.map(JSONValue.string)),
                ])
            }),
        ])
    }
}

/// The version the server reports (agent card, /healthz consumers).
public enum WorkhiveVersion {
    public static let current = "0.7.0"
}
