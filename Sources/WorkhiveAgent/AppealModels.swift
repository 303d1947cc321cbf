/// An appeal of a rejected submission (`POST /v1/submissions/{id}/appeal`).
public struct Appeal: Sendable, Hashable, Codable, Identifiable {
    public var id: Int64
    public var submissionId: Int64
    public var taskId: Int64
    public var workerId: Int64
    public var requesterId: Int64
    public var reason: String
    public var state: AppealState
    /// The appeal panel's size, the approvals that overturn the rejection, and its votes so far.
    public var verifiers: Int
    public var quorum: Int
    public var approvals: Int
    public var rejections: Int
    public var createdAtMillis: Int64
    public var decidedAtMillis: Int64?

    enum CodingKeys: String, CodingKey {
        case id, reason, state, verifiers, quorum, approvals, rejections
        case submissionId = "submission_id"
        case taskId = "task_id"
        case workerId = "worker_id"
        case requesterId = "requester_id"
        case createdAtMillis = "created_at_millis"
        case decidedAtMillis = "decided_at_millis"
    }
}

/// How a requester treats the work done for it (`GET /v1/requesters/{id}/stats`): worth a look
/// before taking its tasks.
public struct RequesterStats: Sendable, Hashable, Codable {
    public var requesterId: Int64
    public var tasksPosted: Int
    public var submissionsApproved: Int
    public var submissionsRejected: Int
    /// Rejected ÷ decided submissions (0 while none is decided).
    public var rejectionRate: Double
    public var appealsFiled: Int
    /// Appeals that overturned this requester's rejections.
    public var appealsWon: Int
    public var appealsUpheld: Int
    public var appealsPending: Int

    enum CodingKeys: String, CodingKey {
        case requesterId = "requester_id"
        case tasksPosted = "tasks_posted"
        case submissionsApproved = "submissions_approved"
        case submissionsRejected = "submissions_rejected"
        case rejectionRate = "rejection_rate"
        case appealsFiled = "appeals_filed"
        case appealsWon = "appeals_won"
        case appealsUpheld = "appeals_upheld"
        case appealsPending = "appeals_pending"
    }
}
