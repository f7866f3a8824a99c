// Package s3 is the S3 gateway: it answers path-style S3 requests (verified by sigv4) over the
// vaults whose s3-alias names the bucket. An object key "a/b" is the vault path "/a/b"; bytes go
// through the same pipeline as the REST files routes (files.Ingest on upload, files.Serve on
// download), so objects and REST files are one and the same. Access keys and grants are
// injected (Config.Lookup, Config.Allowed); every refusal is an S3 XML error.
package s3
