-- When each kind of browser call (heartbeat, renewal, upload read) last read a recording's block list with the server's
-- identity: a kind reads at most once per LiveUpload__BlockListReadInterval (docs/ingest.md, "Live uploads").
-- A nullable column changes no row.
ALTER TABLE recordings ADD COLUMN IF NOT EXISTS block_list_reads JSONB;
