import Hummingbird

extension FormData {
    /// Reads the request body as `application/x-www-form-urlencoded` or `multipart/form-data`.
    static func read(_ request: Request, limit: Int) async throws -> FormData {
        var request = request
        let buffer = try await request.collectBody(upTo: limit)
        let bytes = Array(buffer: buffer)
        let contentType = request.headers[.contentType] ?? ""
        if contentType.lowercased().hasPrefix("multipart/form-data") {
            guard let boundary = Multipart.boundary(from: contentType) else { throw FormRefused("the form upload has no boundary") }
            return try Multipart.parse(bytes, boundary: boundary)
        }
        return urlEncoded(String(decoding: bytes, as: UTF8.self))
    }
}
