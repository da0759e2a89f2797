-- 4: an outcome's `folded` holds the generation of the fold that taught it to the stored models (0: not yet),
-- so that the log says the order in which the models learned (PostgreSQL folds in commit order). A generation
-- per checkpoint outgrows SMALLINT within a day.
ALTER TABLE outcomes ALTER COLUMN folded TYPE INTEGER;
