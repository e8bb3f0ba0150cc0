-- Alerting: alerts by fingerprint, notification groups, every delivery,
-- silences and test-fires. Times are Unix microseconds in UTC; label and
-- annotation maps, group channel state and matchers are JSON text. Nothing
-- references runs: alert history outlives pruned runs.

-- One row per condition: the same fingerprint firing again reuses it.
CREATE TABLE alerts (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    fingerprint TEXT    NOT NULL UNIQUE,
    name        TEXT    NOT NULL,
    kind        TEXT    NOT NULL DEFAULT '',
    pipeline    TEXT    NOT NULL DEFAULT '',
    env         TEXT    NOT NULL DEFAULT '',
    labels      TEXT    NOT NULL DEFAULT '{}',
    annotations TEXT    NOT NULL DEFAULT '{}',
    state       TEXT    NOT NULL,
    starts_at   INTEGER NOT NULL,
    ends_at     INTEGER,
    updated_at  INTEGER NOT NULL,
    run_id      INTEGER
);
-- The evaluation loop reads the firing alerts on every pass.
CREATE INDEX alerts_firing ON alerts (updated_at DESC) WHERE state = 'firing';
CREATE INDEX alerts_updated ON alerts (updated_at DESC, id DESC);
CREATE INDEX alerts_pipeline ON alerts (pipeline, env, updated_at DESC);

CREATE TABLE alert_groups (
    group_key     TEXT    PRIMARY KEY,
    route         TEXT    NOT NULL,
    labels        TEXT    NOT NULL DEFAULT '{}',
    created_at    INTEGER NOT NULL,
    next_flush_at INTEGER,
    channels      TEXT    NOT NULL DEFAULT '[]'
) WITHOUT ROWID;

CREATE TABLE test_fires (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    route    TEXT    NOT NULL,
    actor    TEXT    NOT NULL DEFAULT '',
    fired_at INTEGER NOT NULL,
    ok       INTEGER NOT NULL DEFAULT 0, -- 0 or 1
    channels TEXT    NOT NULL DEFAULT '[]',
    failed   TEXT    NOT NULL DEFAULT '[]'
);
-- The gate asks for a route's newest successful test-fire.
CREATE INDEX test_fires_route ON test_fires (route, ok, id DESC);

CREATE TABLE alert_deliveries (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    group_key    TEXT    NOT NULL DEFAULT '',
    test_fire_id INTEGER REFERENCES test_fires (id) ON DELETE CASCADE,
    channel      TEXT    NOT NULL,
    type         TEXT    NOT NULL DEFAULT '',
    kind         TEXT    NOT NULL,
    alerts       TEXT    NOT NULL DEFAULT '[]',
    ok           INTEGER NOT NULL DEFAULT 0, -- 0 or 1
    status       INTEGER NOT NULL DEFAULT 0,
    attempts     INTEGER NOT NULL DEFAULT 0,
    error        TEXT    NOT NULL DEFAULT '',
    retryable    INTEGER NOT NULL DEFAULT 0,
    sent_at      INTEGER NOT NULL,
    duration_us  INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX alert_deliveries_group ON alert_deliveries (group_key, id DESC);
CREATE INDEX alert_deliveries_test_fire ON alert_deliveries (test_fire_id) WHERE test_fire_id IS NOT NULL;

-- Which alerts each delivery carried, for an alert's delivery history.
CREATE TABLE alert_delivery_alerts (
    fingerprint TEXT    NOT NULL,
    delivery_id INTEGER NOT NULL REFERENCES alert_deliveries (id) ON DELETE CASCADE,
    PRIMARY KEY (fingerprint, delivery_id)
) WITHOUT ROWID;

CREATE TABLE silences (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    matchers   TEXT    NOT NULL,
    created_by TEXT    NOT NULL DEFAULT '',
    reason     TEXT    NOT NULL DEFAULT '',
    starts_at  INTEGER NOT NULL,
    ends_at    INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    expired_by TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX silences_ends_at ON silences (ends_at);
