-- npm: package-level metadata (dist-tags) and the precomputed packuments, one row per package
-- (a package row is already per repository). The documents are rebuilt in the transaction that
-- changes the package, so a warm packument GET is one indexed lookup and a write of bytes.
CREATE TABLE npm_package (
  package_id bigint PRIMARY KEY REFERENCES package (id) ON DELETE CASCADE,
  dist_tags jsonb NOT NULL DEFAULT '{}'::jsonb, -- as set by publish and dist-tag; the documents show only tags of visible versions
  rev bigint NOT NULL DEFAULT 0, -- bumped on every rebuild; the number part of _rev
  modified timestamptz NOT NULL DEFAULT now(), -- time.modified / abbreviated modified
  visible integer NOT NULL DEFAULT 0, -- Published versions in the documents
  full_doc text,
  full_etag text,
  abbr_doc text,
  abbr_etag text,
  search_text text NOT NULL DEFAULT '', -- lower-case name, description and keywords of the latest version
  summary jsonb -- the search result object of the latest version
);

-- Each version's packument entries, serialised once at publish (or rebuilt from package_version.metadata
-- when a version arrived another way), so a rebuild concatenates text instead of re-encoding JSON.
CREATE TABLE npm_version (
  version_id bigint PRIMARY KEY REFERENCES package_version (id) ON DELETE CASCADE,
  full_json text NOT NULL,
  abbr_json text NOT NULL
);

-- Documents are served far more often than written and are megabytes for big packages: keep them
-- uncompressed out of line, so neither a rebuild nor a cache miss pays for pglz.
ALTER TABLE npm_package ALTER COLUMN full_doc SET STORAGE EXTERNAL;
ALTER TABLE npm_package ALTER COLUMN abbr_doc SET STORAGE EXTERNAL;
