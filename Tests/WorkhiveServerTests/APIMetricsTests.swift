import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import Testing
import WorkhiveCore
@testable import WorkhiveServer

/// GET /metrics: Prometheus text with HTTP, queue, claim, rescue, verdict, ledger and payout series,
/// for admin keys only.
@Suite("API: metrics", .timeLimit(.minutes(5)))  // a bound for a hang; a busy 2-core CI box took over a minute
struct APIMetricsTests {
    /// The value of the sample `name{labels}` (labels as the text has them), if present.
    static func sample(_ text: String, _ series: String) -> Double? {
        text.split(separator: "\n").first { $0.hasPrefix(series + " ") }.flatMap { Double($0.split(separator: " ").last ?? "") }
    }

    @Test("after a small marketplace has run, every series family is there with the right numbers")
    func series() async throws {
        try await withAPI(.live, configure: { $0.rescueInterval = .milliseconds(20) }) { api in
            let world = try await AuthorizationWorld.build(api)
            // A lease that runs out, for the rescuer to return.
            try await api.postTask(world.owner, taskType: "slow", extra: ["lease_seconds": .int(5)])
            let slow = try await api.soloWorker("slow")
            #expect(try await api.claim(slow, "slow").status == 201)
            api.clock.advance(seconds: 10)
            var text = ""
            try await waitUntil("the rescuer to count the expired lease") {
                text = try await api.send(.get, "/metrics", key: world.admin.key).text
                return Self.sample(text, "workhive_lease_expiries_total") == 1
            }
            #expect(Self.sample(text, #"workhive_rescues_total{outcome="reopened"}"#) == 1)
            #expect(Self.sample(text, #"workhive_http_requests_total{method="POST",route="/v1/tasks",status="201"}"#) == 5)
            #expect(Self.sample(text, #"workhive_http_requests_total{method="GET",route="/v1/tasks/{id}",status="200"}"#) == nil)
            #expect(Self.sample(text, #"workhive_http_request_duration_seconds_count{method="POST",route="/v1/claims",status="201"}"#) == 6)
            #expect(text.contains(#"workhive_http_request_duration_seconds_bucket{method="POST",route="/v1/claims",status="201",le="0.005"}"#))
            #expect(Self.sample(text, #"workhive_claims_total{kind="work"}"#) == 5)
            #expect(Self.sample(text, #"workhive_claims_total{kind="verify"}"#) == 1)
            #expect(Self.sample(text, #"workhive_tasks{task_type="slow",state="open"}"#) == 1)
            #expect(Self.sample(text, #"workhive_tasks{task_type="social.like",state="claimed"}"#) == 1)
            #expect(Self.sample(text, #"workhive_submissions{outcome="approved"}"#) == 1)
            #expect(Self.sample(text, #"workhive_submissions{outcome="pending"}"#) == 1)
            #expect(Self.sample(text, #"workhive_payouts{network="bep20",state="queued"}"#) == 1)
            #expect(Self.sample(text, #"workhive_payouts_micro_usdt{network="bep20",state="queued"}"#) == 8_000_000)
            #expect(Self.sample(text, #"workhive_ledger_balance_micro_usdt{kind="deposits"}"#) == -200_000_000)
            #expect(text.contains("# TYPE workhive_http_request_duration_seconds histogram"))
            // Unknown paths are one label, not one series each.
            _ = try await api.send(.get, "/nowhere/\(UUID().uuidString)", documented: false)
            text = try await api.send(.get, "/metrics", key: world.admin.key).text
            #expect(Self.sample(text, #"workhive_http_requests_total{method="GET",route="unmatched",status="404"}"#) == 1)
        }
    }

    @Test("a local scrape needs no key; a forwarded one, a remote one or a server set to refuse it does")
    func loopbackScrape() async throws {
        try await withAPI(.live) { api in
            let local = try await api.send(.get, "/metrics")
            #expect(local.status == 200 && local.text.contains("# TYPE workhive_tasks gauge"), "\(local.status) \(local.text.prefix(200))")
            var blank = HTTPFields()
            blank[.authorization] = "Bearer "
            #expect(try await api.send(.get, "/metrics", headers: blank).status == 200)
            let worker = try await api.soloWorker("social.like")
            api.expectError(try await api.send(.get, "/metrics", key: worker.key), 403, "forbidden")
            for header in ["X-Forwarded-For", "Forwarded"] {
                var proxied = HTTPFields()
                proxied[HTTPField.Name(header)!] = "203.0.113.7"
                api.expectError(try await api.send(.get, "/metrics", headers: proxied), 401, "unauthenticated")
            }
        }
        try await withAPI(.live, configure: { $0.metricsOpenToLoopback = false }) { api in
            api.expectError(try await api.send(.get, "/metrics"), 401, "unauthenticated")
        }
        // The rule itself: loopback peers in both families, nobody else.
        let request = Request(head: .init(method: .get, scheme: "http", authority: "x", path: "/metrics"), body: .init(buffer: .init()))
        for (ip, open) in [("127.0.0.1", true), ("127.8.9.1", true), ("::1", true), ("10.0.0.1", false), ("2001:db8::1", false)] {
            #expect(APIRoutes.isLocalScrape(request, from: try SocketAddress(ipAddress: ip, port: 1)) == open, "\(ip)")
        }
        #expect(!APIRoutes.isLocalScrape(request, from: nil))
    }

    @Test("label values are escaped as the text format wants")
    func escaping() {
        var text = ""
        ServerMetrics.gauge(&text, "g", "help", ["a"], [.init(labels: ["x\"y\\z\nw"], value: 3)])
        #expect(text == "# HELP g help\n# TYPE g gauge\ng{a=\"x\\\"y\\\\z\\nw\"} 3\n")
        #expect(MetricsMiddleware<WorkhiveRequestContext>.route("/v1/delegations/:id/sub-tasks/:slot/retry") == "/v1/delegations/{id}/sub-tasks/{slot}/retry")
        #expect(MetricsMiddleware<WorkhiveRequestContext>.route(nil) == "unmatched")
    }
}
