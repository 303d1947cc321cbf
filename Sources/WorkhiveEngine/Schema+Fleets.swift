extension Schema {
    /// Fleets and delegation. A sub-agent is a worker with a master (`master_worker_id`), which may
    /// pause it; a removed sub-agent keeps its row (its ledger history) but loses its keys.
    /// A delegation belongs to one claim of a parent task; its sub-tasks are task rows with
    /// `delegation_id`, routed to the master's fleet (`fleet_master_id`) or one sub-agent
    /// (`assignee_id`). `delegated_reward` is the part of a parent's reward set aside for its
    /// sub-tasks (funding from the parent's escrow) and is paid to the master only as far as the
    /// sub-tasks do not spend it.
    static let fleets = Migration(version: 4, name: "fleets and delegation", sql: """
        ALTER TABLE workers ADD COLUMN master_worker_id INTEGER REFERENCES workers(id);
        ALTER TABLE workers ADD COLUMN paused INTEGER NOT NULL DEFAULT 0 CHECK (paused IN (0,1));
        ALTER TABLE workers ADD COLUMN removed_at INTEGER;
        ALTER TABLE workers ADD COLUMN wallet_address TEXT;
        CREATE INDEX workers_master ON workers(master_worker_id, id) WHERE master_worker_id IS NOT NULL;

        CREATE TABLE delegations (
            id INTEGER PRIMARY KEY,
            parent_task_id INTEGER NOT NULL REFERENCES tasks(id),
            parent_claim_id INTEGER NOT NULL UNIQUE,
            master_worker_id INTEGER NOT NULL REFERENCES workers(id),
            strategy TEXT NOT NULL CHECK (strategy IN ('fan_out')),
            aggregation TEXT NOT NULL CHECK (aggregation IN ('merge_json','concat','majority','first','none')),
            funding TEXT NOT NULL CHECK (funding IN ('parent_escrow','master_balance')),
            slots INTEGER NOT NULL CHECK (slots > 0),
            request_hash TEXT NOT NULL,
            created_at INTEGER NOT NULL
        );
        CREATE INDEX delegations_parent ON delegations(parent_task_id);

        ALTER TABLE tasks ADD COLUMN fleet_master_id INTEGER;
        ALTER TABLE tasks ADD COLUMN assignee_id INTEGER;
        ALTER TABLE tasks ADD COLUMN delegation_id INTEGER REFERENCES delegations(id);
        ALTER TABLE tasks ADD COLUMN delegation_slot INTEGER;
        ALTER TABLE tasks ADD COLUMN delegated_reward INTEGER NOT NULL DEFAULT 0 CHECK (delegated_reward >= 0);
        CREATE INDEX tasks_delegation ON tasks(delegation_id, delegation_slot, id) WHERE delegation_id IS NOT NULL;

        CREATE TABLE fleet_distributions (
            id INTEGER PRIMARY KEY,
            master_worker_id INTEGER NOT NULL REFERENCES workers(id),
            split TEXT NOT NULL CHECK (split IN ('equal','per_sub_task','explicit')),
            amount INTEGER NOT NULL CHECK (amount > 0),
            delegation_id INTEGER REFERENCES delegations(id),
            shares TEXT NOT NULL,
            idempotency_key TEXT,
            request_hash TEXT NOT NULL,
            created_at INTEGER NOT NULL
        );
        CREATE UNIQUE INDEX fleet_distributions_idempotency ON fleet_distributions(master_worker_id, idempotency_key)
            WHERE idempotency_key IS NOT NULL
        """)
}
