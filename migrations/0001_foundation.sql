-- Identity: accounts, principals (root and users), access keys, identity policies.
CREATE TABLE account (
  id char(12) PRIMARY KEY,
  is_operator boolean NOT NULL DEFAULT false, -- the first account; its root may create accounts
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE principal (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  account_id char(12) NOT NULL REFERENCES account (id) ON DELETE CASCADE,
  kind text NOT NULL CHECK (kind IN ('root', 'user')),
  user_name text,
  created_at timestamptz NOT NULL DEFAULT now(),
  CHECK ((kind = 'root') = (user_name IS NULL))
);
CREATE UNIQUE INDEX principal_root_per_account ON principal (account_id) WHERE kind = 'root';
CREATE UNIQUE INDEX principal_user_name ON principal (account_id, user_name) WHERE kind = 'user';

CREATE TABLE access_key (
  id text PRIMARY KEY,
  principal_id bigint NOT NULL REFERENCES principal (id) ON DELETE CASCADE,
  secret_enc text NOT NULL, -- AES-256-GCM under the master key, never plain
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX access_key_principal ON access_key (principal_id);

CREATE TABLE identity_policy (
  principal_id bigint PRIMARY KEY REFERENCES principal (id) ON DELETE CASCADE,
  document text NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- Domains and repositories.
CREATE TABLE domain (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  owner char(12) NOT NULL REFERENCES account (id),
  name text NOT NULL,
  encryption_key text,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (owner, name)
);

CREATE TABLE repository (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  domain_id bigint NOT NULL REFERENCES domain (id),
  name text NOT NULL,
  administrator char(12) NOT NULL REFERENCES account (id),
  description text,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (domain_id, name)
);
CREATE INDEX repository_administrator ON repository (administrator, name);

CREATE TABLE repository_upstream (
  repository_id bigint NOT NULL REFERENCES repository (id) ON DELETE CASCADE,
  position integer NOT NULL,
  upstream_id bigint NOT NULL REFERENCES repository (id),
  PRIMARY KEY (repository_id, position),
  UNIQUE (repository_id, upstream_id)
);
CREATE INDEX repository_upstream_upstream ON repository_upstream (upstream_id);

CREATE TABLE external_connection (
  repository_id bigint PRIMARY KEY REFERENCES repository (id) ON DELETE CASCADE, -- at most one per repository
  name text NOT NULL,
  package_format text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

-- Resource policies (domain or repository) with an optimistic-locking revision.
CREATE TABLE resource_policy (
  resource_arn text PRIMARY KEY,
  domain_id bigint NOT NULL REFERENCES domain (id) ON DELETE CASCADE,
  repository_id bigint REFERENCES repository (id) ON DELETE CASCADE,
  document text NOT NULL,
  revision text NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX resource_policy_domain ON resource_policy (domain_id) WHERE repository_id IS NULL;
CREATE UNIQUE INDEX resource_policy_repository ON resource_policy (repository_id) WHERE repository_id IS NOT NULL;

CREATE TABLE resource_tag (
  resource_arn text NOT NULL,
  domain_id bigint NOT NULL REFERENCES domain (id) ON DELETE CASCADE,
  repository_id bigint REFERENCES repository (id) ON DELETE CASCADE,
  key text NOT NULL,
  value text NOT NULL,
  PRIMARY KEY (resource_arn, key)
);

-- Packages, versions, assets. namespace '' means "none" so uniqueness holds without NULL tricks.
CREATE TABLE package (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  repository_id bigint NOT NULL REFERENCES repository (id) ON DELETE CASCADE,
  format text NOT NULL,
  namespace text NOT NULL DEFAULT '',
  name text NOT NULL,
  origin_publish text NOT NULL CHECK (origin_publish IN ('ALLOW', 'BLOCK')),
  origin_upstream text NOT NULL CHECK (origin_upstream IN ('ALLOW', 'BLOCK')),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (repository_id, format, namespace, name)
);
CREATE INDEX package_listing ON package (repository_id, format, namespace, name, id);

CREATE TABLE package_version (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  package_id bigint NOT NULL REFERENCES package (id) ON DELETE CASCADE,
  version text NOT NULL,
  status text NOT NULL CHECK (status IN ('Published', 'Unfinished', 'Unlisted', 'Archived', 'Disposed')),
  revision text NOT NULL,
  origin_type text NOT NULL CHECK (origin_type IN ('INTERNAL', 'EXTERNAL', 'UNKNOWN')),
  entry_repository text,
  entry_external_connection text,
  published_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  metadata jsonb NOT NULL DEFAULT '{}'::jsonb, -- summary, homePage, licenses, dependencies, readme, format manifest
  UNIQUE (package_id, version)
);
CREATE INDEX package_version_published ON package_version (package_id, published_at, id);

CREATE TABLE asset (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  version_id bigint NOT NULL REFERENCES package_version (id) ON DELETE CASCADE,
  name text NOT NULL,
  size bigint NOT NULL,
  sha256 char(64) NOT NULL,
  sha1 char(40) NOT NULL,
  md5 char(32) NOT NULL,
  sha512 char(128) NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (version_id, name)
);
CREATE INDEX asset_sha256 ON asset (sha256);

-- Blobs known to the store, per domain. last_put_at is a lease: a blob written (or about to
-- be) within the grace period is never collected, even before an asset references it.
CREATE TABLE blob (
  domain_id bigint NOT NULL REFERENCES domain (id),
  sha256 char(64) NOT NULL,
  size bigint NOT NULL,
  last_put_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (domain_id, sha256)
);

-- Outbox: every package-version change writes one row in the same transaction.
CREATE TABLE event (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, -- doubles as the per-package sequence number
  domain_id bigint NOT NULL,
  repository_id bigint NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  payload jsonb NOT NULL,
  dispatched_at timestamptz
);
CREATE INDEX event_undispatched ON event (id) WHERE dispatched_at IS NULL;

-- Audit trail of control-plane changes and refusals.
CREATE TABLE audit_record (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at timestamptz NOT NULL DEFAULT now(),
  request_id text NOT NULL,
  principal_arn text NOT NULL,
  action text NOT NULL,
  resource text NOT NULL,
  outcome text NOT NULL,
  detail text
);
CREATE INDEX audit_record_at ON audit_record (at);
