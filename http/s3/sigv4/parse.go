package sigv4

import (
	"strconv"
	"strings"
	"time"
)

// Algorithm is the only signing algorithm accepted (SigV4 with HMAC-SHA256).
const Algorithm = "AWS4-HMAC-SHA256"

const (
	amzDateFormat  = "20060102T150405Z"
	scopeDayFormat = "20060102"
	scopeTerminal  = "aws4_request"
	// MaxPresignExpiry is the longest X-Amz-Expires S3 accepts: 7 days.
	MaxPresignExpiry = 7 * 24 * time.Hour
)

// credential is the parsed Credential=<key>/<day>/<region>/<service>/aws4_request.
type credential struct {
	AccessKeyID string
	Day         string // yyyymmdd
	Region      string
	Service     string
}

// scope is the credential scope that appears in the string to sign.
func (c credential) scope() string {
	return c.Day + "/" + c.Region + "/" + c.Service + "/" + scopeTerminal
}

// authorization is what the Authorization header or the X-Amz-* query parameters carry.
type authorization struct {
	Credential    credential
	SignedHeaders []string // lower-case names, in the order the client gave them
	Signature     string   // 64 lower-case hex digits
}

// parseAuthorization parses "AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…".
// The three parts may be separated by "," or ", " and come in any order, each exactly once.
func parseAuthorization(header string) (authorization, error) {
	var a authorization
	rest, ok := strings.CutPrefix(header, Algorithm+" ")
	if !ok {
		return a, newError(ErrAuthorizationHeaderMalformed, "the authorization header must start with %s", Algorithm)
	}
	var seen [3]bool
	for _, part := range strings.Split(rest, ",") {
		key, value, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return a, newError(ErrAuthorizationHeaderMalformed, "the authorization header component %q is not key=value", part)
		}
		var err error
		switch key {
		case "Credential":
			err = setOnce(&seen[0], key)
			if err == nil {
				a.Credential, err = parseCredential(value)
			}
		case "SignedHeaders":
			err = setOnce(&seen[1], key)
			if err == nil {
				a.SignedHeaders, err = parseSignedHeaders(value)
			}
		case "Signature":
			err = setOnce(&seen[2], key)
			if err == nil {
				a.Signature, err = parseSignature(value)
			}
		default:
			err = newError(ErrAuthorizationHeaderMalformed, "unknown authorization header component %q", key)
		}
		if err != nil {
			return authorization{}, asCode(err, ErrAuthorizationHeaderMalformed)
		}
	}
	if !seen[0] || !seen[1] || !seen[2] {
		return authorization{}, newError(ErrAuthorizationHeaderMalformed, "the authorization header needs Credential, SignedHeaders and Signature")
	}
	return a, nil
}

// presign is the parsed query form of a presigned URL.
type presign struct {
	authorization
	Date    time.Time
	Expires time.Duration
}

// parsePresign reads the X-Amz-* parameters of a presigned URL from the decoded query pairs.
func parsePresign(q []queryPair) (presign, error) {
	var p presign
	values := map[string]string{}
	for _, kv := range q {
		switch kv.Key {
		case "X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires", "X-Amz-SignedHeaders", "X-Amz-Signature":
			if _, dup := values[kv.Key]; dup {
				return p, newError(ErrAuthorizationQueryParametersError, "%s appears more than once", kv.Key)
			}
			values[kv.Key] = kv.Value
		}
	}
	for _, k := range []string{"X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires", "X-Amz-SignedHeaders", "X-Amz-Signature"} {
		if _, ok := values[k]; !ok {
			return p, newError(ErrAuthorizationQueryParametersError,
				"query-string authentication requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders and X-Amz-Expires parameters; %s is missing", k)
		}
	}
	if values["X-Amz-Algorithm"] != Algorithm {
		return p, newError(ErrAuthorizationQueryParametersError, "X-Amz-Algorithm only supports %q", Algorithm)
	}
	var err error
	if p.Credential, err = parseCredential(values["X-Amz-Credential"]); err != nil {
		return p, asCode(err, ErrAuthorizationQueryParametersError)
	}
	if p.SignedHeaders, err = parseSignedHeaders(values["X-Amz-SignedHeaders"]); err != nil {
		return p, asCode(err, ErrAuthorizationQueryParametersError)
	}
	if p.Signature, err = parseSignature(values["X-Amz-Signature"]); err != nil {
		return p, asCode(err, ErrAuthorizationQueryParametersError)
	}
	if p.Date, err = time.Parse(amzDateFormat, values["X-Amz-Date"]); err != nil {
		return p, newError(ErrAuthorizationQueryParametersError, "X-Amz-Date must be in the ISO8601 long format yyyyMMddTHHmmssZ")
	}
	secs, err := strconv.ParseInt(values["X-Amz-Expires"], 10, 64)
	switch {
	case err != nil:
		return p, newError(ErrAuthorizationQueryParametersError, "X-Amz-Expires should be a number")
	case secs < 0:
		return p, newError(ErrAuthorizationQueryParametersError, "X-Amz-Expires must be non-negative")
	case secs > int64(MaxPresignExpiry/time.Second):
		return p, newError(ErrAuthorizationQueryParametersError, "X-Amz-Expires must be less than a week (in seconds) that is 604800")
	}
	p.Expires = time.Duration(secs) * time.Second
	return p, nil
}

// parseCredential splits <key>/<yyyymmdd>/<region>/<service>/aws4_request; the key is
// everything before the last four parts.
func parseCredential(v string) (credential, error) {
	parts := strings.Split(v, "/")
	n := len(parts)
	if n < 5 {
		return credential{}, newError(ErrAuthorizationHeaderMalformed, "the credential %q is not <key>/<date>/<region>/<service>/aws4_request", v)
	}
	c := credential{AccessKeyID: strings.Join(parts[:n-4], "/"), Day: parts[n-4], Region: parts[n-3], Service: parts[n-2]}
	switch {
	case c.AccessKeyID == "":
		return credential{}, newError(ErrAuthorizationHeaderMalformed, "the credential has no access key")
	case parts[n-1] != scopeTerminal:
		return credential{}, newError(ErrAuthorizationHeaderMalformed, "the credential scope must end with %q, not %q", scopeTerminal, parts[n-1])
	case c.Region == "" || c.Service == "":
		return credential{}, newError(ErrAuthorizationHeaderMalformed, "the credential scope has an empty region or service")
	}
	if _, err := time.Parse(scopeDayFormat, c.Day); err != nil {
		return credential{}, newError(ErrAuthorizationHeaderMalformed, "the credential date %q is not yyyyMMdd", c.Day)
	}
	return c, nil
}

// parseSignedHeaders splits "host;x-amz-date" and checks each name is a lower-case HTTP token.
func parseSignedHeaders(v string) ([]string, error) {
	if v == "" {
		return nil, newError(ErrAuthorizationHeaderMalformed, "SignedHeaders is empty")
	}
	names := strings.Split(v, ";")
	for _, name := range names {
		if name == "" {
			return nil, newError(ErrAuthorizationHeaderMalformed, "SignedHeaders %q has an empty name", v)
		}
		for i := 0; i < len(name); i++ {
			if !isLowerToken(name[i]) {
				return nil, newError(ErrAuthorizationHeaderMalformed, "SignedHeaders %q holds a name that is not a lower-case token", v)
			}
		}
	}
	return names, nil
}

// parseSignature accepts exactly 64 lower-case hex digits.
func parseSignature(v string) (string, error) {
	if !isLowerHex(v, 64) {
		return "", newError(ErrAuthorizationHeaderMalformed, "the signature must be 64 lower-case hex digits")
	}
	return v, nil
}

func setOnce(seen *bool, key string) error {
	if *seen {
		return newError(ErrAuthorizationHeaderMalformed, "%s appears more than once", key)
	}
	*seen = true
	return nil
}

// asCode re-labels a parse error with the code of the form being parsed (header or query).
func asCode(err error, sentinel *Error) error {
	e, ok := err.(*Error)
	if !ok || e.Code == sentinel.Code {
		return err
	}
	return &Error{Code: sentinel.Code, Status: sentinel.Status, Message: e.Message}
}

func isLowerToken(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}

func isLowerHex(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}
