package sigv4

import (
	"errors"
	"fmt"
	"net/http"
)

// Error is a refusal with the S3 error code and HTTP status a client expects; errors.Is
// matches two *Error values by Code, so the package's sentinels below work with errors.Is.
type Error struct {
	Code    string // S3 error code, e.g. "SignatureDoesNotMatch"
	Status  int    // HTTP status
	Message string // human-readable detail

	// CanonicalRequest and StringToSign are what the server computed when a signature did not
	// match; S3 returns them so a client author can see where the two sides differ. They hold
	// no secret.
	CanonicalRequest string
	StringToSign     string

	anonymous bool // set only on ErrMissingAuth, so other AccessDenied errors do not match it
}

// Error reads "sigv4: <Code>: <Message>" for logs; clients see the XML from WriteError.
func (e *Error) Error() string { return "sigv4: " + e.Code + ": " + e.Message }

// Is makes errors.Is(err, ErrSignatureDoesNotMatch) hold for any *Error with that code;
// ErrMissingAuth matches only itself, not every AccessDenied.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code && (!t.anonymous || e.anonymous)
}

func newError(sentinel *Error, format string, args ...any) *Error {
	return &Error{Code: sentinel.Code, Status: sentinel.Status, Message: fmt.Sprintf(format, args...)}
}

// The S3 error codes this package answers with; compare with errors.Is.
var (
	// ErrMissingAuth: the request carries no signature at all (anonymous). The gateway may
	// serve it anyway for public resources; otherwise it answers 403.
	ErrMissingAuth = &Error{Code: "AccessDenied", Status: http.StatusForbidden, Message: "anonymous access is not allowed", anonymous: true}
	// ErrAccessDenied covers expired or not-yet-valid presigned URLs and unsigned x-amz-* headers.
	ErrAccessDenied = &Error{Code: "AccessDenied", Status: http.StatusForbidden}
	// ErrSignatureDoesNotMatch: the request, a chunk or the trailer was signed differently.
	ErrSignatureDoesNotMatch = &Error{Code: "SignatureDoesNotMatch", Status: http.StatusForbidden}
	// ErrInvalidAccessKeyID: the access key is unknown.
	ErrInvalidAccessKeyID = &Error{Code: "InvalidAccessKeyId", Status: http.StatusForbidden}
	// ErrRequestTimeTooSkewed: the signing time is further from our clock than MaxSkew.
	ErrRequestTimeTooSkewed = &Error{Code: "RequestTimeTooSkewed", Status: http.StatusForbidden}
	// ErrAuthorizationHeaderMalformed: the Authorization header or its scope cannot be used.
	ErrAuthorizationHeaderMalformed = &Error{Code: "AuthorizationHeaderMalformed", Status: http.StatusBadRequest}
	// ErrAuthorizationQueryParametersError: the presigned URL's X-Amz-* parameters cannot be used.
	ErrAuthorizationQueryParametersError = &Error{Code: "AuthorizationQueryParametersError", Status: http.StatusBadRequest}
	// ErrInvalidArgument: a header value (x-amz-content-sha256, a date) is not acceptable.
	ErrInvalidArgument = &Error{Code: "InvalidArgument", Status: http.StatusBadRequest}
	// ErrInvalidRequest: unsupported mechanism, malformed aws-chunked framing, bad checksum headers.
	ErrInvalidRequest = &Error{Code: "InvalidRequest", Status: http.StatusBadRequest}
	// ErrContentSHA256Mismatch: the body's SHA-256 is not the signed x-amz-content-sha256.
	ErrContentSHA256Mismatch = &Error{Code: "XAmzContentSHA256Mismatch", Status: http.StatusBadRequest}
	// ErrBadDigest: the body does not match its x-amz-checksum-* or Content-MD5 value.
	ErrBadDigest = &Error{Code: "BadDigest", Status: http.StatusBadRequest}
	// ErrInvalidDigest: the Content-MD5 header is not a base64 MD5.
	ErrInvalidDigest = &Error{Code: "InvalidDigest", Status: http.StatusBadRequest}
	// ErrIncompleteBody: the body ended before the length it announced.
	ErrIncompleteBody = &Error{Code: "IncompleteBody", Status: http.StatusBadRequest}
	// ErrInvalidChunkSize: an aws-chunked chunk is larger than MaxChunkSize.
	ErrInvalidChunkSize = &Error{Code: "InvalidChunkSizeError", Status: http.StatusBadRequest}
	// ErrMalformedTrailer: the aws-chunked trailer section is not what x-amz-trailer announced.
	ErrMalformedTrailer = &Error{Code: "MalformedTrailerError", Status: http.StatusBadRequest}
)

// ErrUnknownAccessKey is what Verifier.Lookup wraps for an access key id it does not know.
var ErrUnknownAccessKey = errors.New("sigv4: unknown access key id")
