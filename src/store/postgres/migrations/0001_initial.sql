-- 1: the whole schema (the SQLite migrations 1–8 as one). Times are epoch milliseconds (BIGINT), flags 0/1
-- (SMALLINT), JSON documents text, like the SQLite dialect, so that both map rows the same way (src/store/rows.ts).
CREATE TABLE customers (
  id TEXT PRIMARY KEY,
  attributes TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE TABLE catalogs (
  version BIGSERIAL PRIMARY KEY,
  hash TEXT NOT NULL,
  source TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  active SMALLINT NOT NULL DEFAULT 0
);
CREATE TABLE decisions (
  id TEXT PRIMARY KEY,
  customer_id TEXT,
  channel TEXT NOT NULL,
  at BIGINT NOT NULL,
  catalog_version BIGINT NOT NULL,
  model_version TEXT NOT NULL,
  arm TEXT NOT NULL DEFAULT 'adaptive',
  payload TEXT NOT NULL
);
CREATE INDEX decisions_customer ON decisions(customer_id, at);
CREATE INDEX decisions_at ON decisions(at, id);
CREATE TABLE outcomes (
  seq BIGSERIAL PRIMARY KEY,
  decision_id TEXT NOT NULL,
  action_id TEXT NOT NULL,
  outcome TEXT NOT NULL,
  value DOUBLE PRECISION,
  at BIGINT NOT NULL,
  customer_id TEXT,
  learned SMALLINT NOT NULL DEFAULT 0,
  corrects BIGINT NOT NULL DEFAULT 0,
  folded SMALLINT NOT NULL DEFAULT 0,
  UNIQUE (decision_id, action_id, outcome)
);
CREATE INDEX outcomes_customer ON outcomes(customer_id);
CREATE INDEX outcomes_learned ON outcomes(learned, seq);
CREATE INDEX outcomes_unfolded ON outcomes(seq) WHERE learned = 1 AND folded = 0;
CREATE TABLE interactions (
  id BIGSERIAL PRIMARY KEY,
  customer_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  action_id TEXT NOT NULL,
  issue TEXT NOT NULL,
  grp TEXT NOT NULL,
  channel TEXT NOT NULL,
  at BIGINT NOT NULL
);
CREATE INDEX interactions_customer ON interactions(customer_id, at);
CREATE TABLE budget_usage (
  action_id TEXT NOT NULL,
  day BIGINT NOT NULL,
  count BIGINT NOT NULL,
  PRIMARY KEY (action_id, day)
);
CREATE TABLE models (
  key TEXT PRIMARY KEY,
  state TEXT NOT NULL,
  updated_at BIGINT NOT NULL,
  version BIGINT NOT NULL DEFAULT 0
);
CREATE TABLE settings (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
CREATE TABLE choices (
  decision_id TEXT NOT NULL,
  action_id TEXT NOT NULL,
  customer_id TEXT,
  channel TEXT NOT NULL,
  arm TEXT NOT NULL,
  issue TEXT NOT NULL,
  grp TEXT NOT NULL,
  at BIGINT NOT NULL,
  rank INTEGER NOT NULL,
  probability DOUBLE PRECISION NOT NULL,
  propensity DOUBLE PRECISION NOT NULL,
  value DOUBLE PRECISION NOT NULL,
  impression SMALLINT NOT NULL DEFAULT 0,
  click SMALLINT NOT NULL DEFAULT 0,
  accept SMALLINT NOT NULL DEFAULT 0,
  reject SMALLINT NOT NULL DEFAULT 0,
  convert SMALLINT NOT NULL DEFAULT 0,
  expired SMALLINT NOT NULL DEFAULT 0,
  outcome_value DOUBLE PRECISION NOT NULL DEFAULT 0,
  PRIMARY KEY (decision_id, action_id)
);
CREATE INDEX choices_at ON choices(at, decision_id, action_id);
CREATE INDEX choices_action ON choices(action_id, at);
CREATE INDEX choices_customer ON choices(customer_id, at);
CREATE TABLE events (
  seq BIGSERIAL PRIMARY KEY,
  customer_id TEXT NOT NULL,
  type TEXT NOT NULL,
  at BIGINT NOT NULL,
  channel TEXT,
  payload TEXT NOT NULL,
  received_at BIGINT NOT NULL
);
CREATE INDEX events_customer ON events(customer_id, at, seq);
CREATE INDEX events_type ON events(type, at);
CREATE TABLE customer_features (
  customer_id TEXT PRIMARY KEY,
  state TEXT NOT NULL
);
CREATE TABLE outbound (
  id BIGSERIAL PRIMARY KEY,
  decision_id TEXT NOT NULL,
  customer_id TEXT NOT NULL,
  channel TEXT NOT NULL,
  trigger_id TEXT NOT NULL,
  event_at BIGINT NOT NULL,
  created_at BIGINT NOT NULL,
  status TEXT NOT NULL,
  available_at BIGINT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  claim_token TEXT,
  last_error TEXT,
  done_at BIGINT,
  message TEXT NOT NULL
);
CREATE INDEX outbound_due ON outbound(status, channel, available_at);
CREATE INDEX outbound_customer ON outbound(customer_id);
CREATE INDEX outbound_created ON outbound(created_at);
CREATE TABLE trigger_jobs (
  id BIGSERIAL PRIMARY KEY,
  event_seq BIGINT NOT NULL,
  trigger_id TEXT NOT NULL,
  customer_id TEXT NOT NULL,
  event TEXT NOT NULL,
  features TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  claimed_until BIGINT
);
CREATE INDEX trigger_jobs_created ON trigger_jobs(created_at);
