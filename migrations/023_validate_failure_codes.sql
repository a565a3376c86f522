-- Checks the rows that 013 and 022 left unchecked (their NOT VALID constraint). VALIDATE takes only
-- SHARE UPDATE EXCLUSIVE, so reads and writes go on while it scans; it runs in a migration of its own
-- because within 022's transaction the ADD's ACCESS EXCLUSIVE lock would still be held.
ALTER TABLE recordings VALIDATE CONSTRAINT recordings_failure_code_check;
