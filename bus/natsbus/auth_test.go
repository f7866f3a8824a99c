package natsbus_test

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/meshhold/meshhold/bus"
	"github.com/meshhold/meshhold/bus/natsbus"
)

// external connects an outside client and records its asynchronous errors.
type external struct {
	nc   *nats.Conn
	mu   sync.Mutex
	errs []error
}

func connectExternal(t *testing.T, url string, opts ...nats.Option) (*external, error) {
	t.Helper()
	e := &external{}
	opts = append(opts, nats.NoReconnect(), nats.Timeout(2*time.Second),
		nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) {
			e.mu.Lock()
			defer e.mu.Unlock()
			e.errs = append(e.errs, err)
		}))
	nc, err := nats.Connect(url, opts...)
	if err != nil {
		return nil, err
	}
	t.Cleanup(nc.Close)
	e.nc = nc
	return e, nil
}

func (e *external) permissionDenied(subject string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, err := range e.errs {
		if errors.Is(err, nats.ErrPermissionViolation) && strings.Contains(err.Error(), subject) {
			return true
		}
	}
	return false
}

func TestExternalClientSubscribesButCannotForgeEvents(t *testing.T) {
	for _, mode := range modes {
		t.Run(string(mode), func(t *testing.T) {
			b := startBus(t, natsbus.Config{Listen: "127.0.0.1:0", Token: goodToken, Conn: mode})
			if !strings.HasPrefix(b.ClientURL(), "nats://127.0.0.1:") {
				t.Fatalf("ClientURL() = %q", b.ClientURL())
			}
			ext, err := connectExternal(t, b.ClientURL(), nats.Token(goodToken))
			if err != nil {
				t.Fatalf("connect with the right token: %v", err)
			}
			received := make(chan *nats.Msg, 16)
			if _, err := ext.nc.ChanSubscribe(bus.AllEvents, received); err != nil {
				t.Fatal(err)
			}
			if err := ext.nc.Flush(); err != nil {
				t.Fatal(err)
			}
			inside := subscribeReady(t, b, ">", "test.probe")

			// The daemon's events reach the external subscriber.
			publish(t, b, bus.EventSubject("vault_created", "vault/v1"), "real")
			select {
			case m := <-received:
				if string(m.Data) != "real" {
					t.Fatalf("external got %q", m.Data)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("external subscriber got nothing")
			}

			// A forged event is refused; an ordinary subject is allowed and fences the check.
			forged := "meshhold.events.x.y"
			if err := ext.nc.Publish(forged, []byte("forged")); err != nil {
				t.Fatal(err)
			}
			if err := ext.nc.Publish("integration.hello", []byte("fence")); err != nil {
				t.Fatal(err)
			}
			waitFor(t, "permission violation", func() bool { return ext.permissionDenied(forged) })
			waitFor(t, "fence", func() bool { return inside.has("fence") })
			if inside.has("forged") {
				t.Error("daemon received the forged event")
			}
		})
	}
}

func TestExternalClientWrongTokenRefused(t *testing.T) {
	b := startBus(t, natsbus.Config{Listen: "127.0.0.1:0", Token: goodToken})
	for name, opts := range map[string][]nats.Option{
		"wrong token": {nats.Token("not-the-token-0123456789")},
		"no token":    nil,
	} {
		if _, err := connectExternal(t, b.ClientURL(), opts...); !errors.Is(err, nats.ErrAuthorization) {
			t.Errorf("%s: connect: %v, want authorization error", name, err)
		}
	}
}

func TestLoopbackListenWithoutTokenStillGuardsEvents(t *testing.T) {
	b := startBus(t, natsbus.Config{Listen: "127.0.0.1:0", Conn: natsbus.ConnInProcess})
	ext, err := connectExternal(t, b.ClientURL())
	if err != nil {
		t.Fatalf("connect without a token on loopback: %v", err)
	}
	inside := subscribeReady(t, b, ">", "test.probe")
	if err := ext.nc.Publish("meshhold.events.x.y", []byte("forged")); err != nil {
		t.Fatal(err)
	}
	if err := ext.nc.Publish("integration.hello", []byte("fence")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "permission violation", func() bool { return ext.permissionDenied("meshhold.events.x.y") })
	waitFor(t, "fence", func() bool { return inside.has("fence") })
	if inside.has("forged") {
		t.Error("daemon received the forged event")
	}
}

func TestInternalListenerAdmitsOnlyTheDaemon(t *testing.T) {
	b := startBus(t, natsbus.Config{Conn: natsbus.ConnLoopback, Token: goodToken})
	url := b.InternalURL()
	if !strings.HasPrefix(url, "nats://127.0.0.1:") {
		t.Fatalf("internal URL %q", url)
	}
	if b.ClientURL() != "" {
		t.Errorf("ClientURL() = %q without bus.listen", b.ClientURL())
	}
	for name, opts := range map[string][]nats.Option{
		"external token": {nats.Token(goodToken)},
		"no token":       nil,
	} {
		if _, err := connectExternal(t, url, opts...); !errors.Is(err, nats.ErrAuthorization) {
			t.Errorf("%s: connect: %v, want authorization error", name, err)
		}
	}
}
