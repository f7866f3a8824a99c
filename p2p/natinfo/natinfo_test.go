package natinfo_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/meshhold/meshhold/messages"
	"github.com/meshhold/meshhold/p2p/natinfo"
)

// This machine has no gateway (or no multicast route): the answer is the normal "no gateway
// found", within the timeout.
func TestRealDiscoveryFindsNoGateway(t *testing.T) {
	if testing.Short() {
		t.Skip("SSDP discovery waits about two seconds")
	}
	start := time.Now()
	st := natinfo.New(natinfo.Config{MeshPort: 7777}).Status(context.Background())
	if st.GatewayFound || st.Gateway != nil || !strings.HasPrefix(st.Message, natinfo.NoGateway) || st.Mappings == nil || st.CheckedAtMs == 0 || st.PublicIP != "" {
		t.Fatalf("status %+v", st)
	}
	if took := time.Since(start); took > natinfo.DefaultTimeout+time.Second {
		t.Fatalf("the check took %v", took)
	}
}

func noGateway(context.Context) ([]natinfo.Gateway, error) { return nil, nil }

func TestPublicIPLookup(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		status     int
		ip, err    string
	}{
		{"plain", "203.0.113.7\n", 200, "203.0.113.7", ""},
		{"json", `{"ip":"2001:db8::1","country":"DE"}`, 200, "2001:db8::1", ""},
		{"mapped v4", "::ffff:198.51.100.2", 200, "198.51.100.2", ""},
		{"not an ip", "<html>hello</html>", 200, "", "not an IP address"},
		{"error status", "nope", 500, "", "answered 500"},
		{"too long", strings.Repeat("1", 5000), 200, "", "longer than"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(tc.status)
				_, _ = w.Write([]byte(tc.body))
			}))
			defer srv.Close()
			st := natinfo.New(natinfo.Config{PublicIPURL: srv.URL, Discover: noGateway}).Status(context.Background())
			if st.PublicIP != tc.ip || !strings.Contains(st.PublicIPError, tc.err) || (tc.err == "") != (st.PublicIPError == "") {
				t.Fatalf("public ip %q, error %q", st.PublicIP, st.PublicIPError)
			}
			if st.PublicIPURL != srv.URL || st.Message != natinfo.NoGateway {
				t.Fatalf("status %+v", st)
			}
		})
	}
}

func TestPublicIPLookupIsOffUnlessSet(t *testing.T) {
	st := natinfo.New(natinfo.Config{Discover: noGateway}).Status(context.Background())
	if st.PublicIP != "" || st.PublicIPError != "" || st.PublicIPURL != "" {
		t.Fatalf("status %+v", st)
	}
}

// fakeGateway answers from its fields.
type fakeGateway struct {
	ip      string
	ipErr   error
	mapping *messages.NATMapping
	mapErr  error
}

func (g fakeGateway) Name() string { return "Router" }
func (g fakeGateway) URL() string  { return "http://192.168.1.1:5000/rootDesc.xml" }
func (g fakeGateway) ExternalIP(context.Context) (string, error) {
	return g.ip, g.ipErr
}
func (g fakeGateway) Mapping(_ context.Context, proto string, port int) (messages.NATMapping, bool, error) {
	if g.mapping == nil || g.mapErr != nil {
		return messages.NATMapping{}, false, g.mapErr
	}
	m := *g.mapping
	m.Protocol, m.ExternalPort = proto, port
	return m, true, nil
}

func TestGatewayFound(t *testing.T) {
	for _, tc := range []struct {
		name     string
		gw       fakeGateway
		message  string
		err      string
		mappings int
	}{
		{"mapped", fakeGateway{ip: "198.51.100.9", mapping: &messages.NATMapping{InternalPort: 7777, InternalIP: "192.168.1.20", Enabled: true}}, "gateway found", "", 1},
		{"not mapped", fakeGateway{ip: "198.51.100.9"}, "gateway found; the mesh port is not mapped", "", 0},
		{"failing", fakeGateway{ipErr: errors.New("timeout"), mapErr: errors.New("refused")}, "gateway found", "external IP: timeout\nmapping of the mesh port: refused", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := natinfo.New(natinfo.Config{MeshPort: 7777, Discover: func(context.Context) ([]natinfo.Gateway, error) {
				return []natinfo.Gateway{tc.gw}, nil
			}})
			st := c.Status(context.Background())
			if !st.GatewayFound || st.Gateway.Name != "Router" || st.ExternalIP != tc.gw.ip || st.Message != tc.message || st.Error != tc.err || len(st.Mappings) != tc.mappings {
				t.Fatalf("status %+v", st)
			}
			if tc.mappings > 0 && (st.Mappings[0].ExternalPort != 7777 || st.Mappings[0].Protocol != "TCP") {
				t.Fatalf("mapping %+v", st.Mappings[0])
			}
		})
	}
}

// A result is reused for CacheFor; callers arriving during a check share it.
func TestResultIsCached(t *testing.T) {
	var calls atomic.Int32
	release := make(chan struct{})
	var mu sync.Mutex
	now := time.UnixMilli(1_700_000_000_000)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	c := natinfo.New(natinfo.Config{Now: clock, Discover: func(context.Context) ([]natinfo.Gateway, error) {
		calls.Add(1)
		<-release
		return nil, nil
	}})
	var wg sync.WaitGroup
	for range 5 {
		wg.Go(func() { c.Status(context.Background()) })
	}
	time.Sleep(50 * time.Millisecond)
	close(release)
	wg.Wait()
	c.Status(context.Background())
	if calls.Load() != 1 {
		t.Fatalf("%d checks for 6 calls within a minute", calls.Load())
	}
	mu.Lock()
	now = now.Add(natinfo.DefaultCacheFor)
	mu.Unlock()
	if st := c.Status(context.Background()); calls.Load() != 2 || st.CheckedAtMs != now.UnixMilli() {
		t.Fatalf("after a minute: %d checks, checked at %d", calls.Load(), st.CheckedAtMs)
	}
}

// A caller that cannot wait gets an answer saying so; the check goes on for the next caller.
func TestCallerDeadline(t *testing.T) {
	release := make(chan struct{})
	c := natinfo.New(natinfo.Config{Discover: func(context.Context) ([]natinfo.Gateway, error) {
		<-release
		return nil, nil
	}})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	if st := c.Status(ctx); st.GatewayFound || !strings.Contains(st.Message, "did not finish") {
		t.Fatalf("status %+v", st)
	}
	close(release)
	if st := c.Status(context.Background()); st.Message != natinfo.NoGateway {
		t.Fatalf("status %+v", st)
	}
}
