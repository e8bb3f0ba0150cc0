-- Alerting: alerts by fingerprint, notification groups, every delivery,
-- silences and test-fires. Label and annotation maps, group channel state
-- and matchers are jsonb. Nothing references runs: alert history outlives
-- pruned runs.

-- One row per condition: the same fingerprint firing again reuses it.
CREATE TABLE alerts (
    id          bigserial   PRIMARY KEY,
    fingerprint text        NOT NULL UNIQUE,
    name        text        NOT NULL,
    kind        text        NOT NULL DEFAULT '',
    pipeline    text        NOT NULL DEFAULT '',
    env         text        NOT NULL DEFAULT '',
    labels      jsonb       NOT NULL DEFAULT '{}',
    annotations jsonb       NOT NULL DEFAULT '{}',
    state       text        NOT NULL,
    starts_at   timestamptz NOT NULL,
    ends_at     timestamptz,
    updated_at  timestamptz NOT NULL,
    run_id      bigint
);
-- The evaluation loop reads the firing alerts on every pass.
CREATE INDEX alerts_firing ON alerts (updated_at DESC) WHERE state = 'firing';
CREATE INDEX alerts_updated ON alerts (updated_at DESC, id DESC);
CREATE INDEX alerts_pipeline ON alerts (pipeline, env, updated_at DESC);

CREATE TABLE alert_groups (
    group_key     text        PRIMARY KEY,
    route         text        NOT NULL,
    labels        jsonb       NOT NULL DEFAULT '{}',
    created_at    timestamptz NOT NULL,
    next_flush_at timestamptz,
    channels      jsonb       NOT NULL DEFAULT '[]'
);

CREATE TABLE test_fires (
    id       bigserial   PRIMARY KEY,
    route    text        NOT NULL,
    actor    text        NOT NULL DEFAULT '',
    fired_at timestamptz NOT NULL,
    ok       boolean     NOT NULL DEFAULT false,
    channels jsonb       NOT NULL DEFAULT '[]',
    failed   jsonb       NOT NULL DEFAULT '[]'
);
-- The gate asks for a route's newest successful test-fire.
CREATE INDEX test_fires_route ON test_fires (route, ok, id DESC);

CREATE TABLE alert_deliveries (
    id           bigserial   PRIMARY KEY,
    group_key    text        NOT NULL DEFAULT '',
    test_fire_id bigint      REFERENCES test_fires (id) ON DELETE CASCADE,
    channel      text        NOT NULL,
    type         text        NOT NULL DEFAULT '',
    kind         text        NOT NULL,
    alerts       jsonb       NOT NULL DEFAULT '[]',
    ok           boolean     NOT NULL DEFAULT false,
    status       integer     NOT NULL DEFAULT 0,
    attempts     integer     NOT NULL DEFAULT 0,
    error        text        NOT NULL DEFAULT '',
    retryable    boolean     NOT NULL DEFAULT false,
    sent_at      timestamptz NOT NULL,
    duration_us  bigint      NOT NULL DEFAULT 0
);
CREATE INDEX alert_deliveries_group ON alert_deliveries (group_key, id DESC);
CREATE INDEX alert_deliveries_test_fire ON alert_deliveries (test_fire_id) WHERE test_fire_id IS NOT NULL;

-- Which alerts each delivery carried, for an alert's delivery history.
CREATE TABLE alert_delivery_alerts (
    fingerprint text   NOT NULL,
    delivery_id bigint NOT NULL REFERENCES alert_deliveries (id) ON DELETE CASCADE,
    PRIMARY KEY (fingerprint, delivery_id)
);

CREATE TABLE silences (
    id         bigserial   PRIMARY KEY,
    matchers   jsonb       NOT NULL,
    created_by text        NOT NULL DEFAULT '',
    reason     text        NOT NULL DEFAULT '',
    starts_at  timestamptz NOT NULL,
    ends_at    timestamptz NOT NULL,
    created_at timestamptz NOT NULL,
    expired_by text        NOT NULL DEFAULT ''
);
CREATE INDEX silences_ends_at ON silences (ends_at);
