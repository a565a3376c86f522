-- recorder_drop_expired_session_partitions (013, 024) keeps a held user's sessions by inserting them into the
-- default partition, and the insert fires recording_sessions_require_recording (019), which checks a linked
-- recording under KEY SHARE as the caller: here the schema owner (SECURITY DEFINER). FORCEd row-level security
-- binds a non-superuser owner (Azure's administrator) and it sees no recording, so a held user's linked session in
-- an expired week failed the whole drop (23503), and session retention stopped for everyone.
--
-- The owner (this migration's role) now sees, and may lock, the recordings of users under a legal hold: the only
-- ones the drop keeps. A row lock needs an UPDATE policy's USING too; its WITH CHECK (false) lets the owner change
-- none of them through it. Read and lock only, and only held users' rows: what 025 did for the holds themselves.

CREATE POLICY recordings_schema_owner_sees_held ON recordings FOR SELECT TO CURRENT_USER
  USING (recorder_user_held(user_id));
CREATE POLICY recordings_schema_owner_locks_held ON recordings FOR UPDATE TO CURRENT_USER
  USING (recorder_user_held(user_id)) WITH CHECK (false);
