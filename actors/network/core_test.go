package network

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/meshhold/meshhold/messages"
	"github.com/meshhold/meshhold/persist"
)

const addr = "/ip4/192.0.2.7/tcp/7777/p2p/12D3KooWK99VoVxNE7XzyBwXEzW7xhK7Gpv85r9F3V3fyKSUKPH5"

func TestRefusesBadInput(t *testing.T) {
	badFP := sealed(1)
	badFP.Fingerprint = strings.ToUpper(badFP.Fingerprint)
	many := make([]string, messages.MaxBootstrap+1)
	for i := range many {
		many[i] = fmt.Sprintf("/ip4/192.0.2.%d/tcp/7777", i)
	}
	for _, tc := range []struct {
		name  string
		msg   any
		field string
		want  string
	}{
		{"no key", messages.AddNetwork{Name: "x"}, "key", "is required"},
		{"upper-case fingerprint", messages.AddNetwork{Key: badFP}, "key", "lowercase hex"},
		{"huge sealed key", messages.CreateNetwork{Key: messages.SealedKey{Fingerprint: id(1), Sealed: make([]byte, 300)}}, "key", "at most 256"},
		{"long name", messages.CreateNetwork{Name: strings.Repeat("é", 101), Key: sealed(1)}, "name", "202 bytes, at most 200"},
		{"control in name", messages.CreateNetwork{Name: "a\nb", Key: sealed(1)}, "name", "control characters"},
		{"empty addr", messages.AddNetwork{Key: sealed(1), Bootstrap: []string{addr, ""}}, "bootstrap", "[1] is empty"},
		{"space in addr", messages.AddNetwork{Key: sealed(1), Bootstrap: []string{"/ip4/1.2.3.4 /tcp/1"}}, "bootstrap", "spaces"},
		{"too many addrs", messages.ImportDeclared{Key: sealed(1), Bootstrap: many}, "bootstrap_peers", "at most 64"},
		{"no declared key", messages.ImportDeclared{Bootstrap: []string{addr}}, "swarm_key", "is required"},
		{"hold without sender", messages.HoldRotation{NetworkID: id(1), NewKey: sealed(2)}, "from", "peer id"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := newDriver(t)
			var invalid *messages.InvalidError
			err, _ := d.Step(tc.msg).(error)
			if !errors.As(err, &invalid) || invalid.Field != tc.field || !strings.Contains(invalid.Reason, tc.want) {
				t.Fatalf("got %v, want a 400 naming %s: …%s…", err, tc.field, tc.want)
			}
			if d.Store.Commits() != 0 || len(d.Events) != 0 {
				t.Fatal("a refused command wrote")
			}
		})
	}
}

func TestUnknownIDsAre404(t *testing.T) {
	d := newDriver(t)
	for _, msg := range []any{
		messages.GetNetwork{ID: id(1)}, messages.GetNetwork{}, messages.DeleteNetwork{ID: id(1)},
		messages.SetActive{ID: id(1)}, messages.AddPeers{ID: id(1), Addrs: []string{addr}},
		messages.SetBootstrap{ID: id(1)}, messages.RotateKey{ID: id(1), NewKey: sealed(2)},
		messages.HoldRotation{From: "12D3KooWbob", NetworkID: id(1), NewKey: sealed(2)},
		messages.AcceptRotation{ID: id(2)}, messages.RefuseRotation{ID: id(2)},
	} {
		if err, _ := d.Step(msg).(error); !errors.Is(err, messages.ErrNotFound) {
			t.Errorf("%T: %v, want not found", msg, err)
		}
	}
}

func TestLimitsHoldAcrossRestarts(t *testing.T) {
	d := newDriver(t)
	writes := make([]persist.Write, messages.MaxNetworks)
	for i := range writes {
		writes[i] = persist.Write{Bucket: persist.Networks, Key: fmt.Sprintf("%s/net/%016x", entity, i), Value: []byte{}}
	}
	if err := d.Store.Commit(writes); err != nil {
		t.Fatal(err)
	}
	d.Reload()
	if err, _ := d.Step(messages.CreateNetwork{Key: sealed(1)}).(error); !errors.Is(err, messages.ErrConflict) || !strings.Contains(err.Error(), "delete one first") {
		t.Fatalf("past the limit: %v", err)
	}
	if err, _ := d.Step(messages.ImportDeclared{Key: sealed(1)}).(error); !errors.Is(err, messages.ErrConflict) {
		t.Fatalf("import past the limit: %v", err)
	}
	d.Step(messages.DeleteNetwork{ID: fmt.Sprintf("%016x", 3)})
	if _, ok := d.Step(messages.CreateNetwork{Key: sealed(1)}).(messages.NetworkAdded); !ok {
		t.Fatal("a deleted network did not make room")
	}
}

func TestHeldRotationsAreBounded(t *testing.T) {
	d := newDriver(t)
	d.Step(messages.CreateNetwork{Key: sealed(1)})
	for i := range messages.MaxPendingRotations {
		key := messages.SealedKey{Fingerprint: fmt.Sprintf("%016x", i+1), Sealed: []byte{byte(i)}}
		if _, ok := d.Step(messages.HoldRotation{From: "12D3KooWbob", NetworkID: id(1), NewKey: key}).(messages.RotationHeld); !ok {
			t.Fatalf("hold %d refused", i)
		}
	}
	d.Reload()
	err, _ := d.Step(messages.HoldRotation{From: "12D3KooWbob", NetworkID: id(1), NewKey: sealed(2)}).(error)
	if !errors.Is(err, messages.ErrConflict) || !strings.Contains(err.Error(), "accept or refuse some first") {
		t.Fatalf("past the limit: %v", err)
	}
	d.Step(messages.RefuseRotation{ID: fmt.Sprintf("%016x", 1)})
	if _, ok := d.Step(messages.HoldRotation{From: "12D3KooWbob", NetworkID: id(1), NewKey: sealed(2)}).(messages.RotationHeld); !ok {
		t.Fatal("a refused rotation did not make room")
	}
}

func TestSendersOfAHeldKeyAreBounded(t *testing.T) {
	d := newDriver(t)
	d.Step(messages.CreateNetwork{Key: sealed(1)})
	for i := range messages.MaxRotationSenders + 3 {
		d.Step(messages.HoldRotation{From: fmt.Sprintf("12D3KooW%03d", i), NetworkID: id(1), NewKey: sealed(2)})
	}
	list := d.Step(messages.ListPendingRotations{}).(messages.PendingRotations)
	if len(list.Rotations) != 1 || len(list.Rotations[0].From) != messages.MaxRotationSenders {
		t.Fatalf("%+v", list)
	}
	if n := len(d.Events); n != 2 { // network_added, one swarm_key_rotation_pending
		t.Fatalf("%d events", n)
	}
}

// Keys leave the actor sealed and are never printed: not by fmt, slog, JSON or an event.
func TestKeysNeverShow(t *testing.T) {
	d := newDriver(t)
	d.Step(messages.ImportDeclared{Key: sealed(1), Bootstrap: []string{addr}})
	d.Step(messages.RotateKey{ID: id(1), NewKey: sealed(2)})
	d.Step(messages.HoldRotation{From: "12D3KooWbob", NetworkID: id(2), NewKey: sealed(3)})
	n := d.Step(messages.GetNetwork{ID: id(2)}).(messages.Network)
	if k, err := OpenKey(plain{}, n.Key); err != nil || !k.Equal(testKey(2)) {
		t.Fatalf("the stored key does not open to the rotated key: %v", err)
	}
	rot := d.Step(messages.ListPendingRotations{}).(messages.PendingRotations)
	var log strings.Builder
	slog.New(slog.NewTextHandler(&log, nil)).Info("x", "network", n, "key", n.Key, "rotation", rot.Rotations[0].Key)
	js, _ := json.Marshal(struct {
		N messages.Network
		R messages.PendingRotations
	}{n, rot})
	var evs strings.Builder
	for _, ev := range d.Events {
		b, _ := json.Marshal(ev.Data)
		evs.Write(b)
	}
	for what, s := range map[string]string{
		"%v": fmt.Sprintf("%v", n), "%+v": fmt.Sprintf("%+v", n), "%#v": fmt.Sprintf("%#v", n), "%x": fmt.Sprintf("%x", n.Key),
		"%v rotations": fmt.Sprintf("%v", rot), "slog": log.String(), "json": string(js), "events": evs.String(),
	} {
		for k := 1; k <= 3; k++ {
			if strings.Contains(s, hex.EncodeToString(testKey(k).Bytes())) || strings.Contains(s, fmt.Sprintf("%v", testKey(k).Bytes())) {
				t.Errorf("%s shows key %d: %s", what, k, s)
			}
		}
	}
	if !strings.Contains(string(js), `"key":"[sealed swarm key `+id(2)+`]"`) {
		t.Errorf("JSON does not show the fingerprint: %s", js)
	}
}

func TestOpenKeyChecksTheFingerprint(t *testing.T) {
	sk := sealed(1)
	sk.Fingerprint = id(2)
	if _, err := OpenKey(plain{}, sk); err == nil || !strings.Contains(err.Error(), "not "+id(2)) {
		t.Fatalf("a key under another network's id opened: %v", err)
	}
	if _, err := OpenKey(plain{}, messages.SealedKey{Fingerprint: id(1), Sealed: []byte("short")}); err == nil {
		t.Fatal("a 5-byte key opened")
	}
	if _, err := SealKey(nil, testKey(1)); !errors.Is(err, messages.ErrUnavailable) {
		t.Fatalf("no sealer: %v", err)
	}
}
