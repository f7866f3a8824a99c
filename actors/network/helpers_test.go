package network

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/meshhold/meshhold/actors/host/coretest"
	"github.com/meshhold/meshhold/messages"
	"github.com/meshhold/meshhold/p2p/swarmkey"
	"github.com/meshhold/meshhold/persist"
)

const entity = messages.NetworkKind + "/" + messages.NetworkSelf

// plain is a Sealer that seals nothing, as the keyring does with at-rest protection off.
type plain struct{}

func (plain) Seal(_ string, b []byte) ([]byte, error) { return bytes.Clone(b), nil }
func (plain) Open(_ string, b []byte) ([]byte, error) { return bytes.Clone(b), nil }

// testKey is the n-th test key: 32 bytes of n.
func testKey(n int) swarmkey.Key {
	k, err := swarmkey.FromBytes(bytes.Repeat([]byte{byte(n)}, swarmkey.Size))
	if err != nil {
		panic(err)
	}
	return k
}

// sealed is testKey(n) sealed for the actor.
func sealed(n int) messages.SealedKey {
	sk, err := SealKey(plain{}, testKey(n))
	if err != nil {
		panic(err)
	}
	return sk
}

// id is the network id of testKey(n).
func id(n int) string { return testKey(n).Fingerprint() }

// driver steps the networks core as a host would, a second apart.
type driver struct{ *coretest.Driver }

func newDriver(t *testing.T) *driver {
	d := &driver{coretest.New(t, entity, Load)}
	d.Store.Buckets = []persist.Bucket{persist.Networks}
	d.Tick = time.Second
	return d
}

// names replaces every test key's id with k<n>, for readable output.
var names = func() *strings.Replacer {
	var pairs []string
	for n := 1; n <= 9; n++ {
		pairs = append(pairs, id(n), fmt.Sprintf("k%d", n))
	}
	return strings.NewReplacer(pairs...)
}()

// show renders a reply: networks and rotations in one line each, errors as "error …".
func show(reply any) string {
	switch r := reply.(type) {
	case error:
		return "error " + r.Error()
	case messages.Network:
		return showNetwork(r)
	case messages.NetworkList:
		lines := []string{fmt.Sprintf("active=%q offline=%v", r.ActiveID, r.Offline)}
		for _, n := range r.Networks {
			lines = append(lines, showNetwork(n))
		}
		return strings.Join(lines, "\n")
	case messages.NetworkAdded:
		return "added " + showNetwork(r.Network)
	case messages.NetworkImported:
		return fmt.Sprintf("imported created=%v activated=%v moved=%v %s", r.Created, r.Activated, r.Moved, showNetwork(r.Network))
	case messages.NetworkUpdated:
		return fmt.Sprintf("updated added=%d %s", r.Added, showNetwork(r.Network))
	case messages.NetworkActivated:
		return fmt.Sprintf("activated previous=%q %s", r.PreviousID, showNetwork(r.Network))
	case messages.KeyRotated:
		return fmt.Sprintf("rotated previous=%s %s", r.PreviousID, showNetwork(r.Network))
	case messages.RotationHeld:
		return fmt.Sprintf("held new=%v %s", r.New, showRotation(r.Rotation))
	case messages.PendingRotations:
		lines := []string{fmt.Sprintf("%d pending", len(r.Rotations))}
		for _, p := range r.Rotations {
			lines = append(lines, showRotation(p))
		}
		return strings.Join(lines, "\n")
	}
	return fmt.Sprintf("%T %s", reply, jsonOf(reply))
}

func showNetwork(n messages.Network) string {
	flags := []string{n.Source}
	if n.Active {
		flags = append(flags, "active")
	}
	if n.Declared {
		flags = append(flags, "declared")
	}
	if n.PreviousID != "" {
		flags = append(flags, "was="+n.PreviousID)
	}
	sort.Strings(flags[1:])
	return fmt.Sprintf("%s %q key=%s bootstrap=%v [%s]", n.ID, n.Name, n.Key, n.Bootstrap, strings.Join(flags, " "))
}

func showRotation(p messages.PendingRotation) string {
	return fmt.Sprintf("%s for %s %q from %v at %d key=%s", p.ID, p.NetworkID, p.NetworkName, p.From, p.ReceivedMs, p.Key)
}

func jsonOf(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
