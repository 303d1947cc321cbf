import Foundation
import Hummingbird
import NIOCore
import WorkhiveCore

/// JSON in and out: snake_case keys, clear messages for bodies that do not decode.
enum JSONBody {
    static func encoder() -> JSONEncoder {
        let e = JSONEncoder()
        e.keyEncodingStrategy = .convertToSnakeCase
        e.outputFormatting = [.withoutEscapingSlashes]
        return e
    }

    static func response<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok) throws -> Response {
        let data = try encoder().encode(value)
        return Response(
            status: status, headers: [.contentType: "application/json; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// Reads at most `limit` bytes of body and decodes it, turning decoder errors into
    /// `invalid_json` errors that name the field.
    static func decode<T: Decodable>(_ type: T.Type, from request: Request, limit: Int = 1 << 20) async throws -> T {
        var request = request
        return try decode(type, from: try await request.collectBody(upTo: limit))
    }

    static func decode<T: Decodable>(_ type: T.Type, from buffer: ByteBuffer) throws -> T {
        guard buffer.readableBytes > 0 else { throw WorkhiveError(.invalidJSON, "the request body must be a JSON object") }
        do {
            return try JSONDecoder().decode(T.self, from: Data(buffer: buffer))
        } catch let error as DecodingError {
            if case .dataCorrupted(let ctx) = error, ctx.codingPath.isEmpty, let parsed = try? JSONValue.parse(String(buffer: buffer)) {
                // Valid JSON that the decoder still refused as a whole: on Linux, Foundation reports a
                // number that does not fit its integer field (1.5, or beyond 64 bits) this way.
                let suspects = inexactNumbers(in: parsed)
                throw WorkhiveError(.invalidJSON, "a number does not fit its field (integers must be whole and fit in 64 bits)"
                    + (suspects.isEmpty ? "" : ": check \(suspects.prefix(5).map { "'\($0)'" }.joined(separator: ", "))"))
            }
            throw WorkhiveError(.invalidJSON, describe(error))
        } catch let error as WorkhiveError {
            throw error
        } catch {
            throw WorkhiveError(.invalidJSON, "the request body is not valid JSON")
        }
    }

    /// Paths of the numbers in `value` that no integer field could take (fractional or beyond 64 bits).
    static func inexactNumbers(in value: JSONValue, at path: String = "") -> [String] {
        switch value {
        case .double(let d) where d.rounded() != d || abs(d) >= 0x1p63: [path]
        case .object(let members):
            members.keys.sorted().flatMap { inexactNumbers(in: members[$0]!, at: path.isEmpty ? $0 : "\(path).\($0)") }
        case .array(let items): items.indices.flatMap { inexactNumbers(in: items[$0], at: "\(path)[\($0)]") }
        default: []
        }
    }

    static func describe(_ error: DecodingError) -> String {
        func path(_ keys: [any CodingKey]) -> String {
            let p = keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
            return p.isEmpty ? "body" : "'\(p.replacingOccurrences(of: ".[", with: "["))'"
        }
        switch error {
        case .keyNotFound(let key, let ctx):
            return "missing required field \(path(ctx.codingPath + [key]))"
        case .typeMismatch(let type, let ctx):
            return "field \(path(ctx.codingPath)) must be \(describe(type))"
        case .valueNotFound(let type, let ctx):
            return "field \(path(ctx.codingPath)) must be \(describe(type)), not null"
        case .dataCorrupted(let ctx):
            if ctx.codingPath.isEmpty { return "the request body is not valid JSON" }
            return "field \(path(ctx.codingPath)) has an invalid value"
        @unknown default:
            return "the request body does not match the expected shape"
        }
    }

    private static func describe(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Int.Type, is Int64.Type: "an integer"
        case is Double.Type: "a number"
        case is Bool.Type: "true or false"
        case is [String].Type: "an array of strings"
        default: type is any Collection.Type ? "an array" : "an object"
        }
    }
}

/// An empty 204 answer (a claim that found no work).
func noContent() -> Response { Response(status: .noContent) }
