-- Measurement: the arm of each decision, and one row per chosen action with its outcome flags, so that KPIs,
-- model reports and off-policy evaluation aggregate one table instead of parsing decision payloads.
ALTER TABLE decisions ADD COLUMN arm TEXT NOT NULL DEFAULT 'adaptive';
CREATE TABLE choices (
  decision_id TEXT NOT NULL,
  action_id TEXT NOT NULL,
  customer_id TEXT,
  channel TEXT NOT NULL,
  arm TEXT NOT NULL,
  issue TEXT NOT NULL,
  grp TEXT NOT NULL,
  at INTEGER NOT NULL,
  rank INTEGER NOT NULL,
  probability REAL NOT NULL,
  propensity REAL NOT NULL,
  value REAL NOT NULL,
  impression INTEGER NOT NULL DEFAULT 0,
  click INTEGER NOT NULL DEFAULT 0,
  accept INTEGER NOT NULL DEFAULT 0,
  reject INTEGER NOT NULL DEFAULT 0,
  convert INTEGER NOT NULL DEFAULT 0,
  expired INTEGER NOT NULL DEFAULT 0,
  outcome_value REAL NOT NULL DEFAULT 0,
  PRIMARY KEY (decision_id, action_id)
);
CREATE INDEX choices_at ON choices(at);
CREATE INDEX choices_action ON choices(action_id, at);
INSERT INTO choices (decision_id, action_id, customer_id, channel, arm, issue, grp, at, rank, probability,
                     propensity, value)
  SELECT d.id, json_extract(c.value, '$.actionId'), d.customer_id, d.channel, 'adaptive',
         json_extract(c.value, '$.issue'), json_extract(c.value, '$.group'), d.at,
         json_extract(c.value, '$.rank'), json_extract(c.value, '$.probability'),
         json_extract(c.value, '$.propensity'),
         coalesce((SELECT json_extract(k.value, '$.value') FROM json_each(d.payload, '$.candidates') k
                   WHERE json_extract(k.value, '$.actionId') = json_extract(c.value, '$.actionId')), 0)
  FROM decisions d, json_each(d.payload, '$.chosen') c;
UPDATE choices SET
  impression = EXISTS (SELECT 1 FROM outcomes o WHERE o.decision_id = choices.decision_id AND o.action_id = choices.action_id AND o.outcome = 'impression'),
  click = EXISTS (SELECT 1 FROM outcomes o WHERE o.decision_id = choices.decision_id AND o.action_id = choices.action_id AND o.outcome = 'click'),
  accept = EXISTS (SELECT 1 FROM outcomes o WHERE o.decision_id = choices.decision_id AND o.action_id = choices.action_id AND o.outcome = 'accept'),
  reject = EXISTS (SELECT 1 FROM outcomes o WHERE o.decision_id = choices.decision_id AND o.action_id = choices.action_id AND o.outcome = 'reject'),
  convert = EXISTS (SELECT 1 FROM outcomes o WHERE o.decision_id = choices.decision_id AND o.action_id = choices.action_id AND o.outcome = 'convert'),
  expired = EXISTS (SELECT 1 FROM outcomes o WHERE o.decision_id = choices.decision_id AND o.action_id = choices.action_id AND o.outcome = 'expired'),
  outcome_value = coalesce((SELECT sum(o.value) FROM outcomes o WHERE o.decision_id = choices.decision_id AND o.action_id = choices.action_id), 0);
