-- An erasure reads only the dead-lettered events that can concern its user (docs/privacy.md, "Dead letters").
--
-- Event Grid writes each event it could not deliver into the dead-letter container under the UTC hour it wrote
-- it ({SUBSCRIPTION}/{year}/{month}/{day}/{hour}/{guid}.json). An event about one of the user's blobs cannot
-- be written before the user's first upload, and no upload comes before its recording's row, whose creation is
-- audited about the user in the same transaction. dead_letters_since is the earliest of those times, taken when
-- the erasure opens (the rows and audit entries go with the erasure): the erasure lists the dead-letter folders
-- from then on and downloads only what they hold, not the whole container. NULL: the user never had a
-- recording, so no dead letter names them. Cleared with user_id when the erasure completes.

ALTER TABLE privacy_erasures ADD COLUMN dead_letters_since TIMESTAMPTZ;

-- Erasures open at this migration keep reading every dead letter, as erasures did before (the migration, bound
-- by row-level security like any owner's statement, cannot see the rows the window would come from).
UPDATE privacy_erasures SET dead_letters_since = '-infinity' WHERE status <> 'completed';

ALTER TABLE privacy_erasures ADD CONSTRAINT privacy_erasures_completed_forgets_window
  CHECK (status <> 'completed' OR dead_letters_since IS NULL);
