package joinurl

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/meshhold/meshhold/messages"
)

// testRoom is a valid room of two members with a fixed key.
func testRoom() Room {
	r := Room{Name: "Family chat", Members: []string{idB, idA}, Peers: []string{"/ip4/192.0.2.7/tcp/7777/p2p/" + idA}}
	for i := range r.Key {
		r.Key[i] = byte(0xa0 + i)
	}
	r.ID = messages.RoomID(r.Key, r.Members)
	return r
}

func TestRoomURLRoundTrip(t *testing.T) {
	r := testRoom()
	url := r.URL()
	if !strings.HasPrefix(url, "meshhold://room/v1?id="+r.ID+"&name=Family%20chat&key=a0a1a2") {
		t.Fatalf("URL %s", url)
	}
	got, err := ParseRoom(url)
	if err != nil || got.ID != r.ID || got.Name != r.Name || got.Key != r.Key ||
		!slices.Equal(got.Members, r.Members) || !slices.Equal(got.Peers, r.Peers) {
		t.Fatalf("ParseRoom = %v %v, %v", got, got.Members, err)
	}
	keyHex := url[strings.Index(url, "key=")+4 : strings.Index(url, "key=")+68]
	for _, s := range []string{got.String(), fmt.Sprintf("%v %+v %#v %s", got, got, got, got)} {
		if strings.Contains(s, keyHex) {
			t.Fatalf("the key leaks: %s", s)
		}
	}
}

func TestRoomURLErrorsNameThePart(t *testing.T) {
	r := testRoom()
	key := strings.Repeat("ab", 32)
	good := r.URL()
	keyHex := good[strings.Index(good, "key=")+4 : strings.Index(good, "key=")+68]
	other := testRoom()
	other.Key[0] ^= 1 // the same id with another key: a forged or damaged URL
	forged := strings.Replace(good, keyHex, strings.Split(strings.SplitAfter(other.URL(), "key=")[1], "&")[0], 1)
	for _, tc := range []struct{ url, want string }{
		{"meshhold://room/v1?key=" + key + "&member=" + idA, "missing id"},
		{"meshhold://room/v1?id=ABC&key=" + key + "&member=" + idA, "room id"},
		{"meshhold://room/v1?id=" + r.ID + "&member=" + idA, "missing key"},
		{"meshhold://room/v1?id=" + r.ID + "&key=abcd&member=" + idA, "key is 4 characters"},
		{"meshhold://room/v1?id=" + r.ID + "&key=" + strings.Repeat("zz", 32), "key is not hex"},
		{"meshhold://room/v1?id=" + r.ID + "&key=" + key, "missing member"},
		{"meshhold://room/v1?id=" + r.ID + "&key=" + key + "&member=bob", "member[0]"},
		{forged, "does not derive"},
		{good + "&peer=/ip4/1.2.3.4/tcp/1", "peer[1]"},
		{"meshhold://vault/v1?id=v1&key=" + key, "not a room URL"},
	} {
		_, err := ParseRoom(tc.url)
		if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), key) || strings.Contains(err.Error(), keyHex) {
			t.Errorf("%s: %v, want %q", tc.url, err, tc.want)
		}
	}
}

// A room with too many peers for one URL is refused by Validate rather than written.
func TestRoomURLTooLong(t *testing.T) {
	r := testRoom()
	for len(r.URL()) <= MaxLen {
		r.Peers = append(r.Peers, r.Peers[0])
	}
	if err := r.Validate(); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "share fewer peers") {
		t.Fatalf("Validate = %v", err)
	}
}

func FuzzParseRoom(f *testing.F) {
	r := testRoom()
	f.Add(r.URL())
	r.Name, r.Peers = "", nil
	f.Add(r.URL())
	f.Add("meshhold://room/v1?id=&key=&member=")
	f.Add(strings.ToUpper(r.URL()))
	f.Fuzz(func(t *testing.T, s string) {
		v, err := ParseRoom(s)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error %v does not wrap ErrInvalid", err)
			}
			return
		}
		back, err := ParseRoom(v.URL())
		if err != nil || back.ID != v.ID || back.Name != v.Name || back.Key != v.Key ||
			!slices.Equal(back.Members, v.Members) || !slices.Equal(back.Peers, v.Peers) {
			t.Fatalf("%q parsed, but its URL does not parse back the same: %v", s, err)
		}
		if messages.RoomID(v.Key, v.Members) != v.ID {
			t.Fatalf("%q parsed with an id that does not derive from its key and members", s)
		}
	})
}
