extension Schema {
    static let accountKinds = "'funds','earnings','escrow','platform_fee','deposits','payouts_in_flight','paid_out','network_fees'"
    static let systemAccountKinds = "'platform_fee','deposits','payouts_in_flight','paid_out','network_fees'"
    static let payoutNetworks = "'trc20','bep20','arbitrum','ton'"

    /// Payout addresses, preferences, payouts and their batches, hot wallets, and the three account
    /// kinds payouts move money through. SQLite cannot alter a CHECK constraint, so `accounts` is
    /// rebuilt the documented way (new table, copy, drop, rename, indexes again; the engine runs
    /// SQLite with foreign_keys off and the ledger audit runs foreign_key_check); PostgreSQL swaps the
    /// constraint in place.
    static let payouts = Migration(
        version: 3, name: "payouts", sql: sqliteAccountKinds + payoutTables, postgresSQL: postgresAccountKinds + payoutTables)

    static let sqliteAccountKinds = """
        CREATE TABLE accounts_new (
            id INTEGER PRIMARY KEY,
            kind TEXT NOT NULL CHECK (kind IN (\(accountKinds))),
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
        INSERT INTO accounts_new (id, kind, owner_id, worker_id, task_id, shard, debits_pending, debits_posted, credits_pending, credits_posted, created_at)
            SELECT id, kind, owner_id, worker_id, task_id, shard, debits_pending, debits_posted, credits_pending, credits_posted, created_at FROM accounts;
        DROP TABLE accounts;
        ALTER TABLE accounts_new RENAME TO accounts;
        CREATE INDEX accounts_system ON accounts(kind, shard) WHERE kind IN (\(systemAccountKinds));

        """

    /// v1 names the column constraint `accounts_kind_check` (PostgreSQL's rule: table_column_check).
    static let postgresAccountKinds = """
        ALTER TABLE accounts DROP CONSTRAINT accounts_kind_check;
        ALTER TABLE accounts ADD CONSTRAINT accounts_kind_check CHECK (kind IN (\(accountKinds)));
        DROP INDEX accounts_system;
        CREATE INDEX accounts_system ON accounts(kind, shard) WHERE kind IN (\(systemAccountKinds));

        """

    static let payoutTables = """
        INSERT INTO accounts (kind, shard, created_at) VALUES
            ('payouts_in_flight', 0, 0), ('payouts_in_flight', 1, 0), ('payouts_in_flight', 2, 0), ('payouts_in_flight', 3, 0),
            ('paid_out', 0, 0), ('paid_out', 1, 0), ('paid_out', 2, 0), ('paid_out', 3, 0),
            ('network_fees', 0, 0), ('network_fees', 1, 0), ('network_fees', 2, 0), ('network_fees', 3, 0);

        CREATE TABLE payout_addresses (
            worker_id BIGINT NOT NULL REFERENCES workers(id),
            network TEXT NOT NULL CHECK (network IN (\(payoutNetworks))),
            address TEXT NOT NULL CHECK (length(address) BETWEEN 1 AND 100),
            updated_at BIGINT NOT NULL,
            PRIMARY KEY (worker_id, network)
        );

        CREATE TABLE payout_preferences (
            worker_id BIGINT NOT NULL PRIMARY KEY REFERENCES workers(id),
            preference TEXT NOT NULL CHECK (preference IN ('none','low_fee',\(payoutNetworks))),
            updated_at BIGINT NOT NULL
        );

        -- One row per hot wallet; busy_batch_id is the batch it has in flight. A wallet signs its
        -- next batch only once the last one is final, so its nonce is the chain's next nonce.
        CREATE TABLE hot_wallets (
            network TEXT NOT NULL CHECK (network IN (\(payoutNetworks))),
            address TEXT NOT NULL,
            busy_batch_id BIGINT,
            PRIMARY KEY (network, address)
        );

        -- One transaction paying one or more payouts; its signed bytes are stored before broadcast.
        CREATE TABLE payout_batches (
            id INTEGER PRIMARY KEY,
            network TEXT NOT NULL CHECK (network IN (\(payoutNetworks))),
            hot_wallet TEXT NOT NULL,
            nonce INTEGER NOT NULL CHECK (nonce >= 0),
            state TEXT NOT NULL CHECK (state IN ('signed','broadcast','confirmed','failed')),
            raw_tx TEXT NOT NULL,
            tx_hash TEXT NOT NULL,
            payouts INTEGER NOT NULL CHECK (payouts > 0),
            total INTEGER NOT NULL CHECK (total > 0),
            broadcasts INTEGER NOT NULL DEFAULT 0,
            included_block INTEGER,
            failure_reason TEXT,
            created_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL,
            CHECK (state <> 'failed' OR failure_reason IS NOT NULL)
        );
        CREATE UNIQUE INDEX payout_batches_hash ON payout_batches(network, tx_hash);
        CREATE INDEX payout_batches_open ON payout_batches(id) WHERE state IN ('signed','broadcast');

        CREATE TABLE payouts (
            id INTEGER PRIMARY KEY,
            worker_id BIGINT NOT NULL REFERENCES workers(id),
            earnings_account_id BIGINT NOT NULL REFERENCES accounts(id),
            network TEXT NOT NULL CHECK (network IN (\(payoutNetworks))),
            address TEXT NOT NULL,
            amount INTEGER NOT NULL CHECK (amount > 0),
            fee INTEGER NOT NULL CHECK (fee >= 0 AND fee < amount),
            rule TEXT NOT NULL,
            reason TEXT NOT NULL,
            origin TEXT NOT NULL CHECK (origin IN ('withdrawal','automatic')),
            state TEXT NOT NULL CHECK (state IN ('queued','signed','broadcast','confirmed','failed')),
            batch_id BIGINT REFERENCES payout_batches(id),
            tx_hash TEXT,
            attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
            failure_reason TEXT,
            idempotency_key TEXT,
            request_hash TEXT,
            created_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL,
            confirmed_at INTEGER,
            CHECK (state IN ('queued','failed') OR (batch_id IS NOT NULL AND tx_hash IS NOT NULL)),
            CHECK (state <> 'queued' OR batch_id IS NULL),
            CHECK ((state = 'confirmed') = (confirmed_at IS NOT NULL)),
            CHECK (state <> 'failed' OR failure_reason IS NOT NULL)
        );
        CREATE INDEX payouts_queued ON payouts(network, id) WHERE state = 'queued';
        CREATE INDEX payouts_batch ON payouts(batch_id) WHERE batch_id IS NOT NULL;
        CREATE INDEX payouts_worker ON payouts(worker_id, id);
        CREATE UNIQUE INDEX payouts_idempotency ON payouts(worker_id, idempotency_key) WHERE idempotency_key IS NOT NULL;

        ALTER TABLE transfers ADD COLUMN payout_id INTEGER REFERENCES payouts(id);
        CREATE INDEX transfers_payout ON transfers(payout_id) WHERE payout_id IS NOT NULL
        """
}
