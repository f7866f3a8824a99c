package joinurl

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

// Seeds: valid URLs of both kinds and a few near misses.
func fuzzSeeds(f *testing.F) {
	seeds := []string{
		"meshhold://join/v1?name=home&psk=" + hexKey + "&peer=/ip4/192.0.2.7/tcp/7777/p2p/" + idA,
		"meshhold://join/v1?psk=" + hexKey,
		"meshhold://join/v1?name=caf%C3%A9%20ann&psk=" + hexKey + "&peer=/dns4/example.org/tcp/7777/p2p/" + idB + "&peer=/ip6/2001:db8::1/tcp/7777/p2p/" + idC,
		"meshhold://node/v1?id=" + idA + "&name=laptop&addr=/ip4/192.0.2.7/tcp/7777&addr=/ip6/2001:db8::1/tcp/7777/p2p/" + idA,
		"meshhold://node/v1?id=" + idB,
		"MESHHOLD://NODE/v1?id=" + idB + "&addr=/ip4/10.0.0.1/udp/7777/quic-v1",
		"meshhold://join/v2?psk=" + hexKey,
		"meshhold:join/v1",
		"meshhold://join/v1?psk=" + hexKey + "&peer=/ip4/0.0.0.0/tcp/1/p2p/" + idA,
		"meshhold://node/v1?id=" + idA + "&addr=/ip4/1.2.3.4/tcp/1/p2p/" + idB,
		"meshhold://node/v1?id=x&name=%ZZ",
		"",
	}
	// Near the length limit, with "+" (a space, written back as %20): the canonical URL is
	// longer than the one parsed.
	long := "meshhold://join/v1?name=" + strings.Repeat("+", 100) + "&psk=" + hexKey
	for len(long) < MaxLen-200 {
		long += "&peer=/ip4/192.0.2.7/tcp/7777/p2p/" + idA
	}
	longNode := "meshhold://node/v1?id=" + idA + "&name=" + strings.Repeat("+", 100)
	for len(longNode) < MaxLen-100 {
		longNode += "&addr=/ip4/192.0.2.7/tcp/7777"
	}
	seeds = append(seeds, long, longNode)
	for _, s := range seeds {
		f.Add(s)
	}
}

// FuzzParseJoin: ParseJoin never panics, errors wrap ErrInvalid, and a parsed Join validates and
// its URL parses back to the same Join.
func FuzzParseJoin(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, s string) {
		j, err := ParseJoin(s)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error %v does not wrap ErrInvalid", err)
			}
			return
		}
		if err := j.Validate(); err != nil {
			t.Fatalf("parsed Join does not validate: %v", err)
		}
		u := j.URL()
		again, err := ParseJoin(u)
		if err != nil {
			t.Fatalf("URL() of a parsed Join does not parse: %v\nURL: %q", err, redactURL(u))
		}
		if again.Name != j.Name || !again.Key.Equal(j.Key) || !slices.Equal(again.Peers, j.Peers) {
			t.Fatalf("round trip differs:\n got %v\nwant %v", again, j)
		}
		if again.URL() != u {
			t.Fatalf("URL() not stable")
		}
	})
}

// FuzzParseNode: ParseNode never panics, errors wrap ErrInvalid, and a parsed Node validates and
// its URL parses back to the same Node.
func FuzzParseNode(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, s string) {
		n, err := ParseNode(s)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error %v does not wrap ErrInvalid", err)
			}
			return
		}
		if err := n.Validate(); err != nil {
			t.Fatalf("parsed Node does not validate: %v", err)
		}
		u := n.URL()
		again, err := ParseNode(u)
		if err != nil {
			t.Fatalf("URL() of a parsed Node does not parse: %v\nURL: %q", err, u)
		}
		if again.ID != n.ID || again.Name != n.Name || !slices.Equal(again.Addrs, n.Addrs) {
			t.Fatalf("round trip differs:\n got %#v\nwant %#v", again, n)
		}
		if again.URL() != u {
			t.Fatalf("URL() not stable:\n%q\n%q", again.URL(), u)
		}
	})
}

// redactURL hides the psk parameter of a join URL in a failure message.
func redactURL(u string) string {
	if j, err := ParseJoin(u); err == nil {
		return j.String()
	}
	return "(unparseable)"
}
