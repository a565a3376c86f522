-- Every request authenticated by a session cookie starts with recorder_session_user (020). As 020 wrote it, a SQL function
-- that cannot be inlined (SECURITY DEFINER), PostgreSQL planned it as returning 1 000 rows: the lookup's join to users
-- became a hash join over the whole users table, 43 ms a request with 100 000 users (bench/notes/mixed-load.md), and the
-- function's body was planned again at every call. It returns at most one row (sid is the primary key): ROWS 1 makes
-- the join an index lookup, and PL/pgSQL keeps the body's plan for the session. Same signature, result, owner,
-- SECURITY DEFINER, search_path and grants (CREATE OR REPLACE keeps the last two).
CREATE OR REPLACE FUNCTION recorder_session_user(session_id varchar)
RETURNS TABLE (expire timestamp, user_id varchar)
LANGUAGE plpgsql
STABLE
SECURITY DEFINER
SET search_path = public, pg_temp
ROWS 1
AS $$
BEGIN
  -- Replit Auth keeps the OIDC claims in passport.user; a plain passport strategy keeps the id itself.
  RETURN QUERY
  SELECT s.expire,
         NULLIF(COALESCE(
           CASE WHEN jsonb_typeof(s.sess -> 'passport' -> 'user' -> 'claims' -> 'sub') = 'string' THEN s.sess -> 'passport' -> 'user' -> 'claims' ->> 'sub' END,
           CASE WHEN jsonb_typeof(s.sess -> 'passport' -> 'user') = 'string' THEN s.sess -> 'passport' ->> 'user' END
         ), '')::varchar
  FROM sessions s
  WHERE s.sid = session_id;
END
$$;
