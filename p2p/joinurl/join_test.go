package joinurl

import (
	"strings"
	"testing"
)

func TestJoinRoundTrip(t *testing.T) {
	key := testKey(t)
	for name, j := range map[string]Join{
		"typical": {Name: "home", Key: key, Peers: []string{
			"/ip4/192.168.1.5/tcp/7777/p2p/" + idA,
			"/ip6/2001:db8::5/tcp/7777/p2p/" + idA,
			"/dns4/nas.example.org/tcp/443/wss/p2p/" + idB,
		}},
		"no peers, no name": {Key: key},
		"awkward name":      {Name: "Ann's net & co = 100% / ü ✓ +1 #2 ?", Key: key, Peers: []string{"/ip4/10.0.0.1/tcp/1/p2p/" + idC}},
	} {
		if err := j.Validate(); err != nil {
			t.Errorf("%s: Validate: %v", name, err)
		}
		u := j.URL()
		if !strings.HasPrefix(u, "meshhold://join/v1?") || strings.ContainsAny(u, " #+\n") {
			t.Errorf("%s: URL %q is not a clean meshhold://join/v1 URL", name, u)
		}
		got, err := ParseJoin("  \n" + u + "\t\r\n")
		if err != nil {
			t.Errorf("%s: ParseJoin(%q): %v", name, u, err)
			continue
		}
		if got.Name != j.Name || !got.Key.Equal(j.Key) || strings.Join(got.Peers, ",") != strings.Join(j.Peers, ",") {
			t.Errorf("%s: round trip gave %v, want %v", name, got, j)
		}
	}
}

func TestJoinURLLayout(t *testing.T) {
	j := Join{Name: "my home", Key: testKey(t), Peers: []string{"/ip4/192.168.1.5/tcp/7777/p2p/" + idA}}
	want := "meshhold://join/v1?name=my%20home&psk=" + hexKey + "&peer=/ip4/192.168.1.5/tcp/7777/p2p/" + idA
	if got := j.URL(); got != want {
		t.Errorf("URL\n got %s\nwant %s", got, want)
	}
}

func TestParseJoinNormalises(t *testing.T) {
	u := "MESHHOLD://JOIN/v1?psk=" + strings.ToUpper(hexKey) + "&peer=%2Fip4%2F10.0.0.1%2Ftcp%2F1%2Fipfs%2F" + idA + "&future=ignored"
	j, err := ParseJoin(u)
	if err != nil {
		t.Fatal(err)
	}
	if !j.Key.Equal(testKey(t)) || len(j.Peers) != 1 || j.Peers[0] != "/ip4/10.0.0.1/tcp/1/p2p/"+idA {
		t.Errorf("got %#v", j)
	}
}

func TestParseJoinErrors(t *testing.T) {
	psk := "psk=" + hexKey
	good := "meshhold://join/v1?" + psk
	peer := "/ip4/10.0.0.1/tcp/7777/p2p/" + idA
	for name, c := range map[string]struct {
		in    string
		parts []string
	}{
		"empty":             {"  \n", []string{"empty"}},
		"too long":          {good + "&peer=" + strings.Repeat("x", MaxLen), []string{"at most 8192"}},
		"wrong scheme":      {"https://join/v1?" + psk, []string{`scheme is "https"`}},
		"no scheme":         {"join/v1?" + psk, []string{"no scheme"}},
		"opaque":            {"meshhold:join/v1?" + psk, []string{"missing //"}},
		"user info":         {"meshhold://x@join/v1?" + psk, []string{"user info"}},
		"missing kind":      {"meshhold:///v1?" + psk, []string{"missing kind"}},
		"unknown kind":      {"meshhold://pair/v1?" + psk, []string{`unknown kind "pair"`}},
		"node URL":          {"meshhold://node/v1?id=" + idA, []string{"node URL", "not a join URL"}},
		"missing version":   {"meshhold://join?" + psk, []string{"missing version"}},
		"unsupported":       {"meshhold://join/v2?" + psk, []string{`unsupported version "v2"`}},
		"extra path":        {"meshhold://join/v1/x?" + psk, []string{"more than a version"}},
		"fragment":          {good + "#x", []string{"fragment"}},
		"bad escape":        {good + "&name=%zz", []string{"bad parameters"}},
		"control char":      {"meshhold://join/v1?\x01" + psk, []string{"not a URL"}},
		"missing psk":       {"meshhold://join/v1?name=home", []string{"missing psk"}},
		"empty psk":         {"meshhold://join/v1?psk=", []string{"missing psk"}},
		"short psk":         {"meshhold://join/v1?psk=" + hexKey[:63], []string{"63 characters, want 64"}},
		"non-hex psk":       {"meshhold://join/v1?psk=" + hexKey[:10] + "g" + hexKey[11:], []string{"not hex", "position 11"}},
		"two psks":          {good + "&" + psk, []string{"psk is given 2 times"}},
		"two names":         {good + "&name=a&name=b", []string{"name is given 2 times"}},
		"name control":      {good + "&name=a%0Ab", []string{"name contains a control character"}},
		"name not UTF-8":    {good + "&name=%FF", []string{"name is not valid UTF-8"}},
		"name too long":     {good + "&name=" + strings.Repeat("n", MaxNameLen+1), []string{"name is 201 bytes"}},
		"bad multiaddr":     {good + "&peer=" + peer + "&peer=" + peer + "&peer=/ip4/300.1.1.1/tcp/1", []string{"peer[2]", "not a multiaddr"}},
		"no /p2p/":          {good + "&peer=/ip4/10.0.0.1/tcp/7777", []string{"peer[0]", "does not end in /p2p/"}},
		"bad peer id":       {good + "&peer=/ip4/10.0.0.1/tcp/7777/p2p/12D3KooWnotanid", []string{"peer[0]", "not a multiaddr"}},
		"only /p2p/":        {good + "&peer=/p2p/" + idA, []string{"peer[0]", "no address before /p2p/"}},
		"unspecified peer":  {good + "&peer=/ip4/0.0.0.0/tcp/7777/p2p/" + idA, []string{"peer[0]", "unspecified"}},
		"unspecified6 peer": {good + "&peer=" + peer + "&peer=/ip6/::/tcp/7777/p2p/" + idA, []string{"peer[1]", "unspecified"}},
	} {
		_, err := ParseJoin(c.in)
		wantInvalid(t, name, err, c.parts...)
	}
}

func TestJoinValidate(t *testing.T) {
	key := testKey(t)
	wantInvalid(t, "bad peer", Join{Key: key, Peers: []string{"/ip4/10.0.0.1/tcp/1"}}.Validate(), "peer[0]", "/p2p/")
	wantInvalid(t, "bad name", Join{Name: "a\tb", Key: key}.Validate(), "control character")
	many := Join{Key: key}
	for range 200 {
		many.Peers = append(many.Peers, "/ip4/10.0.0.1/tcp/7777/p2p/"+idA)
	}
	wantInvalid(t, "too long", many.Validate(), "at most 8192")
}
