import Foundation
import Testing
import WorkhiveAgent

/// Offline checks of the SDK's decoding and retry arithmetic.
struct SDKUnitTests {
    @Test("models decode the server's snake_case and tolerate left-out fields")
    func tolerantDecoding() throws {
        let json = """
            {"claim_id": 9007199254740993, "worker_id": 4, "attempt": 1, "lease_expires_at_millis": 1700000000000,
             "task": {"id": 7, "task_type": "verify", "reward_micro_usdt": 50000, "state": "claimed", "brand_new_field": true},
             "review": {"task": {"id": 6, "task_type": "ocr", "payload": {"camelKey": [1, 2.5, null]}},
                        "submission": {"id": 3, "task_id": 6, "result": {"text": "hi"}, "state": "pending"}}}
            """
        let claim = try JSONDecoder().decode(Claim.self, from: Data(json.utf8))
        #expect(claim.claimId == 9_007_199_254_740_993)
        #expect(claim.isVerification)
        #expect(claim.task.leaseSeconds == 300 && claim.task.requiredCapabilities.isEmpty)
        #expect(claim.review?.task.payload["camelKey"]?[1]?.doubleValue == 2.5)
        #expect(claim.review?.submission.result["text"]?.stringValue == "hi")
        #expect(TaskState(rawValue: "archived").isFinal == false)
    }

    @Test("event frames decode to typed events; unknown types are kept")
    func eventDecoding() {
        let event = WorkhiveEvent(frame: #"{"type":"task.available","data":{"task_id":5,"task_type":"ocr","reward_micro_usdt":10,"required_capabilities":["a"],"human_only":false}}"#)
        #expect(event == .taskAvailable(.init(taskId: 5, taskType: "ocr", rewardMicroUSDT: 10, requiredCapabilities: ["a"])))
        #expect(WorkhiveEvent(frame: #"{"type":"brand.new","data":{"x":1}}"#) == .unknown(type: "brand.new", data: ["x": 1]))
        #expect(WorkhiveEvent(frame: "not json") == nil)
    }

    @Test("error answers become WorkhiveAPIError with Retry-After; transport failures stay distinguishable")
    func errorMapping() async throws {
        struct Canned: WorkhiveTransport {
            let response: WorkhiveHTTPResponse?
            func send(_ request: WorkhiveHTTPRequest, timeout: Duration) async throws -> WorkhiveHTTPResponse {
                guard let response else { throw URLError(.networkConnectionLost) }
                return response
            }
        }
        let limited = WorkhiveHTTPResponse(status: 429, headers: [("retry-after", "2")],
                                           body: Array(#"{"error":{"code":"rate_limited","message":"too many requests"}}"#.utf8))
        let client = WorkhiveClient(baseURL: "http://example.invalid/", apiKey: "wh_1_x", transport: Canned(response: limited))
        await #expect(throws: WorkhiveAPIError(status: 429, code: "rate_limited", message: "too many requests", retryAfterSeconds: 2)) {
            try await client.me()
        }
        let down = WorkhiveClient(baseURL: "http://example.invalid", transport: Canned(response: nil))
        await #expect(throws: WorkhiveTransportError.self) { try await down.me() }
        let empty = WorkhiveClient(baseURL: "http://example.invalid", transport: Canned(response: WorkhiveHTTPResponse(status: 204)))
        #expect(try await empty.claim(taskType: "ocr") == nil)
    }

    @Test("backoff is full jitter under an exponential ceiling; 429s wait their Retry-After")
    func retryArithmetic() {
        let policy = RetryPolicy(initialDelay: .milliseconds(100), maxDelay: .seconds(1), maxAttempts: 5)
        for attempt in 1...10 {
            let ceiling = min(Duration.seconds(1), .milliseconds(100) * (1 << min(attempt - 1, 20)))
            #expect(policy.backoff(attempt: attempt) <= ceiling)
        }
        let limited = WorkhiveAPIError(status: 429, code: "rate_limited", message: "slow down", retryAfterSeconds: 3)
        let wait = policy.delay(after: limited, attempt: 1)
        #expect(wait.map { $0 >= .seconds(3) && $0 <= .milliseconds(3300) } == true)
        #expect(policy.delay(after: WorkhiveAPIError(status: 409, code: "claim_expired", message: ""), attempt: 1) == nil)
        #expect(policy.delay(after: WorkhiveTransportError(CancellationError()), attempt: 5) == nil, "out of attempts")
        #expect(policy.delay(after: WorkhiveAPIError(status: 503, code: "internal_error", message: ""), attempt: 2) != nil)
    }
}
