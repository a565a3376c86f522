-- Legal holds bind every deletion of recording data, not only retention (docs/operations.md, "Retention
-- policies and legal holds"; docs/privacy.md, "Legal holds"), and an erasure removes what other features keep
-- about the user.
--
-- DELETE /api/recordings/{id} runs as recorder_app (RLS-bound) and must see whether its caller is under a hold.
-- Least privilege: only the user_id column (never the reason or when it was placed, which are the operator's),
-- and only the caller's own row, by the same policy form as 007's. Holds stay read-only for the app: only
-- recorder_maintenance (the operator's CLI) places and lifts them.
GRANT SELECT (user_id) ON user_legal_holds TO recorder_app;
CREATE POLICY user_legal_holds_owner_reads ON user_legal_holds FOR SELECT
  USING (user_id = (SELECT NULLIF(current_setting('app.user_id', true), '')));

-- Erasure (recorder_maintenance) removes the user's storage_usage alerts (subject: the user id). It already may
-- delete retention_policies rows (013).
GRANT DELETE ON alerts TO recorder_maintenance;
