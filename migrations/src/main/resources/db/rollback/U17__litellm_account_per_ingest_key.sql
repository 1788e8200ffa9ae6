-- Undoes V17: every key bills the user its LiteLLM records name.
ALTER TABLE ingest_api_keys DROP COLUMN litellm_account;
