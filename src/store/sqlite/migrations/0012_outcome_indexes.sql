-- 12: plans that stay flat as the log grows. The index on (learned, seq) led SQLite's planner, which has no
-- statistics of its own, to read every learned outcome where a decision's own were wanted (an outcome's
-- "already taught?" check, the response-window sweep, retention): each of those grew with the table. Without it
-- they use the unique index on (decision_id, action_id, outcome), and the fold uses the partial index of the
-- unfolded outcomes. Retention asks whether a decision has an undelivered message: by decision, indexed.
DROP INDEX outcomes_learned;
CREATE INDEX outbound_decision ON outbound(decision_id);
-- A customer's older accepts and conversions ("accepted ever" policies) without reading all their contacts.
CREATE INDEX interactions_accepts ON interactions(customer_id, at) WHERE kind IN ('accept', 'convert');
