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

extension Schema {
    /// Verification panels on their slots (see `PanelSeats`): every slot of a submission carries who
    /// has held one of its slots and whose seats are taken now. Open and claimed slots get theirs from
    /// the slots as they stand; the claim index carries the panel, so a claim skips slots by the
    /// index alone. (On PostgreSQL the engine then keeps each seat on its own slot only; the whole
    /// panel written here is stricter at most: see `PanelSeats`.)
    static let panels = Migration(version: 7, name: "verification panels on their slots",
                                  sql: panelsSQL(.sqlite), postgresSQL: panelsSQL(.postgres))

    private static func panelsSQL(_ dialect: SQLDialect) -> String {
        """
        ALTER TABLE tasks ADD COLUMN panel TEXT NOT NULL DEFAULT ',';
        \(panelBackfill(dialect));
        DROP INDEX tasks_claimable;
        CREATE INDEX tasks_claimable ON tasks(task_type, priority DESC, id, created_at, panel) WHERE state = 'open'
        """
    }

    /// Sets the panel of open and claimed slots from their submission's slots as they stand. (A
    /// worker whose slot was claimed again since is not known any more; the engine keeps it.)
    static func panelBackfill(_ dialect: SQLDialect) -> String {
        let aggregate = dialect == .postgres ? "string_agg" : "group_concat"
        return """
            UPDATE tasks SET panel = ','
                || COALESCE((SELECT \(aggregate)('w' || s.worker_id || ',', '') FROM tasks s
                             WHERE s.submission_id = tasks.submission_id AND s.task_type = 'verify' AND s.worker_id IS NOT NULL), '')
                || COALESCE((SELECT \(aggregate)('o' || w.owner_id || ',' || COALESCE('f' || w.model_family || ',', ''), '')
                             FROM tasks s JOIN workers w ON w.id = s.worker_id
                             WHERE s.submission_id = tasks.submission_id AND s.task_type = 'verify' AND s.state IN ('claimed','done')), '')
            WHERE task_type = 'verify' AND state IN ('open','claimed')
            """
    }
}
