-- Package groups (reference §1.11): one row per pattern in a domain, with its own origin
-- restriction modes; the hierarchy (parent) and associations are computed from the patterns, so
-- deleting a group re-parents its children by itself. The root group /* exists in every domain.
CREATE TABLE package_group (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  domain_id bigint NOT NULL REFERENCES domain (id) ON DELETE CASCADE,
  pattern text NOT NULL,
  description text,
  contact_info text,
  publish_mode text NOT NULL DEFAULT 'INHERIT',
  external_upstream_mode text NOT NULL DEFAULT 'INHERIT',
  internal_upstream_mode text NOT NULL DEFAULT 'INHERIT',
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (domain_id, pattern),
  CHECK (publish_mode IN ('ALLOW', 'BLOCK', 'ALLOW_SPECIFIC_REPOSITORIES', 'INHERIT')),
  CHECK (external_upstream_mode IN ('ALLOW', 'BLOCK', 'ALLOW_SPECIFIC_REPOSITORIES', 'INHERIT')),
  CHECK (internal_upstream_mode IN ('ALLOW', 'BLOCK', 'ALLOW_SPECIFIC_REPOSITORIES', 'INHERIT'))
);

-- The per-restriction allow lists (ALLOW_SPECIFIC_REPOSITORIES); a deleted repository leaves them.
CREATE TABLE package_group_allowed_repository (
  group_id bigint NOT NULL REFERENCES package_group (id) ON DELETE CASCADE,
  restriction_type text NOT NULL CHECK (restriction_type IN ('EXTERNAL_UPSTREAM', 'INTERNAL_UPSTREAM', 'PUBLISH')),
  repository_id bigint NOT NULL REFERENCES repository (id) ON DELETE CASCADE,
  PRIMARY KEY (group_id, restriction_type, repository_id)
);
CREATE INDEX package_group_allowed_repository_repo ON package_group_allowed_repository (repository_id);

-- Every existing domain gets its root group, allowing everything (CodeArtifact's default).
INSERT INTO package_group (domain_id, pattern, publish_mode, external_upstream_mode, internal_upstream_mode, created_at)
SELECT id, '/*', 'ALLOW', 'ALLOW', 'ALLOW', created_at FROM domain;
