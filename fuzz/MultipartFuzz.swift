// libFuzzer target for the multipart/form-data parser of proof uploads (WorkhiveWeb's Multipart),
// compiled on its own with FormData.swift (see fuzz/run). The parser may refuse (FormRefused) but
// never crash, and every file part it returns must be bytes of the input.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzMultipart(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let body = Array(UnsafeBufferPointer(start: data, count: size))
    for boundary in ["XyZ", "----WebKitFormBoundary7MA4YWxkTrZu0gW", "a"] {
        guard let form = try? Multipart.parse(body, boundary: boundary) else { continue }
        for file in form.files where !file.bytes.isEmpty {
            precondition(Multipart.find(file.bytes, in: body, from: 0) != nil, "a file part that is not in the body")
        }
    }
    let contentType = String(decoding: body.prefix(80), as: UTF8.self)
    if let boundary = Multipart.boundary(from: contentType) { precondition((1...70).contains(boundary.utf8.count)) }
    return 0
}
