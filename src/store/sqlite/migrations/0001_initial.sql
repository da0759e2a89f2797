-- 1: customers, catalogs, decisions, outcomes, interaction history, budgets, models and settings.
CREATE TABLE customers (
  id TEXT PRIMARY KEY,
  attributes TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE TABLE catalogs (
  version INTEGER PRIMARY KEY AUTOINCREMENT,
  hash TEXT NOT NULL,
  source TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  active INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE decisions (
  id TEXT PRIMARY KEY,
  customer_id TEXT,
  channel TEXT NOT NULL,
  at INTEGER NOT NULL,
  catalog_version INTEGER NOT NULL,
  model_version TEXT NOT NULL,
  payload TEXT NOT NULL
);
CREATE INDEX decisions_customer ON decisions(customer_id, at);
CREATE INDEX decisions_at ON decisions(at);
CREATE TABLE outcomes (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  decision_id TEXT NOT NULL,
  action_id TEXT NOT NULL,
  outcome TEXT NOT NULL,
  value REAL,
  at INTEGER NOT NULL,
  customer_id TEXT,
  learned INTEGER NOT NULL DEFAULT 0,
  UNIQUE (decision_id, action_id, outcome)
);
CREATE INDEX outcomes_customer ON outcomes(customer_id);
CREATE INDEX outcomes_learned ON outcomes(learned, seq);
CREATE TABLE interactions (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  customer_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  action_id TEXT NOT NULL,
  issue TEXT NOT NULL,
  grp TEXT NOT NULL,
  channel TEXT NOT NULL,
  at INTEGER NOT NULL
);
CREATE INDEX interactions_customer ON interactions(customer_id, at);
CREATE TABLE budget_usage (
  action_id TEXT NOT NULL,
  day INTEGER NOT NULL,
  count INTEGER NOT NULL,
  PRIMARY KEY (action_id, day)
);
CREATE TABLE models (
  key TEXT PRIMARY KEY,
  state TEXT NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE TABLE settings (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
