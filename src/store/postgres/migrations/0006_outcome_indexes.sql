-- 6: as SQLite's 12: no index on (learned, seq), whose first column tells two values apart and tempted the
-- planner before statistics existed; an outcome's, a choice's and a decision's own outcomes are found by the
-- unique index on (decision_id, action_id, outcome), unfolded ones by the partial index. Retention asks whether
-- a decision has an undelivered message: by decision, indexed.
DROP INDEX outcomes_learned;
CREATE INDEX outbound_decision ON outbound(decision_id);
-- A customer's older accepts and conversions ("accepted ever" policies) without reading all their contacts.
CREATE INDEX interactions_accepts ON interactions(customer_id, at) WHERE kind IN ('accept', 'convert');
