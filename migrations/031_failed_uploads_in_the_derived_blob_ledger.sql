-- A failed upload's blob is kept for a grace period, then removed through the derived-blob ledger like any blob that
-- outlived its use (docs/ingest.md, "Checks before probing"): the ledger also names blobs of the uploads container.
ALTER TABLE derived_blobs DROP CONSTRAINT derived_blobs_container_check;
ALTER TABLE derived_blobs ADD CONSTRAINT derived_blobs_container_check
  CHECK (container IN ('processed', 'thumbnails', 'uploads'));
