import Foundation
import Hummingbird

/// The stylesheet, script and logo in Resources/Static, read once and served with long caching.
/// Only files that exist there are served: the name is looked up, never joined into a path.
enum StaticAssets {
    struct Asset: Sendable {
        let bytes: [UInt8]
        let mediaType: String
    }

    static let assets: [String: Asset] = {
        let directory = (Bundle.module.resourceURL ?? Bundle.module.bundleURL).appendingPathComponent("Static").path
        let types = ["css": "text/css; charset=utf-8", "js": "text/javascript; charset=utf-8", "svg": "image/svg+xml", "png": "image/png"]
        var assets: [String: Asset] = [:]
        for name in (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [] {
            guard let type = types[(name as NSString).pathExtension], let data = FileManager.default.contents(atPath: directory + "/" + name) else { continue }
            assets[name] = Asset(bytes: Array(data), mediaType: type)
        }
        return assets
    }()

    @Sendable static func serve(_ call: WebCall) async throws -> Response {
        guard let name = call.parameters.get("file"), let asset = assets[name] else { throw HTTPError(.notFound) }
        return Response(status: .ok, headers: [.contentType: asset.mediaType, .cacheControl: "public, max-age=3600", .xContentTypeOptions: "nosniff"],
                        body: .init(byteBuffer: ByteBuffer(bytes: asset.bytes)))
    }
}
