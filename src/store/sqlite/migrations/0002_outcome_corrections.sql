-- Response windows: a late positive takes back the negative an expired window taught.
ALTER TABLE outcomes ADD COLUMN corrects INTEGER NOT NULL DEFAULT 0;
