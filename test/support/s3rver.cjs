// s3rver (the S3 test double) with one crash removed, for CI's services pass and the tests.
// s3rver's DeleteObject removes a key's folder once it is empty; Hoard's temp keys share one
// folder (`.tmp/`), so a temp deleted while another is being written can remove the folder
// between the writer's mkdir and its open, and the writer's unhandled ENOENT kills the process
// (reproduced with 8 workers putting and deleting `.tmp/*` keys: dead within ~100 calls).
// Real S3 has no folders; keeping empty ones changes nothing a client can see.
// Run it as s3rver's CLI (`node test/support/s3rver.cjs --address ... --port ... --directory ...`)
// or require it before constructing an S3rver in-process.
'use strict';
const { unlink } = require('node:fs/promises');
const FilesystemStore = require('s3rver/lib/stores/filesystem.js');

FilesystemStore.prototype.deleteObject = async function deleteObject(bucket, key) {
  await Promise.all(
    ['object', 'object.md5', 'metadata.json'].map((type) =>
      unlink(this.getResourcePath(bucket, key, type)).catch((e) => {
        if (e.code !== 'ENOENT') throw e;
      }),
    ),
  );
};

if (require.main === module) require('s3rver/bin/s3rver.js');
