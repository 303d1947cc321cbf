/// One labelled form control as the `field` partial renders it: its label, current value, a hint, and
/// the message next to it when the value was refused.
struct FormField {
    let name: String
    let label: String
    let type: String
    let value: String
    let hint: String?
    let error: String?
    let required: Bool
    let autocomplete: String?
    let inputmode: String?
    let isTextarea: Bool
    /// Ids of the hint and error paragraphs, for aria-describedby.
    let describedBy: String?

    init(_ name: String, _ label: String, type: String = "text", value: String = "", hint: String? = nil, error: String? = nil,
         required: Bool = false, autocomplete: String? = nil, inputmode: String? = nil, textarea: Bool = false) {
        self.name = name
        self.label = label
        self.type = type
        self.value = value
        self.hint = hint
        self.error = error
        self.required = required
        self.autocomplete = autocomplete
        self.inputmode = inputmode
        self.isTextarea = textarea
        describedBy = Self.describedBy(name, hint: hint, error: error)
    }

    /// The aria-describedby of a control named `name`: the ids of its hint and error paragraphs, if any.
    static func describedBy(_ name: String, hint: String?, error: String?) -> String? {
        let ids = [hint == nil ? nil : "\(name)-hint", error == nil ? nil : "\(name)-error"].compactMap { $0 }
        return ids.isEmpty ? nil : ids.joined(separator: " ")
    }
}

/// Messages for refused form values, by field name.
struct FieldErrors: Error {
    private(set) var messages: [String: String] = [:]
    var isEmpty: Bool { messages.isEmpty }
    subscript(_ field: String) -> String? { messages[field] }
    /// Keeps the first message for a field: it is usually the most basic problem.
    mutating func add(_ field: String, _ message: String) {
        if messages[field] == nil { messages[field] = message }
    }
}
