-- 11: publishable keys (for web pages) name the origins and channels they may be used from (comma-separated).
ALTER TABLE api_keys ADD COLUMN origins TEXT;
ALTER TABLE api_keys ADD COLUMN channels TEXT;
