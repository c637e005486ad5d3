-- The audit trail (CloudTrail-like): one row per control-plane call, call of Hoard's own API, and
-- data-plane write or login, refused ones included. Written in batches by core/audit.ts; rows
-- older than HOARD_AUDIT_RETENTION_DAYS are pruned in the background. No secret is ever stored:
-- the row holds who, what, where and the outcome, never a header, token, password or body.
CREATE TABLE audit_event (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  event_time timestamptz NOT NULL,
  -- the account whose resource or API was called (the domain owner, the admin target account);
  -- null when the request named none and its caller is unknown
  account_id text,
  -- 'anonymous' when the call carried no (valid) credentials
  principal_arn text NOT NULL,
  principal_account text,
  source_ip text,
  user_agent text,
  -- CodeArtifact's action name (codeartifact:PublishPackageVersion) or Hoard's (hoard:CreateUser)
  action text NOT NULL,
  resource_arn text,
  request_id text NOT NULL,
  -- 'Success', or the error code the caller was refused with (AccessDeniedException, ...)
  outcome text NOT NULL,
  http_status int NOT NULL,
  -- what a data-plane client did, in its own words (npm publish, twine upload, maven deploy <file>)
  detail text
);
CREATE INDEX audit_event_account_time ON audit_event (account_id, event_time DESC, id DESC);
CREATE INDEX audit_event_principal_account_time ON audit_event (principal_account, event_time DESC, id DESC);
CREATE INDEX audit_event_time ON audit_event (event_time);
