-- Maven: documents Hoard keeps per package, so reads never depend on what a client uploaded.
-- key 'artifact': the artifact-level maven-metadata.xml rendered from the package's Published
--   versions (info = versions, latest, release, lastUpdated), rebuilt in every transaction that
--   changes the package; the checksums of body are served as its .md5/.sha1/.sha256/.sha512.
-- key 'uploads': digests of recent metadata uploads (info.recent), to verify their checksum PUTs.
CREATE TABLE maven_document (
  package_id bigint NOT NULL REFERENCES package (id) ON DELETE CASCADE,
  key text NOT NULL,
  body text NOT NULL,
  info jsonb NOT NULL DEFAULT '{}'::jsonb,
  md5 char(32) NOT NULL,
  sha1 char(40) NOT NULL,
  sha256 char(64) NOT NULL,
  sha512 char(128) NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (package_id, key)
);
