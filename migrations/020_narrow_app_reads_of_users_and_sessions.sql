-- recorder_app reads of the main app's users and sessions narrowed to what authentication needs
-- (docs/architecture.md, "Roles"; docs/security.md). Until now 006 let it SELECT every column of both:
-- users.password (the app's password hashes), e-mail and names, and sessions.sess of every session,
-- which holds the users' OAuth access and refresh tokens.
--
--   users     only id and is_active (column privileges): who the caller is and whether they may act.
--   sessions  nothing. recorder_session_user(sid) answers for one session, named by its id (a secret
--             the caller must already hold), its expiry and the user id taken out of sess; the rest of
--             sess never reaches the app role.
--
-- The function is SECURITY DEFINER, so it runs as this migration's role (the schema owner, who granted
-- 006's reads and so may read sessions itself; no superuser power is used), with a fixed search_path, and
-- only recorder_app may execute it. recorder_maintenance keeps 006's reads: it is not the request path.

-- Replit Auth keeps the OIDC claims in passport.user; a plain passport strategy keeps the id itself.
CREATE FUNCTION recorder_session_user(session_id varchar)
RETURNS TABLE (expire timestamp, user_id varchar)
LANGUAGE sql
STABLE
SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
  SELECT s.expire,
         NULLIF(COALESCE(
           CASE WHEN jsonb_typeof(s.sess -> 'passport' -> 'user' -> 'claims' -> 'sub') = 'string' THEN s.sess -> 'passport' -> 'user' -> 'claims' ->> 'sub' END,
           CASE WHEN jsonb_typeof(s.sess -> 'passport' -> 'user') = 'string' THEN s.sess -> 'passport' ->> 'user' END
         ), '')::varchar
  FROM sessions s
  WHERE s.sid = session_id
$$;

REVOKE ALL ON FUNCTION recorder_session_user(varchar) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION recorder_session_user(varchar) TO recorder_app;

REVOKE SELECT ON sessions FROM recorder_app;
-- A table-level REVOKE takes the column privileges with it; the two columns are granted back alone.
REVOKE SELECT ON users FROM recorder_app;
GRANT SELECT (id, is_active) ON users TO recorder_app;
