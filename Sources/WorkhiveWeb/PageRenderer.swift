import Foundation
import HTTPTypes
import Hummingbird
import Mustache

/// The Mustache templates in Resources/Templates, loaded once. Pages extend `layout` and fill its
/// `main` block; partials such as `field` render one labelled form control.
struct PageRenderer: Sendable {
    let library: MustacheLibrary

    static let shared: PageRenderer = {
        do { return try PageRenderer(directory: templateDirectory) } catch {
            // A template that does not parse is a build defect; the renderer test names it.
            fatalError("web templates do not load: \(error)")
        }
    }()

    static var templateDirectory: String {
        (Bundle.module.resourceURL ?? Bundle.module.bundleURL).appendingPathComponent("Templates").path
    }

    init(directory: String) throws {
        var library = MustacheLibrary()
        let names = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".mustache") }
        for file in names.sorted() {
            let text = try String(contentsOfFile: directory + "/" + file, encoding: .utf8)
            do {
                try library.register(text, named: String(file.dropLast(".mustache".count)))
            } catch {
                throw TemplateProblem(message: "\(file): \(error)")
            }
        }
        self.library = library
    }

    /// The page as HTML, in the layout with the navigation for `user`.
    func page<Content>(_ template: String, title: String, user: WebUser?, csrf: String? = nil, notice: String? = nil,
                       alert: String? = nil, status: HTTPResponse.Status = .ok, accountLinks: Bool = true, _ content: Content) throws -> Response {
        let context = PageContext(title: title, csrf: csrf ?? user?.csrf ?? "", nav: user.map(Navigation.init),
                                  accountLinks: user == nil && accountLinks, notice: notice, alert: alert, page: content)
        guard let html = library.render(context, withTemplate: template) else {
            throw TemplateProblem(message: "no template named \(template)")
        }
        return Response(status: status, headers: htmlHeaders, body: .init(byteBuffer: ByteBuffer(string: html)))
    }
}

struct TemplateProblem: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}

/// What the layout reads; `page` is the page's own model.
struct PageContext<Content> {
    let title: String
    let csrf: String
    let nav: Navigation?
    /// Log in and sign up links, for visitors (error pages do not know who is asking, so show neither).
    let accountLinks: Bool
    let notice: String?
    let alert: String?
    let page: Content
}

/// The signed-in user's links.
struct Navigation {
    let name: String
    let isWorker: Bool
    let isAdmin: Bool
    let suspended: Bool

    init(_ user: WebUser) {
        name = user.name
        isWorker = user.hasWorker
        isAdmin = user.isAdmin
        suspended = user.session.worker?.suspended ?? false
    }
}

/// Headers of every page: no caching of personal pages, and a content security policy that allows
/// only this server's scripts and styles (images may come from the web: task payloads link them).
let htmlHeaders: HTTPFields = [
    .contentType: "text/html; charset=utf-8",
    .cacheControl: "no-store",
    .contentSecurityPolicy: "default-src 'self'; img-src 'self' data: https: http:; script-src 'self'; style-src 'self'; "
        + "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'",
    .xContentTypeOptions: "nosniff",
    .referrerPolicy: "same-origin",
]

extension HTTPField.Name {
    static let xContentTypeOptions = Self("X-Content-Type-Options")!
    static let referrerPolicy = Self("Referrer-Policy")!
}
