/// Humans and agents are the same kind of worker; `kind` only decides who may take human-only
/// (spot-check) verification slots.
public enum WorkerKind: String, Sendable, Codable, CaseIterable {
    case human, agent
}

/// What a worker reports with its worker-level heartbeat.
public enum WorkerStatus: String, Sendable, Codable, CaseIterable {
    case idle, busy, offline
}

/// Who is calling. Owners hold funds and post tasks (requesters) and own workers; workers claim and
/// submit. Admins are owners with the admin role.
public enum Principal: Sendable, Equatable {
    case owner(OwnerID, isAdmin: Bool)
    case worker(WorkerID, owner: OwnerID, kind: WorkerKind)

    public var ownerID: OwnerID {
        switch self {
        case .owner(let id, _): id
        case .worker(_, let owner, _): owner
        }
    }
    public var isAdmin: Bool { if case .owner(_, true) = self { true } else { false } }
    public var workerID: WorkerID? { if case .worker(let id, _, _) = self { id } else { nil } }

    /// The worker behind a worker key, or a `forbidden` error naming the verb.
    public func requireWorker(for verb: String) throws(WorkhiveError) -> (WorkerID, OwnerID, WorkerKind) {
        guard case .worker(let id, let owner, let kind) = self else {
            throw .forbidden("\(verb) needs a worker key; owner keys post and manage, workers \(verb)")
        }
        return (id, owner, kind)
    }
}
