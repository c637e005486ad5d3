-- External connections: what Hoard learned from an upstream registry, shared by every domain
-- (the same URL answers the same for all). One row per document (an npm packument, a PyPI project
-- page, a Maven maven-metadata.xml): the upstream's validators, when it last confirmed the copy,
-- and the adapter's processed forms of it (`parts`, e.g. npm's full and abbreviated packuments with
-- tarball URLs made relative). A 404 is kept too (negative cache, shorter TTL).
CREATE TABLE upstream_document (
  connection text NOT NULL,
  key text NOT NULL,
  status integer NOT NULL CHECK (status IN (200, 404)),
  etag text,
  last_modified text,
  parts text[] NOT NULL DEFAULT '{}',
  revision text NOT NULL, -- changes whenever parts change: a cache key for what is derived from them
  fetched_at timestamptz NOT NULL, -- when the upstream last confirmed this copy (200 or 304)
  PRIMARY KEY (connection, key)
);

-- One fetch of one thing at a time across replicas: the replica that inserts the row fetches,
-- the others wait for it (or take over once the claim is older than the fetch timeout).
CREATE TABLE upstream_claim (
  key text PRIMARY KEY,
  claimed_at timestamptz NOT NULL DEFAULT now()
);
