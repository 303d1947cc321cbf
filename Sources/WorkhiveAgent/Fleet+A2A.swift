extension Fleet {
    /// Delegates a claimed task outside the marketplace: sends its payload (and `text`, by default the
    /// title and instructions) to the external A2A agent named by `cardURL`, renews the claim's lease
    /// while that agent works, and submits its answer (`A2AAgent.Reply.result`) as the master's result.
    public func delegateToA2A(_ claim: Claim, cardURL: String, text: String? = nil, bearerToken: String? = nil,
                              timeout: Duration = .seconds(600)) async throws -> Submission {
        let agent = try await A2AAgent.resolve(cardURL, bearerToken: bearerToken)
        let prompt = text ?? [claim.task.title, claim.task.instructions].filter { !$0.isEmpty }.joined(separator: "\n\n")
        let master = master
        let reply = try await withThrowingTaskGroup(of: A2AAgent.Reply?.self) { group in
            group.addTask { try await agent.send(text: prompt, data: claim.task.payload, timeout: timeout) }
            group.addTask {
                while true {
                    try await Task.sleep(for: .seconds(max(1, claim.task.leaseSeconds / 3)))
                    try await master.renewLease(claimID: claim.claimId)
                }
            }
            defer { group.cancelAll() }
            while let next = try await group.next() {
                if let reply = next { return reply }
            }
            throw A2AError(code: nil, message: "the A2A call ended without an answer")
        }
        return try await master.submit(claimID: claim.claimId, result: reply.result)
    }
}
