package sigv4

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// DefaultMaxSkew is how far a request's signing time may be from our clock (S3's 15 minutes).
const DefaultMaxSkew = 15 * time.Minute

// Verifier checks SigV4 signatures for one region and service against a key store.
type Verifier struct {
	// Region the credential scope must name; empty accepts any region (the signature still
	// covers the region the client named).
	Region string
	// Service the credential scope must name; empty means "s3".
	Service string
	// Lookup returns the secret of an access key id: an error wrapping ErrUnknownAccessKey for
	// an unknown id (InvalidAccessKeyId), any other error when it cannot tell (the request then
	// fails with that error, which the gateway maps to 503, not to a credentials refusal).
	Lookup func(accessKeyID string) (secret string, err error)
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// MaxSkew bounds |now - signing time| for header auth and how far in the future a
	// presigned URL may start; zero means DefaultMaxSkew.
	MaxSkew time.Duration

	keys keyCache // derived signing keys, per access key id
}

// Result is a request whose signature verified: who signed it and how its body is bound.
type Result struct {
	AccessKeyID string      // the signer's access key id
	Mode        PayloadMode // how the body is bound to the signature
	Presigned   bool        // query-string (presigned URL) authentication
	SignedAt    time.Time   // the request's signing time
	// ContentSHA256 is the signed hex SHA-256 of the body when Mode is PayloadSHA256.
	ContentSHA256 string
	// DecodedLength is the number of object bytes Body yields (x-amz-decoded-content-length
	// for aws-chunked bodies, else Content-Length), or -1 when the client did not say.
	DecodedLength int64

	amzDate  string   // signing time as it appears in the string to sign
	scope    string   // credential scope
	key      []byte   // derived signing key, for chunk and trailer signatures
	seed     string   // the request signature, first link of the chunk signature chain
	trailers []string // trailer names announced in x-amz-trailer
	checksum checksumSpec
	md5      []byte // Content-MD5 to check, if sent
}

// Verify checks the request's Authorization header or presigned query and returns who signed
// it; it reads no body. Every refusal is an *Error with the S3 code and status to answer.
func (v *Verifier) Verify(r *http.Request) (*Result, error) {
	pairs, err := parseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, err
	}
	header := r.Header.Get("Authorization")
	inQuery := hasQueryAuth(pairs)
	switch {
	case header != "" && inQuery:
		return nil, newError(ErrInvalidArgument, "only one auth mechanism allowed; only the X-Amz-Algorithm query parameter or the Authorization header should be specified")
	case inQuery:
		return v.verifyPresigned(r, pairs)
	case header == "":
		return nil, ErrMissingAuth
	case !strings.HasPrefix(header, Algorithm+" "):
		return nil, newError(ErrInvalidRequest, "the authorization mechanism you have provided is not supported; please use %s", Algorithm)
	}
	return v.verifyHeader(r, header, pairs)
}

func (v *Verifier) verifyHeader(r *http.Request, header string, pairs []queryPair) (*Result, error) {
	a, err := parseAuthorization(header)
	if err != nil {
		return nil, err
	}
	if err := v.checkScope(a.Credential, ErrAuthorizationHeaderMalformed); err != nil {
		return nil, err
	}
	amzDate, at, err := headerDate(r, a.SignedHeaders)
	if err != nil {
		return nil, err
	}
	if at.Format(scopeDayFormat) != a.Credential.Day {
		return nil, newError(ErrAuthorizationHeaderMalformed, "invalid credential date %q: it is not the date of the request time %s", a.Credential.Day, amzDate)
	}
	now := v.now()
	if d := now.Sub(at); d > v.maxSkew() || d < -v.maxSkew() {
		return nil, newError(ErrRequestTimeTooSkewed, "the difference between the request time %s and the server time %s is too large",
			at.Format(amzDateFormat), now.UTC().Format(amzDateFormat))
	}
	payload := r.Header.Get("X-Amz-Content-Sha256")
	if payload == "" {
		return nil, newError(ErrInvalidRequest, "missing required header for this request: x-amz-content-sha256")
	}
	mode, err := parsePayloadMode(payload)
	if err != nil {
		return nil, err
	}
	res, err := v.check(r, a, pairs, "", amzDate, payload)
	if err != nil {
		return nil, err
	}
	res.SignedAt, res.Mode = at, mode
	if mode == PayloadSHA256 {
		res.ContentSHA256 = payload
	}
	return res, v.prepareBody(r, res)
}

func (v *Verifier) verifyPresigned(r *http.Request, pairs []queryPair) (*Result, error) {
	p, err := parsePresign(pairs)
	if err != nil {
		return nil, err
	}
	if err := v.checkScope(p.Credential, ErrAuthorizationQueryParametersError); err != nil {
		return nil, err
	}
	if p.Date.Format(scopeDayFormat) != p.Credential.Day {
		return nil, newError(ErrAuthorizationQueryParametersError, "invalid credential date %q: it is not the date of X-Amz-Date", p.Credential.Day)
	}
	now := v.now()
	if p.Date.Sub(now) > v.maxSkew() {
		return nil, newError(ErrAccessDenied, "request is not valid yet")
	}
	if now.After(p.Date.Add(p.Expires)) {
		return nil, newError(ErrAccessDenied, "request has expired")
	}
	payload, mode := unsignedPayload, PayloadUnsigned
	for _, kv := range pairs {
		if kv.Key == "X-Amz-Content-Sha256" {
			payload = kv.Value
		}
	}
	if mode, err = parsePayloadMode(payload); err != nil {
		return nil, err
	}
	if mode.Chunked() {
		return nil, newError(ErrInvalidArgument, "a presigned URL cannot use %s", payload)
	}
	res, err := v.check(r, p.authorization, pairs, "X-Amz-Signature", p.Date.Format(amzDateFormat), payload)
	if err != nil {
		return nil, err
	}
	res.Presigned, res.SignedAt, res.Mode = true, p.Date, mode
	if mode == PayloadSHA256 {
		res.ContentSHA256 = payload
	}
	return res, v.prepareBody(r, res)
}

// check is common to both forms: required signed headers, key lookup, signature.
func (v *Verifier) check(r *http.Request, a authorization, pairs []queryPair, skip, amzDate, payload string) (*Result, error) {
	if !slices.Contains(a.SignedHeaders, "host") {
		return nil, newError(ErrAccessDenied, "the host header must be signed")
	}
	for name := range r.Header {
		lower := strings.ToLower(name)
		if strings.HasPrefix(lower, "x-amz-") && lower != "x-amz-content-sha256" && lower != "x-amz-date" &&
			!slices.Contains(a.SignedHeaders, lower) {
			return nil, newError(ErrAccessDenied, "there were headers present in the request which were not signed: %s", lower)
		}
	}
	secret, err := v.Lookup(a.Credential.AccessKeyID)
	switch {
	case errors.Is(err, ErrUnknownAccessKey):
		return nil, newError(ErrInvalidAccessKeyID, "the access key id you provided does not exist in our records")
	case err != nil:
		return nil, fmt.Errorf("sigv4: look up access key %s: %w", a.Credential.AccessKeyID, err)
	}
	key := v.keys.signingKey(secret, a.Credential)
	scope := a.Credential.scope()
	query := canonicalQuery(pairs, skip)
	headers := canonicalHeaders(r, a.SignedHeaders)
	var first *Error
	for _, uri := range canonicalURIs(r) {
		creq := canonicalRequest(r.Method, uri, query, headers, a.SignedHeaders, payload)
		sts := stringToSign(amzDate, scope, creq)
		if signatureEqual(hmacSHA256(key, sts), a.Signature) {
			return &Result{AccessKeyID: a.Credential.AccessKeyID, amzDate: amzDate, scope: scope, key: key,
				seed: a.Signature, DecodedLength: -1}, nil
		}
		if first == nil {
			first = newError(ErrSignatureDoesNotMatch, "the request signature we calculated does not match the signature you provided; check your key and signing method")
			first.CanonicalRequest, first.StringToSign = creq, sts
		}
	}
	return nil, first
}

// checkScope refuses a credential scope for another region or service.
func (v *Verifier) checkScope(c credential, sentinel *Error) error {
	service := v.Service
	if service == "" {
		service = "s3"
	}
	if v.Region != "" && c.Region != v.Region {
		return newError(sentinel, "the region %q is wrong; expecting %q", c.Region, v.Region)
	}
	if c.Service != service {
		return newError(sentinel, "the service %q is wrong; expecting %q", c.Service, service)
	}
	return nil
}

// headerDate reads X-Amz-Date, or a signed Date header when X-Amz-Date is absent.
func headerDate(r *http.Request, signed []string) (string, time.Time, error) {
	if v := r.Header.Get("X-Amz-Date"); v != "" {
		t, err := time.Parse(amzDateFormat, v)
		if err != nil {
			return "", time.Time{}, newError(ErrAccessDenied, "x-amz-date %q is not in the ISO8601 long format yyyyMMddTHHmmssZ", v)
		}
		return v, t, nil
	}
	if v := r.Header.Get("Date"); v != "" && slices.Contains(signed, "date") {
		t, err := http.ParseTime(v)
		if err != nil {
			return "", time.Time{}, newError(ErrAccessDenied, "the Date header %q is not an HTTP date", v)
		}
		t = t.UTC()
		return t.Format(amzDateFormat), t, nil
	}
	return "", time.Time{}, newError(ErrAccessDenied, "AWS authentication requires a valid Date or x-amz-date header")
}

func hasQueryAuth(pairs []queryPair) bool {
	for _, kv := range pairs {
		switch kv.Key {
		case "X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Signature":
			return true
		}
	}
	return false
}

func (v *Verifier) now() time.Time {
	if v.Now != nil {
		return v.Now()
	}
	return time.Now()
}

func (v *Verifier) maxSkew() time.Duration {
	if v.MaxSkew > 0 {
		return v.MaxSkew
	}
	return DefaultMaxSkew
}

// parseDecodedLength reads x-amz-decoded-content-length; -1 when absent.
func parseDecodedLength(r *http.Request) (int64, error) {
	v := r.Header.Get("X-Amz-Decoded-Content-Length")
	if v == "" {
		return -1, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return 0, newError(ErrInvalidArgument, "x-amz-decoded-content-length %q is not a length", v)
	}
	return n, nil
}
