extension Schema {
    /// Appeals: at most one per submission and one per task (a task's escrow funds one appeal panel,
    /// see `AppealPanel`). An appeal's verification slots are ordinary `verify` tasks of the same
    /// submission that carry its id (`tasks.appeal_id`), so the first panel's voters are kept off
    /// them by the rule that nobody holds two slots of one submission. A work task rejected by a
    /// panel keeps its escrow until `appeal_until` (the lease rescuer then releases it).
    static let appeals = Migration(version: 6, name: "appeals", sql: """
        CREATE TABLE appeals (
            id INTEGER PRIMARY KEY,
            submission_id INTEGER NOT NULL UNIQUE REFERENCES submissions(id),
            task_id INTEGER NOT NULL UNIQUE REFERENCES tasks(id),
            worker_id INTEGER NOT NULL REFERENCES workers(id),
            requester_id INTEGER NOT NULL REFERENCES owners(id),
            reason TEXT NOT NULL,
            state TEXT NOT NULL CHECK (state IN ('pending','overturned','upheld')),
            task_state_before TEXT NOT NULL CHECK (task_state_before IN ('open','rejected','failed','cancelled')),
            verifiers INTEGER NOT NULL CHECK (verifiers > 0),
            quorum INTEGER NOT NULL CHECK (quorum > 0 AND quorum <= verifiers),
            approvals INTEGER NOT NULL DEFAULT 0,
            rejections INTEGER NOT NULL DEFAULT 0,
            created_at INTEGER NOT NULL,
            decided_at INTEGER,
            CHECK ((state = 'pending') = (decided_at IS NULL))
        );
        CREATE INDEX appeals_requester ON appeals(requester_id, state);
        ALTER TABLE tasks ADD COLUMN appeal_id INTEGER REFERENCES appeals(id);
        ALTER TABLE tasks ADD COLUMN appeal_until INTEGER;
        CREATE INDEX tasks_appeal_windows ON tasks(appeal_until) WHERE appeal_until IS NOT NULL
        """)
}
