-- 9: periods in which a process could not use its store (degraded mode), recorded when it recovers; the audit trail.
CREATE TABLE degraded_periods (
  id INTEGER PRIMARY KEY,
  started_at INTEGER NOT NULL,
  ended_at INTEGER NOT NULL,
  reason TEXT NOT NULL
);
CREATE INDEX degraded_periods_ended ON degraded_periods (ended_at);

-- The audit trail: catalog, key and customer-data changes, append-only.
CREATE TABLE audit_log (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  at INTEGER NOT NULL,
  key_id TEXT,
  request_id TEXT,
  action TEXT NOT NULL,
  target TEXT NOT NULL,
  summary TEXT NOT NULL
);
CREATE INDEX audit_log_action ON audit_log (action, seq);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
