import Foundation

/// The API description served at /openapi.yaml, bundled from Resources/openapi.yaml. Tests check
/// that it names exactly the routes the router serves and that responses match its schemas.
public enum OpenAPIDocument {
    public static let text: String = {
        guard let url = Bundle.module.url(forResource: "openapi", withExtension: "yaml"),
              let text = try? String(contentsOf: url, encoding: .utf8) else { return "openapi: 3.1.0\n" }
        return text
    }()
}
