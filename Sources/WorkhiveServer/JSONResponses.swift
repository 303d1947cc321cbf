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
            throw WorkhiveError(.invalidJSON, describe(error))
        } catch let error as WorkhiveError {
            throw error
        } catch {
            throw WorkhiveError(.invalidJSON, "the request body is not valid JSON")
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
