package joinurl

import (
	"net/url"
	"strings"
)

// urlBuilder writes a share URL with its parameters in a fixed order.
type urlBuilder struct {
	b   strings.Builder
	sep byte
}

// newURL starts the URL of a kind: meshhold://<kind>/v1.
func newURL(kind string) *urlBuilder {
	u := &urlBuilder{sep: '?'}
	u.b.WriteString(Scheme + "://" + kind + "/" + Version)
	return u
}

// add appends key=value, the value escaped.
func (u *urlBuilder) add(key, value string) {
	u.b.WriteByte(u.sep)
	u.sep = '&'
	u.b.WriteString(key)
	u.b.WriteByte('=')
	u.b.WriteString(escape(value))
}

func (u *urlBuilder) String() string { return u.b.String() }

// escape is url.QueryEscape that keeps "/" and ":" (legal in a query, common in multiaddrs)
// and writes a space as %20 rather than "+". A literal "%" is escaped first, so the "%2F" and
// "%3A" put back can only come from "/" and ":".
func escape(s string) string {
	e := url.QueryEscape(s)
	return strings.NewReplacer("%2F", "/", "%3A", ":", "+", "%20").Replace(e)
}
