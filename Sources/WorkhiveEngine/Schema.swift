/// Numbered migrations per dialect, recorded in `schema_migrations` and applied at start.
/// Invariants that must never break also live here as CHECK constraints.
enum Schema {
    struct Migration {
        let version: Int
        let name: String
        let sql: String
    }

    static func migrations(for dialect: SQLDialect) -> [Migration] {
        switch dialect {
        case .sqlite: sqlite
        case .postgres: []
        }
    }

    static let sqlite: [Migration] = [
        Migration(version: 1, name: "marketplace core", sql: """
            CREATE TABLE accounts (
                id INTEGER PRIMARY KEY,
                kind TEXT NOT NULL CHECK (kind IN ('funds','earnings','escrow','platform_fee','deposits')),
                owner_id INTEGER,
                worker_id INTEGER,
                task_id INTEGER,
                shard INTEGER NOT NULL DEFAULT 0,
                debits_pending INTEGER NOT NULL DEFAULT 0 CHECK (debits_pending >= 0),
                debits_posted INTEGER NOT NULL DEFAULT 0 CHECK (debits_posted >= 0),
                credits_pending INTEGER NOT NULL DEFAULT 0 CHECK (credits_pending >= 0),
                credits_posted INTEGER NOT NULL DEFAULT 0 CHECK (credits_posted >= 0),
                created_at INTEGER NOT NULL,
                CHECK (kind = 'deposits' OR debits_posted + debits_pending <= credits_posted)
            );
            CREATE INDEX accounts_system ON accounts(kind, shard) WHERE kind IN ('platform_fee', 'deposits');

            CREATE TABLE transfers (
                id INTEGER PRIMARY KEY,
                kind TEXT NOT NULL CHECK (kind IN ('posted','pending','post','void')),
                debit_account_id INTEGER NOT NULL REFERENCES accounts(id),
                credit_account_id INTEGER NOT NULL REFERENCES accounts(id),
                amount INTEGER NOT NULL CHECK (amount > 0),
                reason TEXT NOT NULL,
                task_id INTEGER,
                pending_id INTEGER REFERENCES transfers(id),
                created_at INTEGER NOT NULL,
                CHECK (debit_account_id <> credit_account_id),
                CHECK ((kind IN ('post','void')) = (pending_id IS NOT NULL))
            );
            CREATE INDEX transfers_debit ON transfers(debit_account_id, id);
            CREATE INDEX transfers_credit ON transfers(credit_account_id, id);

            CREATE TABLE owners (
                id INTEGER PRIMARY KEY,
                name TEXT NOT NULL,
                role TEXT NOT NULL CHECK (role IN ('member','admin')),
                funds_account_id INTEGER NOT NULL REFERENCES accounts(id),
                created_at INTEGER NOT NULL
            );

            CREATE TABLE workers (
                id INTEGER PRIMARY KEY,
                owner_id INTEGER NOT NULL REFERENCES owners(id),
                name TEXT NOT NULL,
                kind TEXT NOT NULL CHECK (kind IN ('human','agent')),
                capabilities TEXT NOT NULL,
                status TEXT NOT NULL DEFAULT 'offline' CHECK (status IN ('idle','busy','offline')),
                suspended INTEGER NOT NULL DEFAULT 0 CHECK (suspended IN (0,1)),
                earnings_account_id INTEGER NOT NULL REFERENCES accounts(id),
                last_heartbeat_at INTEGER,
                created_at INTEGER NOT NULL
            );
            CREATE INDEX workers_owner ON workers(owner_id);

            CREATE TABLE api_keys (
                id INTEGER PRIMARY KEY,
                secret_hash TEXT NOT NULL,
                owner_id INTEGER NOT NULL REFERENCES owners(id),
                worker_id INTEGER REFERENCES workers(id),
                created_at INTEGER NOT NULL,
                revoked_at INTEGER
            );

            CREATE TABLE tasks (
                id INTEGER PRIMARY KEY,
                requester_id INTEGER NOT NULL REFERENCES owners(id),
                task_type TEXT NOT NULL,
                title TEXT NOT NULL,
                instructions TEXT NOT NULL,
                payload TEXT NOT NULL,
                required_caps TEXT NOT NULL,
                reward INTEGER NOT NULL CHECK (reward >= 0),
                lease_seconds INTEGER NOT NULL CHECK (lease_seconds > 0),
                max_attempts INTEGER NOT NULL CHECK (max_attempts > 0 AND max_attempts <= 100),
                deadline_at INTEGER,
                priority INTEGER NOT NULL,
                visibility TEXT NOT NULL CHECK (visibility IN ('public','private')),
                verifiers INTEGER NOT NULL CHECK (verifiers >= 0),
                quorum INTEGER NOT NULL CHECK (quorum >= 0 AND quorum <= verifiers),
                spot_check_rate REAL NOT NULL,
                verifier_reward INTEGER NOT NULL CHECK (verifier_reward >= 0),
                state TEXT NOT NULL CHECK (state IN ('open','claimed','verifying','approved','rejected','failed','cancelled','done')),
                attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0 AND attempts <= max_attempts),
                claim_id INTEGER,
                worker_id INTEGER REFERENCES workers(id),
                claimed_at INTEGER,
                lease_expires_at INTEGER,
                expiring_notified INTEGER NOT NULL DEFAULT 0,
                escrow_account_id INTEGER REFERENCES accounts(id),
                hold_transfer_id INTEGER REFERENCES transfers(id),
                escrow_open INTEGER NOT NULL DEFAULT 0,
                parent_task_id INTEGER REFERENCES tasks(id),
                submission_id INTEGER,
                human_only INTEGER NOT NULL DEFAULT 0,
                exclude_owner_id INTEGER,
                verdict TEXT CHECK (verdict IN ('approve','reject')),
                vote_reason TEXT,
                vote_paid INTEGER NOT NULL DEFAULT 0,
                voted_at INTEGER,
                failure_reason TEXT,
                idempotency_key TEXT,
                request_hash TEXT,
                created_at INTEGER NOT NULL,
                updated_at INTEGER NOT NULL,
                CHECK (state <> 'claimed' OR (claim_id IS NOT NULL AND worker_id IS NOT NULL AND lease_expires_at IS NOT NULL)),
                CHECK ((task_type = 'verify') = (submission_id IS NOT NULL)),
                CHECK (task_type = 'verify' OR escrow_account_id IS NOT NULL),
                CHECK (verdict IS NULL OR (task_type = 'verify' AND state = 'done' AND vote_reason IS NOT NULL AND voted_at IS NOT NULL))
            );
            CREATE INDEX tasks_claimable ON tasks(task_type, priority DESC, id) WHERE state = 'open';
            CREATE INDEX tasks_leases ON tasks(lease_expires_at) WHERE state = 'claimed';
            CREATE INDEX tasks_deadlines ON tasks(deadline_at) WHERE deadline_at IS NOT NULL AND state IN ('open','claimed');
            CREATE UNIQUE INDEX tasks_claim ON tasks(claim_id) WHERE claim_id IS NOT NULL;
            CREATE INDEX tasks_requester ON tasks(requester_id, id) WHERE task_type <> 'verify';
            CREATE INDEX tasks_submission ON tasks(submission_id) WHERE submission_id IS NOT NULL;
            CREATE UNIQUE INDEX tasks_idempotency ON tasks(requester_id, idempotency_key) WHERE idempotency_key IS NOT NULL;

            CREATE TABLE submissions (
                id INTEGER PRIMARY KEY,
                task_id INTEGER NOT NULL REFERENCES tasks(id),
                claim_id INTEGER NOT NULL UNIQUE,
                worker_id INTEGER NOT NULL REFERENCES workers(id),
                worker_owner_id INTEGER NOT NULL,
                attempt INTEGER NOT NULL,
                result TEXT NOT NULL,
                proofs TEXT NOT NULL,
                state TEXT NOT NULL CHECK (state IN ('pending','approved','rejected')),
                verifiers INTEGER NOT NULL,
                quorum INTEGER NOT NULL,
                approvals INTEGER NOT NULL DEFAULT 0,
                rejections INTEGER NOT NULL DEFAULT 0,
                request_hash TEXT NOT NULL,
                created_at INTEGER NOT NULL,
                decided_at INTEGER
            );
            CREATE INDEX submissions_task ON submissions(task_id, id);
            CREATE INDEX submissions_worker ON submissions(worker_id, id);

            -- A vote is the outcome of its verification slot, so it lives on the slot's row (one write
            -- per vote); this view shows the votes as a table of their own.
            CREATE VIEW votes AS
                SELECT id, submission_id, id AS slot_task_id, worker_id AS verifier_id, verdict, vote_reason AS reason,
                       vote_paid AS paid, voted_at AS created_at
                FROM tasks WHERE verdict IS NOT NULL;
            CREATE UNIQUE INDEX votes_one_per_verifier ON tasks(submission_id, worker_id) WHERE verdict IS NOT NULL;

            CREATE TABLE blobs (
                sha256 TEXT PRIMARY KEY,
                size INTEGER NOT NULL,
                media_type TEXT NOT NULL,
                owner_id INTEGER NOT NULL,
                created_at INTEGER NOT NULL
            );

            CREATE TABLE blob_uploaders (
                sha256 TEXT NOT NULL REFERENCES blobs(sha256),
                owner_id INTEGER NOT NULL REFERENCES owners(id),
                PRIMARY KEY (sha256, owner_id)
            );

            CREATE TABLE submission_proofs (
                sha256 TEXT NOT NULL REFERENCES blobs(sha256),
                submission_id INTEGER NOT NULL REFERENCES submissions(id),
                PRIMARY KEY (sha256, submission_id)
            );
            """),
        webLogins,
    ]
}
