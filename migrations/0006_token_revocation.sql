-- Revocation of authorization tokens: tokens a principal was issued before this time are void.
-- Set when one of the principal's access keys is deleted (a token outlives the key it was minted
-- with otherwise, for up to 12 hours). Null: no token of the principal has been voided.
ALTER TABLE principal ADD COLUMN tokens_valid_after timestamptz;
