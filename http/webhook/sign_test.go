package webhook_test

import (
	"testing"

	"github.com/meshhold/meshhold/http/webhook"
)

func TestSignature(t *testing.T) {
	// RFC 4231-style check against a published HMAC-SHA256 vector.
	body := []byte("The quick brown fox jumps over the lazy dog")
	const want = "sha256=f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8"
	if got := webhook.Sign([]byte("key"), body); got != want {
		t.Fatalf("Sign = %s, want %s", got, want)
	}
	if !webhook.Verify([]byte("key"), body, want) {
		t.Error("Verify refuses a good signature")
	}
	for name, tc := range map[string]struct {
		key, body, header string
	}{
		"other body":   {"key", "The quick brown fox jumps over the lazy cat", want},
		"other key":    {"kez", string(body), want},
		"no prefix":    {"key", string(body), want[len("sha256="):]},
		"bad hex":      {"key", string(body), "sha256=zz"},
		"truncated":    {"key", string(body), want[:len(want)-2]},
		"empty header": {"key", string(body), ""},
	} {
		if webhook.Verify([]byte(tc.key), []byte(tc.body), tc.header) {
			t.Errorf("%s: Verify accepts it", name)
		}
	}
}
