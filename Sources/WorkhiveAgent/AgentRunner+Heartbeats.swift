// Lease renewal while work runs, and worker-level status heartbeats.

extension AgentRunner {
    enum ExecutionOutcome: Sendable {
        case finished(TaskResult)
        case leaseLost(any Error)
    }

    /// Runs the worker's `execute` beside a lease keeper. Whichever ends first wins: the result, or
    /// a lost lease (which cancels the execution).
    func executeKeepingLease(_ claim: Claim) async throws -> ExecutionOutcome {
        try await withThrowingTaskGroup(of: ExecutionOutcome?.self) { group in
            group.addTask { .finished(try await self.worker.execute(claim)) }
            if configuration.renewLeases {
                group.addTask { try await self.keepLeaseAlive(claim) }
            }
            defer { group.cancelAll() }
            while let next = try await group.next() {
                if let outcome = next { return outcome }
            }
            throw CancellationError()
        }
    }

    /// Renews the lease every third of what is left of it until cancelled; returns `.leaseLost` once
    /// the server says the claim is no longer held.
    ///
    /// What is left is read from `lease_expires_at_millis` against the local clock. When the clocks
    /// disagree by more than a lease, it falls back to the task's `lease_seconds` from the moment the
    /// lease was last granted, so a skewed clock neither hammers the server nor lets the lease lapse.
    func keepLeaseAlive(_ claim: Claim) async throws -> ExecutionOutcome? {
        let leaseMillis = Int64(max(1, claim.task.leaseSeconds)) * 1000
        let minimum = Int64(configuration.minimumLeaseRenewalInterval.secondsValue * 1000)
        var expiresAt = claim.leaseExpiresAtMillis
        var localDeadline = currentMillis() + leaseMillis
        while true {
            let now = currentMillis()
            let serverLeft = expiresAt - now
            let left = (serverLeft > 0 && serverLeft <= leaseMillis + 1000) ? serverLeft : localDeadline - now
            try await Task.sleep(for: .milliseconds(max(minimum, left / 3)))
            let sentAt = currentMillis()
            do {
                let lease = try await client.renewLease(claimID: claim.claimId)
                expiresAt = lease.leaseExpiresAtMillis
                localDeadline = sentAt + leaseMillis
                state.withLock { $0.counters.leaseRenewals += 1 }
            } catch let error as WorkhiveAPIError where !RetryPolicy.isRetryable(error) {
                record(error)
                return .leaseLost(error)
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                // Transient: the next attempt comes sooner, as less of the lease is left.
                record(error)
                if let api = error as? WorkhiveAPIError, api.isRateLimited, let wait = configuration.retry.delay(after: api, attempt: 1) {
                    try await Task.sleep(for: wait)
                }
                logger.debug("lease renewal failed; will retry", metadata: ["claim": "\(claim.claimId)", "error": "\(error)"])
            }
        }
    }

    /// Repeats the current status every `workerHeartbeatInterval` until cancelled.
    func workerHeartbeatLoop() async {
        while true {
            do {
                try await Task.sleep(for: configuration.workerHeartbeatInterval)
            } catch {
                return
            }
            let status = state.withLock { $0.status }
            do {
                try await worker.reportHeartbeat(status)
            } catch {
                if Task.isCancelled { return }
                record(error)
                logger.debug("worker heartbeat failed", metadata: ["error": "\(error)"])
            }
        }
    }

    /// Records a new status and reports it at once when it changed (one attempt: the periodic
    /// heartbeat repairs a lost one).
    func setStatus(_ status: WorkerStatus) async {
        let changed = state.withLock { s in
            defer { s.status = status }
            return s.status != status
        }
        guard changed else { return }
        do {
            try await worker.reportHeartbeat(status)
        } catch {
            if Task.isCancelled { return }
            record(error)
            logger.debug("status report failed", metadata: ["status": .string(status.rawValue), "error": "\(error)"])
        }
    }

    /// Reports `offline`, even when the run was cancelled, waiting at most five seconds.
    func reportOffline() async {
        state.withLock { $0.status = .offline }
        let worker = self.worker
        await Task {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { try? await worker.reportHeartbeat(.offline) }
                group.addTask { try? await Task.sleep(for: .seconds(5)) }
                await group.next()
                group.cancelAll()
            }
        }.value
    }
}
