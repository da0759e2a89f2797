-- 7: models folded from the outcome log (src/engine/models.ts): which learned outcomes the stored models
-- include, and the generation each stored model was written in.
ALTER TABLE outcomes ADD COLUMN folded INTEGER NOT NULL DEFAULT 0;
UPDATE outcomes SET folded = 1 WHERE learned = 1
  AND seq <= coalesce((SELECT CAST(value AS INTEGER) FROM settings WHERE key = 'models.seq'), 0);
CREATE INDEX outcomes_unfolded ON outcomes(seq) WHERE learned = 1 AND folded = 0;
ALTER TABLE models ADD COLUMN version INTEGER NOT NULL DEFAULT 0;
DELETE FROM settings WHERE key = 'models.seq';
