extension Schema {
    /// Trust: agents' declared model families (for panels); per worker, role and task type, the Beta(α, β) posterior of its accuracy (started at the
    /// `TrustPolicy` prior when its first verdict lands; see `Reputation`), and a verifier's quarantine
    /// on a task type with its reason. Tasks record their verification mode (`fixed` k-of-n or `adaptive`) and the
    /// adaptive target, and the upper bound of trust-adaptive spot checks; verification slots record the task type they review (quarantine is per type);
    /// a submission records the confidence of its verdict. A gold task holds its known result
    /// (`gold_result`), and its submissions the verdict they deserve (`gold_verdict`).
    static let trust = Migration(version: 5, name: "trust: reputation, adaptive verification, quarantine", sql: """
        CREATE TABLE reputations (
            worker_id INTEGER NOT NULL REFERENCES workers(id),
            role TEXT NOT NULL CHECK (role IN ('verifier','worker')),
            task_type TEXT NOT NULL,
            alpha REAL NOT NULL CHECK (alpha > 0),
            beta REAL NOT NULL CHECK (beta > 0),
            observations INTEGER NOT NULL DEFAULT 0 CHECK (observations >= 0),
            quarantined_at INTEGER,
            quarantine_reason TEXT,
            updated_at INTEGER NOT NULL,
            PRIMARY KEY (worker_id, role, task_type),
            CHECK ((quarantined_at IS NULL) = (quarantine_reason IS NULL)),
            CHECK (role = 'verifier' OR quarantined_at IS NULL)
        );

        ALTER TABLE workers ADD COLUMN model_family TEXT;
        ALTER TABLE tasks ADD COLUMN verification_mode TEXT NOT NULL DEFAULT 'fixed' CHECK (verification_mode IN ('fixed','adaptive'));
        ALTER TABLE tasks ADD COLUMN target_confidence REAL NOT NULL DEFAULT 0;
        ALTER TABLE tasks ADD COLUMN reviewed_type TEXT;
        ALTER TABLE tasks ADD COLUMN spot_check_max_rate REAL CHECK (spot_check_max_rate IS NULL OR spot_check_max_rate <= 1);
        ALTER TABLE tasks ADD COLUMN gold_result TEXT;
        CREATE INDEX tasks_gold ON tasks(task_type, priority DESC, id) WHERE state = 'open' AND gold_result IS NOT NULL;
        ALTER TABLE submissions ADD COLUMN confidence REAL;
        ALTER TABLE submissions ADD COLUMN gold_verdict TEXT CHECK (gold_verdict IN ('approved','rejected'))
        """)
}
