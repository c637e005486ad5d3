-- Web UI sessions (src/ui/session.ts). The cookie carries a random id; only its SHA-256 is stored,
-- so a copy of this table signs no one in. Sign-out deletes the row; a row past expires_at is
-- refused and purged. A session made from an authorization token is limited to that token's
-- domain (token_domain, token_owner) and never outlives it.
CREATE TABLE ui_session (
  id_hash text PRIMARY KEY,
  principal_arn text NOT NULL,
  principal_id bigint NOT NULL REFERENCES principal (id) ON DELETE CASCADE,
  via text NOT NULL CHECK (via IN ('access-key', 'token')),
  token_domain text,
  token_owner char(12),
  csrf text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL
);
CREATE INDEX ui_session_expires ON ui_session (expires_at);
