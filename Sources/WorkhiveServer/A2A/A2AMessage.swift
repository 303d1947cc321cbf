import NIOCore
import WorkhiveCore
import WorkhiveEngine

/// Turns an A2A `SendMessageRequest` into the body of `POST /v1/tasks`, so the task is checked by the
/// same decoder and the same engine operation as a REST post.
///
/// - text parts: the title (first line, at most 120 characters) and the instructions (all text);
/// - data parts: merged into the task's `payload` (a non-object value goes under `payload.data`);
/// - url parts: listed under `payload.files` as `{url, media_type, filename}`;
/// - metadata (the request's, then the message's, which wins): any field of a REST post —
///   `task_type` (or `skill`), `reward_micro_usdt`, `verification`, `required_capabilities`, ... —
///   and `title`/`instructions`/`payload` to set those outright.
struct A2AMessage {
    var messageID: String
    var body: JSONValue

    init(params: JSONValue, defaultTaskType: String) throws(A2AError) {
        guard case .object = params, case .object(let message)? = params["message"] else {
            throw .invalidParams("params.message is required")
        }
        guard let id = message["messageId"]?.stringValue, !id.isEmpty else { throw .invalidParams("message.messageId is required") }
        if let taskID = message["taskId"]?.stringValue, !taskID.isEmpty {
            throw .unsupported("a Workhive task takes no follow-up messages; send a new message to post a new task")
        }
        guard case .array(let parts)? = message["parts"], !parts.isEmpty else { throw .invalidParams("message.parts must not be empty") }
        messageID = id

        var texts: [String] = [], payload: [String: JSONValue] = [:], files: [JSONValue] = []
        for part in parts {
            if let text = part["text"]?.stringValue {
                texts.append(text)
            } else if let data = part["data"] {
                if case .object(let members) = data { payload.merge(members) { _, new in new } }
                else { payload["data"] = data }
            } else if let url = part["url"]?.stringValue {
                var file: [String: JSONValue] = ["url": .string(url)]
                if let media = part["mediaType"]?.stringValue { file["media_type"] = .string(media) }
                if let name = part["filename"]?.stringValue { file["filename"] = .string(name) }
                files.append(.object(file))
            } else if part["raw"] != nil {
                throw .contentTypeNotSupported("raw file bytes are not accepted: upload the file with POST /v1/blobs and send a url part")
            } else {
                throw .invalidParams("a message part must have text, data or url")
            }
        }
        if !files.isEmpty { payload["files"] = .array(files) }

        let text = texts.joined(separator: "\n\n")
        let firstLine = text.split(whereSeparator: \.isNewline).first.map(String.init) ?? ""
        var fields: [String: JSONValue] = [
            "task_type": .string(defaultTaskType),
            "title": .string(firstLine.isEmpty ? "Task from an A2A message" : String(firstLine.prefix(120))),
            "instructions": .string(text), "payload": .object(payload),
        ]
        for metadata in [params["metadata"], message["metadata"]] {
            guard case .object(let members)? = metadata else { continue }
            for (key, value) in members { fields[key == "skill" ? "task_type" : key] = value }
        }
        guard fields["reward_micro_usdt"] != nil else {
            throw .invalidParams("set the task's reward in message.metadata.reward_micro_usdt (integer micro-USDT, 1 USDT = 1000000)")
        }
        body = Self.wholeNumbersAsIntegers(.object(fields))
    }

    /// Proto-JSON carries metadata and data parts as `google.protobuf.Struct`/`Value`, where every
    /// number is a double: 1000000 arrives as 1000000.0. Whole numbers become integers again, so
    /// integer fields such as `reward_micro_usdt` decode and payloads keep their integers.
    static func wholeNumbersAsIntegers(_ value: JSONValue) -> JSONValue {
        switch value {
        case .double(let d) where d.rounded() == d && abs(d) < 0x1p53: .int(Int64(d))
        case .array(let items): .array(items.map(wholeNumbersAsIntegers))
        case .object(let members): .object(members.mapValues(wholeNumbersAsIntegers))
        default: value
        }
    }

    /// The REST post this message stands for, validated as `POST /v1/tasks` validates it.
    func postRequest() throws -> PostTaskRequest {
        try JSONBody.decode(PostTaskRequest.self, from: ByteBuffer(string: body.jsonText))
    }

    /// Retries of the same message (same id and content) post one task: the idempotency key of the post.
    var idempotencyKey: String { "a2a:" + String(messageID.prefix(180)) }
    var requestHash: String { sha256Hex(body.jsonText) }
}
