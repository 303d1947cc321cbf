import Hummingbird
import WorkhiveEngine

/// The router exactly as `buildApplication` assembles it: error and auth middleware, the REST API
/// and the events WebSocket. Tests read `router.routes` from it to check that Resources/openapi.yaml
/// names every route the server serves, and no other.
func buildRouter(_ configuration: ServerConfiguration, marketplace: Marketplace) -> Router<WorkhiveRequestContext> {
    let router = Router(context: WorkhiveRequestContext.self)
    let routes = RouteTable()
    router.add(middleware: ErrorMiddleware(routes: routes))
    router.add(middleware: AuthMiddleware(
        marketplace: marketplace, limiter: RateLimiter(perSecond: configuration.rateLimitPerSecond, burst: configuration.rateLimitBurst)))
    APIRoutes(marketplace: marketplace, configuration: configuration).register(on: router)
    EventsRoute(marketplace: marketplace).register(on: router)
    routes.register(router.routes.map { (path: $0.path.description, method: $0.method.rawValue) })
    return router
}
