-- PyPI: what the simple API needs per file beyond the asset row, and the precomputed project pages,
-- one row per package (a package row is already per repository). The pages are rebuilt in the
-- transaction that changes the package, so a warm project page GET is one indexed lookup.
CREATE TABLE pypi_file (
  asset_id bigint PRIMARY KEY REFERENCES asset (id) ON DELETE CASCADE,
  version_id bigint NOT NULL REFERENCES package_version (id) ON DELETE CASCADE,
  packagetype text NOT NULL CHECK (packagetype IN ('bdist_wheel', 'sdist')),
  python_version text NOT NULL, -- 'source' for sdists, the wheel's python tag otherwise
  requires_python text,
  blake2b_256 char(64) NOT NULL,
  core_metadata bytea, -- the wheel's *.dist-info/METADATA, served as <file>.metadata (PEP 658)
  core_metadata_sha256 char(64),
  uploaded_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX pypi_file_version ON pypi_file (version_id);

CREATE TABLE pypi_project (
  package_id bigint PRIMARY KEY REFERENCES package (id) ON DELETE CASCADE,
  files integer NOT NULL DEFAULT 0, -- files visible on the page (0: the project is not listed)
  entries text NOT NULL, -- JSON: the visible files, the input of merged (upstream chain) pages and the JSON API
  html_doc text NOT NULL,
  html_etag text NOT NULL,
  json_doc text NOT NULL,
  json_etag text NOT NULL,
  serial bigint NOT NULL DEFAULT 0, -- bumped on every rebuild
  modified timestamptz NOT NULL DEFAULT now()
);
