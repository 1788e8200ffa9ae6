-- Which account a LiteLLM record sent with the key bills: the user it names (as before), the key's team (billed as
-- the account 'team:<team_id>'), or the team when the record names no user. LiteLlmAccount in metering-core.
ALTER TABLE ingest_api_keys ADD COLUMN litellm_account TEXT NOT NULL DEFAULT 'user'
    CHECK (litellm_account IN ('user', 'team', 'team_when_no_user'));
