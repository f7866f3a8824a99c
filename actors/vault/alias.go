package vault

import (
	"net/netip"
	"strings"

	"github.com/meshhold/meshhold/messages"
)

// CheckBucketName accepts an S3 alias that is a valid general-purpose S3 bucket name: 3–63
// lowercase letters, digits, '.' and '-', starting and ending with a letter or digit, no "..",
// not an IPv4 address, none of the prefixes and suffixes S3 reserves.
func CheckBucketName(s string) error {
	bad := func(why string) error { return messages.Invalid("s3_alias", "%q %s", s, why) }
	if len(s) < 3 || len(s) > 63 {
		return bad("must be 3 to 63 characters long")
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '.' || r == '-') {
			return bad("may hold only lowercase letters, digits, '.' and '-'")
		}
	}
	if !alnum(s[0]) || !alnum(s[len(s)-1]) {
		return bad("must start and end with a letter or digit")
	}
	if strings.Contains(s, "..") {
		return bad(`must not contain ".."`)
	}
	if a, err := netip.ParseAddr(s); err == nil && a.Is4() {
		return bad("must not be an IP address")
	}
	for _, p := range []string{"xn--", "sthree-", "amzn-s3-demo-"} {
		if strings.HasPrefix(s, p) {
			return bad("must not start with " + p)
		}
	}
	for _, suf := range []string{"-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"} {
		if strings.HasSuffix(s, suf) {
			return bad("must not end with " + suf)
		}
	}
	return nil
}

func alnum(b byte) bool { return b >= 'a' && b <= 'z' || b >= '0' && b <= '9' }
