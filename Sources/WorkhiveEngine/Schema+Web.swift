extension Schema {
    /// The web app's tables: password logins (each an owner, with its human worker when it signed up
    /// as one) and browser sessions. Logins are keyed by e-mail and sessions by the SHA-256 of their
    /// token, so neither needs a generated id, and the SQL is the same on SQLite and PostgreSQL.
    static let webLogins = Migration(version: 2, name: "web logins and sessions", sql: """
        CREATE TABLE web_logins (
            email TEXT PRIMARY KEY CHECK (email = lower(email) AND length(email) BETWEEN 3 AND 254),
            password_hash TEXT NOT NULL,
            owner_id BIGINT NOT NULL UNIQUE REFERENCES owners(id),
            worker_id BIGINT REFERENCES workers(id),
            created_at BIGINT NOT NULL
        );

        CREATE TABLE web_sessions (
            token_hash TEXT PRIMARY KEY,
            owner_id BIGINT NOT NULL REFERENCES owners(id),
            worker_id BIGINT REFERENCES workers(id),
            login_email TEXT REFERENCES web_logins(email),
            created_at BIGINT NOT NULL,
            expires_at BIGINT NOT NULL,
            CHECK (expires_at > created_at)
        );
        CREATE INDEX web_sessions_expiry ON web_sessions(expires_at);
        CREATE INDEX web_sessions_owner ON web_sessions(owner_id)
        """)
}
