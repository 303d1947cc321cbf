import AsyncHTTPClient
import Foundation
import NIOCore

/// An error object a node answered a JSON-RPC call with.
public struct JSONRPCError: Error, Hashable, Sendable, CustomStringConvertible {
    public let code: Int
    public let message: String
    public var description: String { "\(message) (\(code))" }
}

/// Standard Ethereum JSON-RPC over HTTP POST. What went wrong on the way is a `SettlementError`
/// (`.timeout` when the node did not answer in time, `.unavailable` when it could not be reached or did
/// not answer JSON-RPC); an error object the node answered is handed back for the caller to read, since
/// what it means depends on the method ("nonce too low" to a broadcast means "look the hash up").
struct EVMJSONRPC: Sendable {
    enum Failure: Error {
        case transport(SettlementError)
        case node(JSONRPCError)
    }

    let url: String
    let timeout: Duration
    let client: HTTPClient

    /// The `result` of the call (nil for JSON null).
    func call(_ method: String, _ params: [Any]) async throws(Failure) -> Any? {
        let body: Data
        do {
            body = try JSONSerialization.data(withJSONObject: ["jsonrpc": "2.0", "id": 1, "method": method, "params": params])
        } catch {
            throw .transport(.unavailable("\(method): parameters are not JSON: \(error)"))
        }
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(bytes: body))
        let answer: Data
        do {
            let response = try await client.execute(request, timeout: .nanoseconds(timeout.nanoseconds))
            let bytes = try await response.body.collect(upTo: 16 << 20)
            guard response.status == .ok else {
                throw Failure.transport(.unavailable("\(method): HTTP \(response.status.code) from the node"))
            }
            answer = Data(bytes.readableBytesView)
        } catch let failure as Failure {
            throw failure
        } catch let error as HTTPClientError where [.deadlineExceeded, .readTimeout, .connectTimeout].contains(error) {
            throw .transport(.timeout)
        } catch {
            throw .transport(.unavailable("\(method): \(error)"))
        }
        guard let object = (try? JSONSerialization.jsonObject(with: answer)) as? [String: Any] else {
            throw .transport(.unavailable("\(method): the node's answer is not a JSON-RPC object"))
        }
        if let error = object["error"] as? [String: Any] {
            throw .node(JSONRPCError(code: (error["code"] as? Int) ?? 0, message: (error["message"] as? String) ?? "\(error)"))
        }
        guard object.keys.contains("result") else {
            throw .transport(.unavailable("\(method): the node's answer has neither result nor error"))
        }
        return object["result"] is NSNull ? nil : object["result"]
    }

    /// A call whose node errors are not expected: they too mean "try again later".
    func plainCall(_ method: String, _ params: [Any]) async throws(SettlementError) -> Any? {
        do { return try await call(method, params) } catch {
            switch error {
            case .transport(let e): throw e
            case .node(let e): throw .unavailable("\(method): \(e)")
            }
        }
    }

    /// A hex quantity result ("0x1a"), as a UInt256.
    func quantity(_ method: String, _ params: [Any]) async throws(SettlementError) -> UInt256 {
        let result = try await plainCall(method, params)
        guard let value = EVMQuantity.parse(result) else { throw .unavailable("\(method): \(String(describing: result)) is not a quantity") }
        return value
    }
}

/// JSON-RPC's quantities: "0x" and hex digits without leading zeros ("0x0" for zero).
enum EVMQuantity {
    static func parse(_ value: Any?) -> UInt256? {
        guard let string = value as? String, string.hasPrefix("0x"), string.count > 2, string.count <= 66 else { return nil }
        let digits = string.dropFirst(2)
        guard let bytes = Hex.decode(digits.count % 2 == 0 ? String(digits) : "0" + digits) else { return nil }
        return UInt256(bigEndian: bytes)
    }

    static func parse64(_ value: Any?) -> UInt64? { parse(value)?.uint64 }
}

extension Duration {
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
