-- 6: triggers that fired on stored events, until their decisions are logged (see TriggerJob).
CREATE TABLE trigger_jobs (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  event_seq INTEGER NOT NULL,
  trigger_id TEXT NOT NULL,
  customer_id TEXT NOT NULL,
  event TEXT NOT NULL,
  features TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE INDEX trigger_jobs_created ON trigger_jobs(created_at);
