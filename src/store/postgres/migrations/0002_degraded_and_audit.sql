-- 2: periods in which a process could not use its store (degraded mode), recorded when it recovers.
CREATE TABLE degraded_periods (
  id BIGSERIAL PRIMARY KEY,
  started_at BIGINT NOT NULL,
  ended_at BIGINT NOT NULL,
  reason TEXT NOT NULL
);
CREATE INDEX degraded_periods_ended ON degraded_periods (ended_at);

-- The audit trail: catalog, key and customer-data changes, append-only.
CREATE TABLE audit_log (
  seq BIGSERIAL PRIMARY KEY,
  at BIGINT NOT NULL,
  key_id TEXT,
  request_id TEXT,
  action TEXT NOT NULL,
  target TEXT NOT NULL,
  summary TEXT NOT NULL
);
CREATE INDEX audit_log_action ON audit_log (action, seq);
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'the audit log is append-only';
END $$;
CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
