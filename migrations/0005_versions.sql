-- ListPackageVersions sortBy PUBLISHED_TIME pages by (published time, id), newest first, with
-- never-published (Unfinished) versions last; this index makes every page one range scan.
CREATE INDEX package_version_published_key ON package_version (package_id, (coalesce(published_at, '-infinity'::timestamptz)), id);

-- The blob collector looks for blobs whose lease ran out, oldest first.
CREATE INDEX blob_last_put ON blob (last_put_at);
