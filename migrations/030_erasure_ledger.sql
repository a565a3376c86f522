-- The erasure ledger (docs/privacy.md, "Erasures survive restores"): each erasure's entry in the immutable ledger
-- container is named by ledger_id, which a replay onto a restored database gives its own erasure, so a second
-- replay finds it and does nothing. ledgered_recordings: the recordings the ledger has for this erasure.
ALTER TABLE privacy_erasures
  ADD COLUMN ledger_id UUID NOT NULL DEFAULT gen_random_uuid(),
  ADD COLUMN ledgered_recordings BIGINT[];

CREATE UNIQUE INDEX idx_privacy_erasures_ledger_id ON privacy_erasures (ledger_id);

-- 'replay': an erasure `recorder replay-erasures` re-applied from the ledger to a restored database.
ALTER TABLE privacy_erasures DROP CONSTRAINT privacy_erasures_requested_by_check;
ALTER TABLE privacy_erasures ADD CONSTRAINT privacy_erasures_requested_by_check
  CHECK (requested_by IN ('user', 'operator', 'replay'));
