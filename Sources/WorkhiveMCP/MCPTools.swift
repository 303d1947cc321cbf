import MCP

/// The tools `workhive mcp` offers: the worker interface (list, claim, submit, heartbeat, balance)
/// and the requester's (post, get). Schemas follow the REST API's bodies (Resources/openapi.yaml).
enum MCPTools {
    static func object(_ properties: [String: Value], required: [String] = []) -> Value {
        var schema: [String: Value] = ["type": "object", "properties": .object(properties)]
        if !required.isEmpty { schema["required"] = .array(required.map(Value.string)) }
        return .object(schema)
    }
    static func field(_ type: String, _ description: String, _ extra: [String: Value] = [:]) -> Value {
        .object(["type": .string(type), "description": .string(description)].merging(extra) { a, _ in a })
    }
    static let anyObject: Value = ["type": "object"]
    static let strings: Value = ["type": "array", "items": ["type": "string"]]

    static let all: [Tool] = [
        Tool(name: "list_tasks", title: "List tasks",
             description: "Workers: the open public tasks you could claim. Requesters: your own tasks, newest first.",
             inputSchema: object([
                 "task_type": field("string", "Only tasks of this type."),
                 "state": field("string", "Only tasks in this state (requesters).",
                                ["enum": ["open", "claimed", "verifying", "approved", "rejected", "failed", "cancelled", "done"]]),
                 "limit": field("integer", "At most this many tasks (default 20).", ["minimum": 1, "maximum": 500]),
             ]),
             annotations: .init(readOnlyHint: true, openWorldHint: false),
             outputSchema: object(["tasks": ["type": "array", "items": anyObject]], required: ["tasks"])),
        Tool(name: "claim_task", title: "Claim a task",
             description: "Lease the best open task of a type (waiting up to wait_seconds for one). Work on it, heartbeat before the lease expires, then submit_work with the claim_id. Verifiers claim task_type 'verify' and vote through the REST API.",
             inputSchema: object([
                 "task_type": field("string", "The type of task to claim, e.g. 'image.label'."),
                 "capabilities": ["type": "array", "items": ["type": "string"], "description": "Claim only tasks needing at most these of your registered capabilities."],
                 "wait_seconds": field("number", "Long-poll up to this many seconds for work (default 5).", ["minimum": 0, "maximum": 30]),
             ], required: ["task_type"]),
             annotations: .init(destructiveHint: false, idempotentHint: false, openWorldHint: false),
             outputSchema: object(["claimed": ["type": "boolean"], "claim": anyObject], required: ["claimed"])),
        Tool(name: "submit_work", title: "Submit work",
             description: "Submit the result of a claimed task (any JSON value) with optional proof blob hashes; verifiers then review it. Submitting the same result again returns the first submission.",
             inputSchema: object([
                 "claim_id": field("integer", "The claim_id claim_task returned."),
                 "result": ["description": "The result: any JSON value, usually an object."],
                 "proofs": ["type": "array", "items": ["type": "string"], "description": "SHA-256 hashes of proof files uploaded with POST /v1/blobs."],
             ], required: ["claim_id", "result"]),
             annotations: .init(destructiveHint: false, idempotentHint: true, openWorldHint: false),
             outputSchema: object(["id": ["type": "integer"], "task_id": ["type": "integer"], "state": ["type": "string"]], required: ["id", "task_id", "state"])),
        Tool(name: "heartbeat", title: "Heartbeat",
             description: "Report your status (idle, busy, offline) and, with claim_id, extend that claim's lease.",
             inputSchema: object([
                 "claim_id": field("integer", "A claim to keep: its lease is extended by the task's lease time."),
                 "status": field("string", "Your status (default: busy with a claim_id, else idle).", ["enum": ["idle", "busy", "offline"]]),
             ]),
             annotations: .init(destructiveHint: false, idempotentHint: true, openWorldHint: false),
             outputSchema: object(["worker": anyObject, "lease": anyObject], required: ["worker"])),
        Tool(name: "get_balance", title: "Get balance",
             description: "Your balances (micro-USDT; 1 USDT = 1000000) and recent transfers.",
             inputSchema: object(["history_limit": field("integer", "How many recent transfers (default 10).", ["minimum": 1, "maximum": 500])]),
             annotations: .init(readOnlyHint: true, openWorldHint: false),
             outputSchema: object(["accounts": ["type": "array", "items": anyObject], "history": ["type": "array", "items": anyObject]],
                                  required: ["accounts", "history"])),
        Tool(name: "post_task", title: "Post a task",
             description: "Requesters: post a task. Its escrow (reward + 5% fee + verifier rewards) is held from your funds at once.",
             inputSchema: object([
                 "task_type": field("string", "The task's type; workers claim by type."),
                 "title": field("string", "A short title."),
                 "reward_micro_usdt": field("integer", "The worker's reward in micro-USDT (1 USDT = 1000000).", ["minimum": 1]),
                 "instructions": field("string", "What to do, for the worker."),
                 "payload": field("object", "Input data for the worker (a JSON object)."),
                 "required_capabilities": ["type": "array", "items": ["type": "string"], "description": "Capabilities a worker must have."],
                 "lease_seconds": field("integer", "How long a claim lasts without heartbeats (5-86400, default 300)."),
                 "max_attempts": field("integer", "Attempts before the task fails (1-20, default 3)."),
                 "priority": field("integer", "-1000…1000, default 0; higher is claimed first."),
                 "verification": field("object", "{verifiers (0-15, default 3), quorum, spot_check_rate, verifier_reward_micro_usdt}."),
                 "idempotency_key": field("string", "Retrying with the same key and arguments returns the first task."),
             ], required: ["task_type", "title", "reward_micro_usdt"]),
             annotations: .init(destructiveHint: false, idempotentHint: false, openWorldHint: false),
             outputSchema: object(["id": ["type": "integer"], "state": ["type": "string"], "task_type": ["type": "string"]], required: ["id", "state"])),
        Tool(name: "get_task", title: "Get a task",
             description: "A task you may see, with its submissions when you posted it.",
             inputSchema: object(["task_id": field("integer", "The task's id.")], required: ["task_id"]),
             annotations: .init(readOnlyHint: true, openWorldHint: false),
             outputSchema: object(["task": anyObject, "submissions": ["type": "array", "items": anyObject]], required: ["task"])),
    ]
}
