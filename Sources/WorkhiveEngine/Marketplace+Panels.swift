import WorkhiveCore

/// Who sits on a submission's verification panel, kept on its slots (`tasks.panel`) so that a claim
/// can tell whether a slot is open to a verifier without reading other tables.
///
/// A claim walks the open slots in queue order and skips those the verifier may not take: slots of a
/// submission it already held a slot of, and, while the slot is young, slots of a panel its owner or
/// model family already sits on. With few verifier owners most of the queue's head is such slots, so
/// the check runs for many rows per claim; asked of other rows (subqueries per candidate) it cost
/// ten times the rest of the claim on SQLite.
///
/// The text is a comma-delimited list that starts and ends with a comma: `w<worker>` for a worker
/// that claimed a slot (never removed, so a worker never gets two slots of one submission, even
/// after giving one back), and `o<owner>` and `f<model family>` for a seat taken now (removed when
/// its claim is released or expires). A claim writes its seat on the slot it claims.
///
/// - On SQLite, which writes one operation at a time, the claim also copies its seat to every other
///   slot of the submission, so each slot carries the whole panel and a claim checks the slot alone.
/// - On PostgreSQL claims run at once, and writing a sibling would lock it: a concurrent claimer,
///   which skips locked slots, would find no work while open slots exist. So each slot carries only
///   its own seat, and a verification claim checks the candidate's siblings (`siblingsAdmit`).
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

    /// What a claim binds for the panel terms of its WHERE: the candidate's own panel, then (with
    /// `siblings`) its siblings'.
    static func needles(worker: WorkerID, owner: OwnerID, modelFamily: String?, youngSince cutoff: Int64, siblings: Bool) -> [SQLValue] {
        let terms: [SQLValue] = [.text(workerNeedle(worker)), .integer(cutoff), .text(ownerNeedle(owner)), .text(familyNeedle(modelFamily))]
        return siblings ? terms + terms : terms
    }

    /// PostgreSQL: no other slot of the candidate's submission names the worker, nor, while the
    /// candidate is young, seats its owner or family in a claim or a vote. A scalar subquery rather
    /// than NOT EXISTS, which the planner turns into an anti join over a scan of every task while
    /// a young database's statistics still say the table is small.
    static let siblingsAdmit = """

                      AND (SELECT COUNT(*) FROM tasks x WHERE x.submission_id = t.submission_id AND x.task_type = 'verify'
                             AND (instr(x.panel, ?) > 0 OR (t.created_at > ? AND x.state IN ('claimed', 'done')
                                                             AND (instr(x.panel, ?) > 0 OR instr(x.panel, ?) > 0)))) = 0
        """
}

extension Marketplace {
    /// SQLite: the seat a claim took on `slot` is copied to the submission's other slots.
    func shareSeat(_ seat: String, from slot: TaskID, on submission: SubmissionID, _ tx: any SQLExecutor) async throws {
        try await tx.execute("UPDATE tasks SET panel = panel || ? WHERE submission_id = ? AND task_type = 'verify' AND id <> ?",
                             seat, submission, slot)
    }

    /// A slot's claim was given back or expired: its holder's owner and model family leave the panel
    /// (one occurrence each: the owner may hold another slot of it). Its worker stays recorded. On
    /// PostgreSQL the seat is on that slot alone.
    func leaveSeat(slot: TaskID, _ tx: any SQLExecutor) async throws {
        guard let holder = try await tx.queryOne("""
            SELECT t.submission_id, w.owner_id, w.model_family FROM tasks t JOIN workers w ON w.id = t.worker_id
            WHERE t.id = ? AND t.task_type = 'verify'
            """, slot) else { return }
        var needles = [PanelSeats.ownerNeedle(holder.id(1))]
        if let family = holder.optionalText(2) { needles.append(PanelSeats.familyNeedle(family)) }
        for needle in needles {
            // Cuts the first occurrence of ",x," down to ",".
            let slots: (sql: String, bind: SQLValue) = tx.dialect == .postgres
                ? ("id = ?", slot.sqlValue) : ("submission_id = ? AND task_type = 'verify'", holder.values[0])
            try await tx.execute("""
                UPDATE tasks SET panel = substr(panel, 1, instr(panel, ?)) || substr(panel, instr(panel, ?) + length(?))
                WHERE \(slots.sql) AND instr(panel, ?) > 0
                """, [.text(needle), .text(needle), .text(needle), slots.bind, .text(needle)])
        }
    }
}
