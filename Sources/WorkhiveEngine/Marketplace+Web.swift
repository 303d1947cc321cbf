import Foundation
import WorkhiveCore

/// Who a browser session acts for: an owner (a requester, admin or not) and, when the login signed up
/// as a human worker or signed in with a worker key, that worker.
public struct WebSessionView: Sendable, Equatable {
    public var ownerId: OwnerID
    public var ownerName: String
    public var isAdmin: Bool
    public var worker: WorkerView?
    /// The e-mail of a password login; nil for a session opened with an API key.
    public var email: String?
    public var expiresAtMillis: Int64
}

/// What a password check needs: the stored hash and who the login is.
public struct WebLoginRecord: Sendable, Equatable {
    public var email: String
    public var passwordHash: String
    public var ownerId: OwnerID
    public var workerId: WorkerID?
}

/// An open verification slot a worker could claim, with the work it reviews.
public struct VerificationSlotView: Sendable, Equatable {
    public var slotTaskId: TaskID
    public var submissionId: SubmissionID
    public var workTaskId: TaskID
    public var workTitle: String
    public var workTaskType: String
    public var verifierRewardMicroUSDT: Int64
    public var humanOnly: Bool
    public var createdAtMillis: Int64
}

/// One of a worker's own submissions, with the task it answered.
public struct WorkerSubmissionView: Sendable, Equatable {
    public var submission: SubmissionView
    public var taskTitle: String
    public var rewardMicroUSDT: Int64
}

extension Marketplace {
    /// Creates a password login in one transaction: an owner with its funds account and, for a human
    /// worker, that worker with its earnings account. `passwordHash` is an opaque, already-derived
    /// password hash (the web layer derives it). No API key is made: the login is how this owner signs in.
    public func createWebLogin(
        email: String, passwordHash: String, name: String, humanWorkerCapabilities: [String]?
    ) async throws -> WebLoginRecord {
        let email = try Self.normalizedEmail(email)
        let name = name.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !name.isEmpty, name.count <= 100 else { throw WorkhiveError.invalid("name must be 1-100 characters") }
        guard !passwordHash.isEmpty else { throw WorkhiveError.invalid("password hash is empty") }
        let caps = try humanWorkerCapabilities.map { try Capabilities($0) }
        let now = self.now()
        return try await transact { tx, _ in
            if try await tx.queryOne("SELECT 1 FROM web_logins WHERE email = ?", email) != nil {
                throw WorkhiveError(.conflict, "an account with this e-mail already exists")
            }
            let funds = AccountID(try await tx.insert("INSERT INTO accounts (kind, created_at) VALUES ('funds', ?)", now))
            let owner = OwnerID(try await tx.insert(
                "INSERT INTO owners (name, role, funds_account_id, created_at) VALUES (?, 'member', ?, ?)", name, funds, now))
            try await tx.execute("UPDATE accounts SET owner_id = ? WHERE id = ?", owner, funds)
            var worker: WorkerID?
            if let caps {
                let earnings = AccountID(try await tx.insert(
                    "INSERT INTO accounts (kind, owner_id, created_at) VALUES ('earnings', ?, ?)", owner, now))
                worker = WorkerID(try await tx.insert(
                    "INSERT INTO workers (owner_id, name, kind, capabilities, earnings_account_id, created_at) VALUES (?, ?, 'human', ?, ?, ?)",
                    owner, name, caps.canonical, earnings, now))
                try await tx.execute("UPDATE accounts SET worker_id = ? WHERE id = ?", worker, earnings)
            }
            try await tx.execute(
                "INSERT INTO web_logins (email, password_hash, owner_id, worker_id, created_at) VALUES (?, ?, ?, ?, ?)",
                email, passwordHash, owner, worker, now)
            return WebLoginRecord(email: email, passwordHash: passwordHash, ownerId: owner, workerId: worker)
        }
    }

    /// The login with this e-mail, or nil.
    public func webLogin(email: String) async throws -> WebLoginRecord? {
        guard let email = try? Self.normalizedEmail(email) else { return nil }
        return try await read { tx in
            try await tx.queryOne("SELECT email, password_hash, owner_id, worker_id FROM web_logins WHERE email = ?", email).map {
                WebLoginRecord(email: $0.text(0), passwordHash: $0.text(1), ownerId: $0.id(2), workerId: $0.optionalID(3))
            }
        }
    }

    /// Records a browser session under the SHA-256 of its token (the token itself is never stored), and
    /// drops sessions that have expired.
    public func startWebSession(tokenHash: String, owner: OwnerID, worker: WorkerID?, email: String?, expiresAtMillis: Int64) async throws {
        let now = self.now()
        guard expiresAtMillis > now else { throw WorkhiveError.invalid("a session must expire in the future") }
        try await transact { tx, _ in
            try await tx.execute("DELETE FROM web_sessions WHERE expires_at <= ?", now)
            try await tx.execute(
                "INSERT INTO web_sessions (token_hash, owner_id, worker_id, login_email, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)",
                tokenHash, owner, worker, email, now, expiresAtMillis)
        }
    }

    /// The live session with this token hash, read fresh each time (so an admin role, a suspension or a
    /// logout elsewhere takes effect at once), or nil when it is unknown or expired.
    public func webSession(tokenHash: String) async throws -> WebSessionView? {
        let now = self.now()
        return try await read { tx in
            guard let r = try await tx.queryOne("""
                SELECT s.owner_id, o.name, o.role, s.login_email, s.expires_at, s.worker_id, \(Self.prefixed(Self.workerColumns, "w"))
                FROM web_sessions s JOIN owners o ON o.id = s.owner_id LEFT JOIN workers w ON w.id = s.worker_id
                WHERE s.token_hash = ? AND s.expires_at > ?
                """, tokenHash, now) else { return nil }
            let worker = r.optionalInt(5) == nil ? nil : Self.workerView(r.slice(6, r.values.count - 6))
            return WebSessionView(ownerId: r.id(0), ownerName: r.text(1), isAdmin: r.text(2) == "admin", worker: worker,
                                  email: r.optionalText(3), expiresAtMillis: r.int(4))
        }
    }

    /// Ends a session (logout).
    public func endWebSession(tokenHash: String) async throws {
        _ = try await transact { tx, _ in try await tx.execute("DELETE FROM web_sessions WHERE token_hash = ?", tokenHash) }
    }

    /// The claims a worker holds now, soonest lease end first.
    public func heldClaims(_ principal: Principal) async throws -> [ClaimView] {
        let (worker, _, _) = try principal.requireWorker(for: "hold claims")
        let now = self.now()
        return try await read { tx in
            try await tx.query(Self.claimRowsSQL + " WHERE t.worker_id = ? AND t.state = 'claimed' AND t.lease_expires_at > ? ORDER BY t.lease_expires_at",
                               worker, now).map { Self.claimView($0, worker: worker) }
        }
    }

    /// One claim the worker holds, with the review for a verification slot; `claim_expired`, 403 or
    /// 404 as the API answers for a claim that is no longer, or never was, this worker's.
    public func heldClaim(_ principal: Principal, claim: ClaimID) async throws -> ClaimView {
        let (worker, _, _) = try principal.requireWorker(for: "view claims")
        let now = self.now()
        return try await read { tx in
            guard let row = try await tx.queryOne(
                Self.claimRowsSQL + " WHERE t.claim_id = ? AND t.worker_id = ? AND t.state = 'claimed' AND t.lease_expires_at > ?",
                claim, worker, now) else {
                throw try await self.claimProblem(claim, worker: worker, tx, now: now)
            }
            return Self.claimView(row, worker: worker)
        }
    }

    /// Open verification slots this worker could claim now, by the same rules as `claim`: the work's
    /// capabilities, human-only slots for humans, never its own owner's work, one slot per submission
    /// (checked against every slot of the submission: on PostgreSQL only a slot the worker held
    /// names it).
    public func openVerificationSlots(_ principal: Principal, limit: Int = 50) async throws -> [VerificationSlotView] {
        let (worker, owner, kind) = try principal.requireWorker(for: "verify")
        let caps = try await workerFacts(worker).capabilities
        let limit = max(1, min(limit, 200))
        return try await read { tx in
            try await tx.query("""
                SELECT t.id, t.submission_id, p.id, p.title, p.task_type, t.reward, t.human_only, t.created_at
                FROM tasks t JOIN submissions s ON s.id = t.submission_id JOIN tasks p ON p.id = s.task_id
                WHERE t.state = 'open' AND t.task_type = 'verify'
                  AND (t.required_caps = '' OR caps_subset(t.required_caps, ?))
                  AND (t.human_only = 0 OR ? = 1)
                  AND (t.exclude_owner_id IS NULL OR t.exclude_owner_id <> ?)
                  AND NOT EXISTS (SELECT 1 FROM tasks x WHERE x.submission_id = t.submission_id AND x.task_type = 'verify'
                                    AND instr(x.panel, ?) > 0)
                ORDER BY t.priority DESC, t.id
                LIMIT ?
                """, caps, kind == .human, owner, PanelSeats.workerNeedle(worker), limit).map { r in
                VerificationSlotView(slotTaskId: r.id(0), submissionId: r.id(1), workTaskId: r.id(2), workTitle: r.text(3),
                                     workTaskType: r.text(4), verifierRewardMicroUSDT: r.int(5), humanOnly: r.bool(6), createdAtMillis: r.int(7))
            }
        }
    }

    /// A worker's own latest submissions and how they stand.
    public func workerSubmissions(_ principal: Principal, limit: Int = 20) async throws -> [WorkerSubmissionView] {
        let (worker, _, _) = try principal.requireWorker(for: "list submissions")
        let limit = max(1, min(limit, 200))
        return try await read { tx in
            try await tx.query("""
                SELECT \(Self.prefixed(Self.submissionColumns, "s")), t.title, t.reward
                FROM submissions s JOIN tasks t ON t.id = s.task_id WHERE s.worker_id = ? ORDER BY s.id DESC LIMIT ?
                """, worker, limit).map { r in
                let width = Self.submissionColumnCount
                return WorkerSubmissionView(submission: Self.submissionView(r.slice(0, width)), taskTitle: r.text(width), rewardMicroUSDT: r.int(width + 1))
            }
        }
    }

    /// Media types of the blobs among `digests` that `principal` may open, by the same rule as
    /// `blob(_:_:)` (uploader, admin, the task's requester, the submission's verifiers); pages use it
    /// to show images inline without reading the files.
    public func blobMediaTypes(_ principal: Principal, _ digests: [String]) async throws -> [String: String] {
        let digests = Array(Set(digests.filter(BlobStore.isDigest))).sorted()
        guard !digests.isEmpty else { return [:] }
        let owner = principal.ownerID, worker = principal.workerID ?? WorkerID(-1), admin = principal.isAdmin
        return try await read { tx in
            let rows = try await tx.query("""
                SELECT b.sha256, b.media_type FROM blobs b
                WHERE b.sha256 IN (\(Self.marks(digests.count))) AND (? OR EXISTS (
                    SELECT 1 FROM blob_uploaders u WHERE u.sha256 = b.sha256 AND u.owner_id = ?) OR EXISTS (
                    SELECT 1 FROM submission_proofs p JOIN submissions s ON s.id = p.submission_id JOIN tasks t ON t.id = s.task_id
                    WHERE p.sha256 = b.sha256 AND (t.requester_id = ? OR EXISTS (
                        SELECT 1 FROM tasks v WHERE v.submission_id = s.id AND v.worker_id = ?))))
                """, digests.map(SQLValue.text) + [admin.sqlValue, owner.sqlValue, owner.sqlValue, worker.sqlValue])
            return Dictionary(rows.map { ($0.text(0), $0.text(1)) }, uniquingKeysWith: { a, _ in a })
        }
    }

    /// A claimed task row with, for a verification slot, the submission and the work task it reviews.
    static let claimRowsSQL = """
        SELECT \(prefixed(taskColumns, "t")), \(prefixed(submissionColumns, "s")), \(prefixed(taskColumns, "p"))
        FROM tasks t LEFT JOIN submissions s ON s.id = t.submission_id LEFT JOIN tasks p ON p.id = s.task_id
        """

    static func claimView(_ row: SQLRow, worker: WorkerID) -> ClaimView {
        let taskWidth = taskColumnCount, submissionWidth = submissionColumnCount
        let taskRow = row.slice(0, taskWidth)
        let task = taskView(taskRow)
        var review: ReviewView?
        if task.submissionId != nil {
            review = ReviewView(task: taskView(row.slice(taskWidth + submissionWidth, taskWidth)),
                                submission: submissionView(row.slice(taskWidth, submissionWidth)))
        }
        // taskColumns: attempts is column 18, claim_id 25, lease_expires_at 27.
        return ClaimView(claimId: taskRow.id(25), workerId: worker, task: task, attempt: Int(taskRow.int(18)),
                         leaseExpiresAtMillis: taskRow.int(27), review: review)
    }

    static func normalizedEmail(_ raw: String) throws -> String {
        let email = raw.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
        let parts = email.split(separator: "@", omittingEmptySubsequences: false)
        guard email.utf8.count >= 3, email.utf8.count <= 254, parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty,
              !email.contains(where: { $0.isWhitespace }) else {
            throw WorkhiveError.invalid("enter an e-mail address like name@example.com")
        }
        return email
    }
}
