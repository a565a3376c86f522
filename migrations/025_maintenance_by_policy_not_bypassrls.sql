-- recorder_maintenance works across users by policy, not by BYPASSRLS (docs/architecture.md, "Roles").
-- PostgreSQL 16+ lets only a role that has BYPASSRLS create or alter one that has it, and Azure's administrator
-- has none, so the migrator now creates recorder_maintenance without it (AppRoles.cs). Each table under
-- row-level security gets a policy that lets recorder_maintenance see and write every row; its table grants
-- still bound what it may do. Clusters where the role was created with BYPASSRLS keep it: it changes nothing
-- beside these policies.

CREATE POLICY recordings_maintenance ON recordings TO recorder_maintenance USING (true) WITH CHECK (true);
CREATE POLICY recording_sessions_maintenance ON recording_sessions TO recorder_maintenance USING (true) WITH CHECK (true);
CREATE POLICY recording_edits_maintenance ON recording_edits TO recorder_maintenance USING (true) WITH CHECK (true);
CREATE POLICY user_storage_limits_maintenance ON user_storage_limits TO recorder_maintenance USING (true) WITH CHECK (true);
CREATE POLICY audit_log_maintenance ON audit_log TO recorder_maintenance USING (true) WITH CHECK (true);
CREATE POLICY retention_policies_maintenance ON retention_policies TO recorder_maintenance USING (true) WITH CHECK (true);
CREATE POLICY user_legal_holds_maintenance ON user_legal_holds TO recorder_maintenance USING (true) WITH CHECK (true);
CREATE POLICY privacy_exports_maintenance ON privacy_exports TO recorder_maintenance USING (true) WITH CHECK (true);
CREATE POLICY privacy_erasures_maintenance ON privacy_erasures TO recorder_maintenance USING (true) WITH CHECK (true);
CREATE POLICY privacy_subject_key_maintenance ON privacy_subject_key TO recorder_maintenance USING (true) WITH CHECK (true);

-- recorder_drop_expired_session_partitions runs as the schema owner (SECURITY DEFINER: dropping a partition
-- needs the owner) and keeps held users' sessions. FORCEd row-level security binds a non-superuser owner, who
-- would see no hold at all and drop them: the owner (this migration's role) reads every hold.
CREATE POLICY user_legal_holds_schema_owner_reads ON user_legal_holds FOR SELECT TO CURRENT_USER USING (true);
