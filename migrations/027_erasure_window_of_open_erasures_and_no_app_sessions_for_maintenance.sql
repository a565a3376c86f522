-- 021 gave erasures open at the time a '-infinity' dead-letter window (read every dead letter), but its UPDATE ran
-- as the owner under FORCEd row-level security: on a non-superuser owner (Azure's administrator) it matched no row,
-- and those erasures kept NULL, read as "the user never had a recording", skipping the dead-letter scan. Lifted for
-- this statement only, as 010 did; erasures opened after 021 set their window themselves and are left alone.
ALTER TABLE privacy_erasures NO FORCE ROW LEVEL SECURITY;
UPDATE privacy_erasures SET dead_letters_since = '-infinity'
WHERE status <> 'completed' AND dead_letters_since IS NULL
  AND requested_at <= (SELECT applied_at FROM schema_migrations WHERE name = '021_erasure_dead_letter_window.sql');
ALTER TABLE privacy_erasures FORCE ROW LEVEL SECURITY;

-- recorder_maintenance never reads the main app's sessions (cookie contents, OAuth tokens); 020 narrowed recorder_app.
REVOKE SELECT ON sessions FROM recorder_maintenance;
