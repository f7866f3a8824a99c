package sigv4

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// The verifier keeps the derived signing key per access key id, but a request is checked
// against the secret its key has now and the day it names: a replaced secret refuses the old
// one at once, and requests either side of midnight both verify.
func TestSigningKeyCacheFollowsSecretAndDay(t *testing.T) {
	secret := "first-secret-first-secret-first-secret00"
	midnight := time.Date(2026, 3, 15, 0, 0, 0, 0, time.UTC)
	v := &Verifier{Region: testRegion, Now: fixedClock(midnight),
		Lookup: func(id string) (string, error) {
			if id != testKeyID {
				return "", ErrUnknownAccessKey
			}
			return secret, nil
		}}
	verify := func(what, signedWith string, at time.Time, wantCode string) {
		t.Helper()
		req, err := http.NewRequest(http.MethodGet, "http://s3.test/bucket/key", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("X-Amz-Content-Sha256", emptySHA256)
		creds := aws.Credentials{AccessKeyID: testKeyID, SecretAccessKey: signedWith}
		if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, emptySHA256, "s3", testRegion, at); err != nil {
			t.Fatal(err)
		}
		_, err = v.Verify(req)
		var e *Error
		switch {
		case wantCode == "" && err != nil:
			t.Fatalf("%s: refused: %v", what, err)
		case wantCode != "" && (!errors.As(err, &e) || e.Code != wantCode):
			t.Fatalf("%s: got %v, want %s", what, err, wantCode)
		}
	}
	before, after := midnight.Add(-time.Minute), midnight.Add(time.Minute)
	verify("first request", secret, before, "")
	verify("same key, same day", secret, before, "")
	verify("next day", secret, after, "")
	verify("back to the previous day", secret, before, "")

	old := secret
	secret = "second-secret-second-secret-second-secr"
	verify("the replaced secret", old, after, ErrSignatureDoesNotMatch.Code)
	verify("the new secret", secret, after, "")
	verify("the new secret, previous day", secret, before, "")
	verify("the replaced secret again", old, before, ErrSignatureDoesNotMatch.Code)
}
