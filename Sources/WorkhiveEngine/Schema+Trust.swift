extension Schema {
    /// Trust: per worker, role and task type, the evidence of its accuracy (a Beta posterior with the
    /// prior from `TrustPolicy`; see `Reputation`), and a verifier's quarantine on a task type with
    /// its reason. Tasks record their verification mode (`fixed` k-of-n or `adaptive`) and the
    /// adaptive target; verification slots record the task type they review (quarantine is per type);
    /// a submission records the confidence of its verdict.
    static let trust = Migration(version: 5, name: "trust: reputation, adaptive verification, quarantine", sql: """
        CREATE TABLE reputations (
            worker_id INTEGER NOT NULL REFERENCES workers(id),
            role TEXT NOT NULL CHECK (role IN ('verifier','worker')),
            task_type TEXT NOT NULL,
            correct REAL NOT NULL DEFAULT 0 CHECK (correct >= 0),
            incorrect REAL NOT NULL DEFAULT 0 CHECK (incorrect >= 0),
            observations INTEGER NOT NULL DEFAULT 0 CHECK (observations >= 0),
            quarantined_at INTEGER,
            quarantine_reason TEXT,
            updated_at INTEGER NOT NULL,
            PRIMARY KEY (worker_id, role, task_type),
            CHECK ((quarantined_at IS NULL) = (quarantine_reason IS NULL)),
            CHECK (role = 'verifier' OR quarantined_at IS NULL)
        );

        ALTER TABLE tasks ADD COLUMN verification_mode TEXT NOT NULL DEFAULT 'fixed' CHECK (verification_mode IN ('fixed','adaptive'));
        ALTER TABLE tasks ADD COLUMN target_confidence REAL NOT NULL DEFAULT 0;
        ALTER TABLE tasks ADD COLUMN reviewed_type TEXT;
        ALTER TABLE submissions ADD COLUMN confidence REAL
        """)
}
