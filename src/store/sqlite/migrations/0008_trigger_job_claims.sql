-- 8: a process recovering trigger jobs claims them for a lease, so two processes never run one job twice.
ALTER TABLE trigger_jobs ADD COLUMN claimed_until INTEGER;
