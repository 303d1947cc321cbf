import Foundation
import Hummingbird
import CoreMetrics
import Prometheus
import WorkhiveCore
import WorkhiveEngine

/// The server's metrics: swift-metrics counters and timers recorded into a Prometheus registry of its
/// own (no process-wide bootstrap, so every application, and every test, has its own), plus the
/// gauges read from the database at scrape time. `GET /metrics` serves both as Prometheus text.
public final class ServerMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    private let factory: PrometheusMetricsFactory

    public init() {
        let registry = PrometheusCollectorRegistry()
        self.registry = registry
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = [.milliseconds(1), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
                                                   .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(5), .seconds(30)]
        self.factory = factory
    }

    /// One answered HTTP request: `route` is the router's path template (`/v1/tasks/{id}`), not the concrete path.
    func request(method: String, route: String, status: Int, duration: Duration) {
        let labels = [("method", method), ("route", route), ("status", String(status))]
        CoreMetrics.Counter(label: "workhive_http_requests_total", dimensions: labels, factory: factory).increment()
        CoreMetrics.Timer(label: "workhive_http_request_duration_seconds", dimensions: labels, factory: factory)
            .recordNanoseconds(duration.components.seconds * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000)
    }

    /// A claim handed out (`kind`: work or verify).
    func claimed(verification: Bool) {
        CoreMetrics.Counter(label: "workhive_claims_total", dimensions: [("kind", verification ? "verify" : "work")], factory: factory).increment()
    }

    /// What one pass of the lease rescuer did.
    func rescued(_ report: RescueReport) {
        let expired = report.reopened + report.failed
        if expired > 0 { CoreMetrics.Counter(label: "workhive_lease_expiries_total", factory: factory).increment(by: expired) }
        for (outcome, n) in [("reopened", report.reopened), ("failed", report.failed), ("cancelled_slot", report.cancelledSlots),
                             ("past_deadline", report.pastDeadline)] where n > 0 {
            CoreMetrics.Counter(label: "workhive_rescues_total", dimensions: [("outcome", outcome)], factory: factory).increment(by: n)
        }
    }

    /// The registry's metrics followed by the database gauges, in Prometheus text format 0.0.4.
    func render(_ marketplace: Marketplace) async throws -> String {
        var text = registry.emitToString()
        let g = try await marketplace.operationalGauges()
        Self.gauge(&text, "workhive_tasks", "Tasks by task type and state (queue depth: state=open).", ["task_type", "state"], g.tasks)
        Self.gauge(&text, "workhive_submissions", "Submissions by outcome (approved, rejected) or pending.", ["outcome"], g.submissions)
        Self.gauge(&text, "workhive_votes", "Verification votes by verdict.", ["verdict"], g.votes)
        Self.gauge(&text, "workhive_ledger_balance_micro_usdt", "Posted balance summed per account kind.", ["kind"], g.ledgerBalances)
        Self.gauge(&text, "workhive_payouts", "Payouts by network and state.", ["network", "state"], g.payouts)
        Self.gauge(&text, "workhive_payouts_micro_usdt", "Payout amounts by network and state.", ["network", "state"], g.payoutAmounts)
        return text
    }

    static func gauge(_ text: inout String, _ name: String, _ help: String, _ labels: [String], _ samples: [GaugeSample]) {
        text += "# HELP \(name) \(help)\n# TYPE \(name) gauge\n"
        for s in samples {
            let pairs = zip(labels, s.labels).map { "\($0)=\"\(escape($1))\"" }.joined(separator: ",")
            text += "\(name){\(pairs)} \(s.value)\n"
        }
    }

    /// A label value as the text format wants it: backslash, double quote and newline escaped.
    static func escape(_ value: String) -> String {
        value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"").replacingOccurrences(of: "\n", with: "\\n")
    }
}

/// Records every request's route, status and latency (outermost, so errors are counted with the
/// status they were answered with).
struct MetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: ServerMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        let response = try await next(request, context)
        metrics.request(method: request.method.rawValue, route: Self.route(context.endpointPath),
                        status: Int(response.status.code), duration: ContinuousClock.now - start)
        return response
    }

    /// `/v1/tasks/:id` → `/v1/tasks/{id}`, as openapi.yaml spells it; unmatched paths are one label.
    static func route(_ path: String?) -> String {
        guard let path, path != "NotFound" else { return "unmatched" }
        return "/" + path.split(separator: "/").map { $0.hasPrefix(":") ? "{\($0.dropFirst())}" : String($0) }.joined(separator: "/")
    }
}
