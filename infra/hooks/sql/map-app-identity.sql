-- Maps the app's managed identity to the database roles created by migration 006. Run by
-- infra/hooks/postprovision.sh as the PostgreSQL Microsoft Entra administrator, on the `postgres`
-- database, after `recorder migrate`, with psql variables identity_name and identity_object_id.
-- Idempotent: every deployment runs it again.
--
-- 1. A login role for the identity: Azure's pgaadauth maps the role to the identity's object id, so
--    the app logs in with `Username=<identity name>` and an Entra token as its password.
-- 2. Membership in recorder_app and recorder_maintenance WITH INHERIT FALSE, SET TRUE: the login
--    role has no privileges of its own; each connection pool takes one role with the startup option
--    `-c role=recorder_app` (HTTP functions, row-level security applies) or
--    `-c role=recorder_maintenance` (timers and ingest: row-level security policies of its own let it
--    work across users, migration 025). No role of the app has BYPASSRLS.
\set ON_ERROR_STOP on

SELECT pgaadauth_create_principal_with_oid(:'identity_name', :'identity_object_id', 'service', false, false)
WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'identity_name');

GRANT recorder_app TO :"identity_name" WITH INHERIT FALSE, SET TRUE;
GRANT recorder_maintenance TO :"identity_name" WITH INHERIT FALSE, SET TRUE;
-- The administrator itself may act as recorder_maintenance (never by inheritance): `recorder replay-erasures`
-- after a restore runs so, from the postprovision hook.
GRANT recorder_maintenance TO CURRENT_USER WITH INHERIT FALSE, SET TRUE;

-- What the app will find: the identity's login and the two roles, none a superuser or bypassing RLS.
SELECT r.rolname, r.rolcanlogin, r.rolbypassrls, r.rolsuper
FROM pg_roles r
WHERE r.rolname IN (:'identity_name', 'recorder_app', 'recorder_maintenance')
ORDER BY r.rolname;
