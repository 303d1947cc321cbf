import Foundation
import WorkhiveCore

/// The one place JSON text is produced and parsed for storage.
public enum StoredJSON {
    public static func encode(_ value: JSONValue) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: (try? encoder.encode(value)) ?? Data("null".utf8), as: UTF8.self)
    }

    public static func decode(_ text: String) -> JSONValue {
        (try? JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))) ?? .null
    }

    public static func encodeStrings(_ values: [String]) -> String { encode(.array(values.map(JSONValue.string))) }

    public static func decodeStrings(_ text: String) -> [String] {
        if case .array(let items) = decode(text) { return items.compactMap(\.stringValue) }
        return []
    }
}
