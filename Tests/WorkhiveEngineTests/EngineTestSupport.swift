import Foundation
import Testing
import WorkhiveCore
@testable import WorkhiveEngine

/// Shorthands over the harness. Every one that writes goes through `checked`, so the ledger audit
/// runs after it; `expectError` audits too, so a refused operation is shown to have written nothing
/// that breaks the ledger.
extension EngineHarness {
    /// Expects `op` to fail with a `WorkhiveError` of `code`, then runs the ledger audit.
    @discardableResult
    func expectError<T>(_ code: ErrorCode, sourceLocation: SourceLocation = #_sourceLocation,
                        _ op: () async throws -> T) async throws -> WorkhiveError? {
        var caught: WorkhiveError?
        do {
            let value = try await op()
            Issue.record("expected \(code.rawValue), but the operation succeeded with \(value)", sourceLocation: sourceLocation)
        } catch let error as WorkhiveError {
            #expect(error.code == code, "expected \(code.rawValue), got \(error)", sourceLocation: sourceLocation)
            caught = error
        } catch {
            Issue.record("expected WorkhiveError \(code.rawValue), got \(error)", sourceLocation: sourceLocation)
        }
        try await assertLedger(sourceLocation: sourceLocation)
        return caught
    }

    /// One integer from a read-only query.
    func scalar(_ sql: String, _ binds: any SQLBindable...) async throws -> Int64 {
        let values = binds.map(\.sqlValue)
        return try await market.database.read { tx in try await tx.queryOne(sql, values)?.int(0) ?? 0 }
    }

    func text(_ sql: String, _ binds: any SQLBindable...) async throws -> String? {
        let values = binds.map(\.sqlValue)
        return try await market.database.read { tx in try await tx.queryOne(sql, values)?.optionalText(0) }
    }

    /// Row counts that a refused operation must leave unchanged.
    struct Footprint: Equatable {
        var tasks, accounts, transfers, submissions, votes, blobs: Int64
    }

    func footprint() async throws -> Footprint {
        Footprint(
            tasks: try await scalar("SELECT COUNT(*) FROM tasks"), accounts: try await scalar("SELECT COUNT(*) FROM accounts"),
            transfers: try await scalar("SELECT COUNT(*) FROM transfers"), submissions: try await scalar("SELECT COUNT(*) FROM submissions"),
            votes: try await scalar("SELECT COUNT(*) FROM votes"), blobs: try await scalar("SELECT COUNT(*) FROM blobs"))
    }

    /// An owner with no funds (optionally an admin), created under the audit.
    func owner(_ name: String, admin: Bool = false) async throws -> Principal {
        let creds = try await checked { try await market.createOwner(name: name, admin: admin) }
        return try await market.authenticate(apiKey: creds.apiKey)
    }

    func admin() async throws -> Principal { try await owner("admin", admin: true) }

    func post(_ requester: Principal, _ spec: TaskSpec, sourceLocation: SourceLocation = #_sourceLocation) async throws -> TaskView {
        try await checked(sourceLocation: sourceLocation) { try await market.postTask(requester, spec) }
    }

    func claim(_ worker: Principal, _ taskType: String = "social.like", sourceLocation: SourceLocation = #_sourceLocation) async throws -> ClaimView? {
        try await checked(sourceLocation: sourceLocation) { try await market.claim(worker, taskType: taskType) }
    }

    func submit(_ worker: Principal, _ claim: ClaimView, result: JSONValue = .object(["liked": .bool(true)]), proofs: [String] = [],
                sourceLocation: SourceLocation = #_sourceLocation) async throws -> SubmissionView {
        try await checked(sourceLocation: sourceLocation) {
            try await market.submit(worker, claim: claim.claimId, result: result, proofs: proofs)
        }
    }

    @discardableResult
    func vote(_ verifier: Principal, _ slot: ClaimView, _ verdict: Verdict, _ reason: String = "",
              sourceLocation: SourceLocation = #_sourceLocation) async throws -> VoteView {
        try await checked(sourceLocation: sourceLocation) {
            try await market.vote(verifier, claim: slot.claimId, verdict: verdict, reason: reason)
        }
    }

    @discardableResult
    func rescue(sourceLocation: SourceLocation = #_sourceLocation) async throws -> RescueReport {
        try await checked(sourceLocation: sourceLocation) { try await market.rescue() }
    }

    func state(_ task: TaskID) async throws -> TaskState {
        TaskState(rawValue: try await text("SELECT state FROM tasks WHERE id = ?", task) ?? "") ?? .open
    }

    func escrowOpen(_ task: TaskID) async throws -> Bool {
        try await scalar("SELECT escrow_open FROM tasks WHERE id = ?", task) != 0
    }

    /// Posted balance of an escrow account plus what it still holds pending: zero once closed.
    func escrowHeld(_ task: TaskID) async throws -> Int64 {
        try await scalar("""
            SELECT a.credits_pending + a.credits_posted - a.debits_posted FROM accounts a
            JOIN tasks t ON t.escrow_account_id = a.id WHERE t.id = ?
            """, task)
    }

    func platformFees() async throws -> Int64 { try await market.ledgerTotals().platformFeesMicroUSDT }

    /// Posts one task, claims and submits it; returns the claim and the submission.
    func submitted(_ requester: Principal, _ worker: Principal, _ spec: TaskSpec,
                   sourceLocation: SourceLocation = #_sourceLocation) async throws -> (TaskView, ClaimView, SubmissionView) {
        let task = try await post(requester, spec, sourceLocation: sourceLocation)
        let claim = try #require(try await self.claim(worker, spec.taskType, sourceLocation: sourceLocation), sourceLocation: sourceLocation)
        #expect(claim.task.id == task.id, sourceLocation: sourceLocation)
        let submission = try await submit(worker, claim, sourceLocation: sourceLocation)
        return (task, claim, submission)
    }
}

/// Expects a synchronous throwing expression (spec validation) to fail with `code`.
func expectSpecError(_ code: ErrorCode, sourceLocation: SourceLocation = #_sourceLocation, _ op: () throws -> TaskSpec) {
    do {
        let spec = try op()
        Issue.record("expected \(code.rawValue), but built \(spec)", sourceLocation: sourceLocation)
    } catch let error as WorkhiveError {
        #expect(error.code == code, "got \(error)", sourceLocation: sourceLocation)
    } catch {
        Issue.record("expected WorkhiveError, got \(error)", sourceLocation: sourceLocation)
    }
}

let liked: JSONValue = .object(["liked": .bool(true)])
