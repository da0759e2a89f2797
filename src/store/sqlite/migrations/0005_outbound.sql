-- 5: the outbound queue of triggered decisions. available_at: when a pending message may be claimed, or when
-- a claimed message's lease ends.
CREATE TABLE outbound (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  decision_id TEXT NOT NULL,
  customer_id TEXT NOT NULL,
  channel TEXT NOT NULL,
  trigger_id TEXT NOT NULL,
  event_at INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  status TEXT NOT NULL,
  available_at INTEGER NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  claim_token TEXT,
  last_error TEXT,
  done_at INTEGER,
  message TEXT NOT NULL
);
CREATE INDEX outbound_due ON outbound(status, channel, available_at);
CREATE INDEX outbound_customer ON outbound(customer_id);
CREATE INDEX outbound_created ON outbound(created_at);
CREATE INDEX events_type ON events(type, at);
CREATE INDEX choices_customer ON choices(customer_id, at);
