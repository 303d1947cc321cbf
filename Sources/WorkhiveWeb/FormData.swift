import Foundation

/// A submitted form: text fields, and files for multipart forms.
struct FormData: Sendable {
    struct File: Sendable, Equatable {
        var field: String
        var filename: String
        var mediaType: String
        var bytes: [UInt8]
    }

    var fields: [String: [String]] = [:]
    var files: [File] = []

    subscript(_ name: String) -> String? { fields[name]?.first }

    /// The trimmed value, or "" when missing.
    func text(_ name: String) -> String { (self[name] ?? "").trimmingCharacters(in: .whitespacesAndNewlines) }

    static func urlEncoded(_ text: String) -> FormData {
        var form = FormData()
        for pair in text.split(separator: "&", omittingEmptySubsequences: true) {
            let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ s: Substring) -> String {
                String(s).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(s)
            }
            form.fields[decode(kv[0]), default: []].append(kv.count > 1 ? decode(kv[1]) : "")
        }
        return form
    }
}

/// A form body that cannot be read at all.
struct FormRefused: Error {
    let message: String
    init(_ message: String) { self.message = message }
}

/// `multipart/form-data` (RFC 7578), enough for browser forms: parts with a Content-Disposition
/// naming the field (and a filename for files) and an optional Content-Type.
enum Multipart {
    static func boundary(from contentType: String) -> String? {
        for parameter in contentType.split(separator: ";").dropFirst() {
            let kv = parameter.split(separator: "=", maxSplits: 1)
            guard kv.count == 2, kv[0].trimmingCharacters(in: .whitespaces).lowercased() == "boundary" else { continue }
            var value = kv[1].trimmingCharacters(in: .whitespaces)
            if value.hasPrefix("\""), value.hasSuffix("\""), value.count >= 2 { value = String(value.dropFirst().dropLast()) }
            return (1...70).contains(value.utf8.count) ? value : nil
        }
        return nil
    }

    static func parse(_ body: [UInt8], boundary: String) throws -> FormData {
        // Every delimiter is CRLF "--" boundary; the first one may start the body without the CRLF.
        let data = [13, 10] + body
        let delimiter = Array("\r\n--\(boundary)".utf8)
        var form = FormData()
        guard var cursor = find(delimiter, in: data, from: 0) else { throw FormRefused("the form upload is not multipart") }
        while true {
            var start = cursor + delimiter.count
            guard start + 2 <= data.count else { throw FormRefused("the form upload is cut short") }
            if data[start] == 45, data[start + 1] == 45 { return form }  // "--": the closing delimiter
            while start < data.count, data[start] == 32 || data[start] == 9 { start += 1 }  // transport padding
            guard start + 2 <= data.count, data[start] == 13, data[start + 1] == 10 else { throw FormRefused("malformed form upload") }
            start += 2
            guard let headerEnd = find([13, 10, 13, 10], in: data, from: start - 2),
                  let next = find(delimiter, in: data, from: headerEnd + 4) else { throw FormRefused("the form upload is cut short") }
            let headers = headerEnd < start ? "" : String(decoding: data[start..<headerEnd], as: UTF8.self)
            let content = Array(data[(headerEnd + 4)..<next])
            try add(headers: headers, content: content, to: &form)
            cursor = next
        }
    }

    private static func add(headers: String, content: [UInt8], to form: inout FormData) throws {
        var name: String?
        var filename: String?
        var mediaType = "text/plain"
        for line in headers.components(separatedBy: "\r\n") {
            let kv = line.split(separator: ":", maxSplits: 1)
            guard kv.count == 2 else { continue }
            let key = kv[0].trimmingCharacters(in: .whitespaces).lowercased()
            let value = kv[1].trimmingCharacters(in: .whitespaces)
            if key == "content-disposition" {
                name = parameter("name", in: value)
                filename = parameter("filename", in: value)
            } else if key == "content-type" {
                mediaType = value
            }
        }
        guard let name else { throw FormRefused("a part of the form upload has no field name") }
        if let filename {
            form.files.append(.init(field: name, filename: filename, mediaType: mediaType, bytes: content))
        } else {
            form.fields[name, default: []].append(String(decoding: content, as: UTF8.self))
        }
    }

    /// `key="value"` (or unquoted) from a header value such as `form-data; name="proof"; filename="a.png"`.
    static func parameter(_ key: String, in header: String) -> String? {
        for piece in header.split(separator: ";").dropFirst() {
            let kv = piece.split(separator: "=", maxSplits: 1)
            guard kv.count == 2, kv[0].trimmingCharacters(in: .whitespaces).lowercased() == key else { continue }
            var value = kv[1].trimmingCharacters(in: .whitespaces)
            if value.hasPrefix("\""), value.hasSuffix("\""), value.count >= 2 {
                value = String(value.dropFirst().dropLast()).replacingOccurrences(of: "\\\"", with: "\"")
            }
            return value
        }
        return nil
    }

    /// The first index of `needle` in `haystack` at or after `from`: memchr to the next candidate
    /// first byte, memcmp to confirm (uploads run to MiBs, and this stays fast in debug builds).
    static func find(_ needle: [UInt8], in haystack: [UInt8], from: Int) -> Int? {
        guard from >= 0, !needle.isEmpty, haystack.count - from >= needle.count else { return nil }
        return haystack.withUnsafeBytes { hay -> Int? in
            needle.withUnsafeBytes { pin -> Int? in
                guard let base = hay.baseAddress, let pinBase = pin.baseAddress else { return nil }
                var i = from
                let last = hay.count - pin.count
                while i <= last {
                    guard let hit = memchr(base + i, Int32(needle[0]), last - i + 1) else { return nil }
                    let at = base.distance(to: UnsafeRawPointer(hit))
                    if memcmp(base + at, pinBase, pin.count) == 0 { return at }
                    i = at + 1
                }
                return nil
            }
        }
    }
}
