import WorkhiveCore

/// Who sits on a submission's verification panel, kept on every slot of the submission (`tasks.panel`)
/// so that a claim can tell whether a slot is open to a verifier from the slot's row alone.
///
/// A claim walks the open slots in queue order and skips those the verifier may not take: slots of a
/// submission it already held a slot of, and, while the slot is young, slots of a panel its owner or
/// model family already sits on. With few verifier owners most of the queue's head is such slots, so
/// the check runs for many rows per claim; asked of other rows (subqueries per candidate) it cost
/// ten times the rest of the claim.
///
/// The text is a comma-delimited list that starts and ends with a comma: `w<worker>` for every worker
/// that ever claimed a slot of the submission (never removed, so a worker never gets two slots of it,
/// even after giving one back), and `o<owner>` and `f<model family>` for each slot now claimed or
/// voted on (removed when its claim is released or expires).
enum PanelSeats {
    /// What a worker adds to the panel when it claims one of its slots.
    static func seat(worker: WorkerID, owner: OwnerID, modelFamily: String?) -> String {
        "w\(worker.rawValue),o\(owner.rawValue)," + (modelFamily.map { "f\($0)," } ?? "")
    }

    /// The needles a claim looks for, each with its delimiters. A worker without a model family
    /// gets one that no panel contains.
    static func workerNeedle(_ worker: WorkerID) -> String { ",w\(worker.rawValue)," }
    static func ownerNeedle(_ owner: OwnerID) -> String { ",o\(owner.rawValue)," }
    static func familyNeedle(_ modelFamily: String?) -> String { ",f\(modelFamily ?? ""),"  }

    /// The panel a slot starts with when its submission has no slots yet.
    static let empty = ","
}

extension Marketplace {
    /// A worker claimed one of the submission's slots: every slot of it records the seat. On
    /// PostgreSQL a sibling another claimer is locking right now is skipped rather than waited for
    /// (two claimers of one panel would otherwise wait on each other's slot): that sibling is being
    /// claimed, or another claimer is writing its own seat on it. The owner and family rule is a preference
    /// for a short while, not an invariant, so a seat missing there is tolerated; the worker rule
    /// is, and a PostgreSQL claim checks it against every sibling's panel (each slot's own claimer
    /// always records itself on it).
    func takeSeat(on submission: SubmissionID, worker: WorkerID, owner: OwnerID, modelFamily: String?, _ tx: any SQLExecutor) async throws {
        try await tx.execute("""
            UPDATE tasks SET panel = panel || ?
            WHERE id IN (SELECT id FROM tasks WHERE submission_id = ? AND task_type = 'verify' \(tx.dialect.skipLocked))
            """, PanelSeats.seat(worker: worker, owner: owner, modelFamily: modelFamily), submission)
    }

    /// A slot's claim was given back or expired: its holder's owner and model family leave the panel
    /// (one occurrence each: the owner may hold another slot of it). Its worker stays recorded.
    func leaveSeat(slot: TaskID, _ tx: any SQLExecutor) async throws {
        guard let holder = try await tx.queryOne("""
            SELECT t.submission_id, w.owner_id, w.model_family FROM tasks t JOIN workers w ON w.id = t.worker_id
            WHERE t.id = ? AND t.task_type = 'verify'
            """, slot) else { return }
        var needles = [PanelSeats.ownerNeedle(holder.id(1))]
        if let family = holder.optionalText(2) { needles.append(PanelSeats.familyNeedle(family)) }
        for needle in needles {
            // Cuts the first occurrence of ",x," down to ",".
            try await tx.execute("""
                UPDATE tasks SET panel = substr(panel, 1, instr(panel, ?)) || substr(panel, instr(panel, ?) + length(?))
                WHERE submission_id = ? AND task_type = 'verify' AND instr(panel, ?) > 0
                """, needle, needle, needle, holder.int(0), needle)
        }
    }
}
