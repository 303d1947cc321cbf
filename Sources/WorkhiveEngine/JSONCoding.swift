import WorkhiveCore

/// The one place JSON text is produced and parsed for storage.
public enum StoredJSON {
    public static func encode(_ value: JSONValue) -> String { value.jsonText }

    /// Stored JSON was written by `encode`, so it parses; anything else reads as null.
    public static func decode(_ text: String) -> JSONValue { (try? JSONValue.parse(text)) ?? .null }

    public static func encodeStrings(_ values: [String]) -> String { encode(.array(values.map(JSONValue.string))) }

    public static func decodeStrings(_ text: String) -> [String] {
        if case .array(let items) = decode(text) { return items.compactMap(\.stringValue) }
        return []
    }
}
