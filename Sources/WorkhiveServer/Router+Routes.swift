import Hummingbird
import WorkhiveEngine
import WorkhiveWeb

/// The router exactly as `buildApplication` assembles it: error and auth middleware, the REST API,
/// the events WebSocket and the web app's pages. Tests read `router.routes` from it to check that
/// Resources/openapi.yaml names every API route the server serves, and no other.
func buildRouter(_ configuration: ServerConfiguration, marketplace: Marketplace) -> Router<WorkhiveRequestContext> {
    let router = Router(context: WorkhiveRequestContext.self)
    let routes = RouteTable()
    router.add(middleware: MetricsMiddleware(metrics: configuration.metrics))
    router.add(middleware: RequestLogMiddleware())
    router.add(middleware: ErrorMiddleware(routes: routes))
    router.add(middleware: AuthMiddleware(
        marketplace: marketplace, limiter: RateLimiter(perSecond: configuration.rateLimitPerSecond, burst: configuration.rateLimitBurst)))
    let longPolls = ConnectionQuota("long-polling claims", perKey: configuration.maxLongPollsPerKey, total: configuration.maxLongPolls)
    APIRoutes(marketplace: marketplace, configuration: configuration, longPolls: longPolls).register(on: router)
    FleetRoutes(marketplace: marketplace).register(on: router)
    let streams = ConnectionQuota("event streams (WebSockets and A2A SSE)", perKey: configuration.maxEventStreamsPerKey, total: configuration.maxEventStreams)
    EventsRoute(marketplace: marketplace, streams: streams).register(on: router)
    A2ARoutes(marketplace: marketplace, configuration: configuration.a2a, streams: streams).register(on: router)
    var web = configuration.web
    web.allowSignup = web.allowSignup && configuration.allowSignup
    WebApp(marketplace: marketplace, configuration: web).register(on: router)
    routes.register(router.routes.map { (path: $0.path.description, method: $0.method.rawValue) })
    return router
}
