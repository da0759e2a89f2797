-- 4: customer events and their derived-feature state.
CREATE TABLE events (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  customer_id TEXT NOT NULL,
  type TEXT NOT NULL,
  at INTEGER NOT NULL,
  channel TEXT,
  payload TEXT NOT NULL,
  received_at INTEGER NOT NULL
);
CREATE INDEX events_customer ON events(customer_id, at);
CREATE TABLE customer_features (
  customer_id TEXT PRIMARY KEY,
  state TEXT NOT NULL
);
