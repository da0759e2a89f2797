-- 2: periods in which a process could not use its store (degraded mode), recorded when it recovers.
CREATE TABLE degraded_periods (
  id BIGSERIAL PRIMARY KEY,
  started_at BIGINT NOT NULL,
  ended_at BIGINT NOT NULL,
  reason TEXT NOT NULL
);
CREATE INDEX degraded_periods_ended ON degraded_periods (ended_at);
