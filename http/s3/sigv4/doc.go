// Package sigv4 verifies AWS Signature Version 4 on requests to the S3 gateway, with our own
// code: no maintained server-side verifier exists, so the AWS SDK's signer and minio-go serve
// as test oracles. Verifier.Verify checks the Authorization header or a presigned URL (scope,
// date skew, expiry, canonical request with S3's path rules) and returns a Result naming the
// access key and the payload mode; Result.Body then streams the body while checking what the
// signature promised: the x-amz-content-sha256 hash at EOF, every aws-chunked chunk signature
// before its bytes are released, signed or unsigned trailers, and the x-amz-checksum-* value
// (header or trailer), whose computed value it exposes for the response to echo.
//
// Every refusal is an *Error carrying the S3 error code and HTTP status; WriteError renders
// it as the S3 XML error document, so the gateway only picks a request id.
package sigv4
