package s3

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/meshhold/meshhold/http/files"
	"github.com/meshhold/meshhold/http/s3/sigv4"
	"github.com/meshhold/meshhold/messages"
)

// S3 error codes the gateway answers with beyond those of sigv4.
var (
	errNoSuchBucket       = &sigv4.Error{Code: "NoSuchBucket", Status: http.StatusNotFound, Message: "the specified bucket does not exist"}
	errNoSuchKey          = &sigv4.Error{Code: "NoSuchKey", Status: http.StatusNotFound, Message: "the specified key does not exist"}
	errNotImplemented     = &sigv4.Error{Code: "NotImplemented", Status: http.StatusNotImplemented, Message: "this operation is not implemented by the MeshHold S3 gateway"}
	errEntityTooLarge     = &sigv4.Error{Code: "EntityTooLarge", Status: http.StatusBadRequest}
	errPrecondition       = &sigv4.Error{Code: "PreconditionFailed", Status: http.StatusPreconditionFailed, Message: "at least one of the preconditions you specified did not hold"}
	errInvalidRange       = &sigv4.Error{Code: "InvalidRange", Status: http.StatusRequestedRangeNotSatisfiable, Message: "the requested range is not satisfiable"}
	errMethodNotAllowed   = &sigv4.Error{Code: "MethodNotAllowed", Status: http.StatusMethodNotAllowed, Message: "the specified method is not allowed against this resource"}
	errMalformedXML       = &sigv4.Error{Code: "MalformedXML", Status: http.StatusBadRequest, Message: "the XML you provided was not well-formed or did not validate"}
	errBucketNotEmpty     = &sigv4.Error{Code: "BucketNotEmpty", Status: http.StatusConflict, Message: "the bucket you tried to delete is not empty"}
	errServiceUnavailable = &sigv4.Error{Code: "ServiceUnavailable", Status: http.StatusServiceUnavailable, Message: "please reduce your request rate or try again"}
)

// s3Error builds an error with sentinel's code and status and a message of its own.
func s3Error(sentinel *sigv4.Error, format string, args ...any) *sigv4.Error {
	return &sigv4.Error{Code: sentinel.Code, Status: sentinel.Status, Message: fmt.Sprintf(format, args...)}
}

// accessDenied is the refusal of a key without the grant op on bucket.
func accessDenied(op, bucket string) *sigv4.Error {
	return s3Error(sigv4.ErrAccessDenied, "access denied: the key holds no %q grant on bucket %q", op, bucket)
}

// translate maps what the vault, the ingest pipeline or sigv4 answered to an S3 error; missing
// names missingKey for ErrNotFound (NoSuchKey or NoSuchBucket).
func translate(err error, missing *sigv4.Error) error {
	var (
		s3e     *sigv4.Error
		invalid *messages.InvalidError
		tooBig  *files.TooLargeError
	)
	switch {
	case errors.As(err, &s3e):
		return s3e
	case errors.As(err, &invalid):
		return s3Error(sigv4.ErrInvalidArgument, "%s", invalid.Error())
	case errors.As(err, &tooBig):
		return s3Error(errEntityTooLarge, "your proposed upload exceeds the maximum allowed size of %d bytes", tooBig.Limit)
	case errors.Is(err, messages.ErrQuota):
		return &sigv4.Error{Code: "QuotaExceeded", Status: http.StatusInsufficientStorage, Message: "the vault's hard quota would be exceeded"}
	case errors.Is(err, messages.ErrNotFound) && missing != nil:
		return missing
	case errors.Is(err, messages.ErrLocked):
		return s3Error(sigv4.ErrAccessDenied, "the vault is locked: unlock it first")
	case errors.Is(err, messages.ErrForbidden):
		return s3Error(sigv4.ErrAccessDenied, "%s", err.Error())
	case errors.Is(err, messages.ErrPreconditionFailed):
		return errPrecondition
	case errors.Is(err, messages.ErrConflict):
		return &sigv4.Error{Code: "OperationAborted", Status: http.StatusConflict, Message: err.Error()}
	case errors.Is(err, messages.ErrUnavailable), errors.Is(err, messages.ErrStorage), errors.Is(err, context.DeadlineExceeded):
		return errServiceUnavailable
	}
	return err // WriteError answers InternalError without the text
}
