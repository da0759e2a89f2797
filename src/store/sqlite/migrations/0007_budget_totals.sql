-- 7: an action's total use as one row, so a commit reserves a total budget with one conditional update.
CREATE TABLE budget_totals (
  action_id TEXT PRIMARY KEY,
  count INTEGER NOT NULL
);
INSERT INTO budget_totals (action_id, count) SELECT action_id, sum(count) FROM budget_usage GROUP BY action_id;
