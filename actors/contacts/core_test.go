package contacts

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/meshhold/meshhold/actors/host"
	"github.com/meshhold/meshhold/messages"
	"github.com/meshhold/meshhold/persist"
	"github.com/meshhold/meshhold/persist/memstore"
)

const entity = messages.ContactsKind + "/" + messages.ContactsID

// driver steps the contacts core as a host would, committing each step's writes at once.
type driver struct {
	t      *testing.T
	store  *memstore.Store
	core   host.Core
	now    time.Time
	events []string
}

func newDriver(t *testing.T) *driver {
	d := &driver{t: t, store: memstore.New(), now: time.UnixMilli(1_700_000_000_000)}
	d.store.Buckets = []persist.Bucket{persist.Contacts}
	d.reload()
	return d
}

// reload rebuilds the core from the records, as after a restart.
func (d *driver) reload() {
	snap, _ := d.store.Snapshot()
	defer snap.Release()
	core, err := Load(entity, snap)
	if err != nil {
		d.t.Fatal(err)
	}
	d.core = core
	d.step(host.Recovered{})
}

func (d *driver) step(msg any) any {
	d.t.Helper()
	d.now = d.now.Add(time.Second)
	snap, _ := d.store.Snapshot()
	defer snap.Release()
	out := d.core.Step(d.now, msg, snap)
	if len(out.Writes) > 0 {
		if err := d.store.Commit(out.Writes); err != nil {
			d.t.Fatal(err)
		}
	}
	for _, ev := range out.Events {
		d.events = append(d.events, fmt.Sprintf("%s %s %v", ev.Type, ev.Data.(messages.ContactChanged).NodeID, ev.Data.(messages.ContactChanged).Fields))
	}
	return out.Reply
}

func (d *driver) upsert(id string, name, note *string, fav *bool) messages.ContactUpserted {
	d.t.Helper()
	r, ok := d.step(messages.UpsertContact{NodeID: id, Name: name, Note: note, Favourite: fav}).(messages.ContactUpserted)
	if !ok {
		d.t.Fatalf("upsert %s refused", id)
	}
	return r
}

func ptr[T any](v T) *T { return &v }

func TestUpsertGetListRemove(t *testing.T) {
	d := newDriver(t)
	added := d.upsert("12D3KooWB", ptr("bob"), nil, nil)
	if !added.Created || added.Contact.Name != "bob" || added.Contact.AddedMs != d.now.UnixMilli() || added.Contact.UpdatedMs != added.Contact.AddedMs {
		t.Fatalf("add: %+v", added)
	}
	d.upsert("12D3KooWA", ptr("Alice"), ptr("met at\nthe lab"), nil)
	d.upsert("12D3KooWZ", ptr("zed"), nil, ptr(true))
	changed := d.upsert("12D3KooWB", nil, ptr("brother"), nil)
	if changed.Created || changed.Contact.Name != "bob" || changed.Contact.Note != "brother" || changed.Contact.AddedMs != added.Contact.AddedMs || changed.Contact.UpdatedMs <= added.Contact.UpdatedMs {
		t.Fatalf("update: %+v", changed)
	}
	same := d.upsert("12D3KooWB", ptr("bob"), nil, nil)
	if same.Created || same.Contact.UpdatedMs != changed.Contact.UpdatedMs {
		t.Fatalf("a no-op upsert changed the contact: %+v", same)
	}
	var names []string
	for _, c := range d.step(messages.ListContacts{}).(messages.ContactList).Contacts {
		names = append(names, c.Name)
	}
	if strings.Join(names, ",") != "zed,Alice,bob" {
		t.Fatalf("order %v: want favourites first, then by name", names)
	}
	if c := d.step(messages.GetContact{NodeID: "12D3KooWA"}).(messages.Contact); c.Note != "met at\nthe lab" {
		t.Fatalf("get: %+v", c)
	}
	if r := d.step(messages.RemoveContact{NodeID: "12D3KooWA"}); r != (messages.ContactRemoved{NodeID: "12D3KooWA"}) {
		t.Fatalf("remove: %v", r)
	}
	for _, msg := range []any{messages.GetContact{NodeID: "12D3KooWA"}, messages.RemoveContact{NodeID: "12D3KooWA"}, messages.GetContact{}} {
		if err, _ := d.step(msg).(error); !errors.Is(err, messages.ErrNotFound) || err.Error() != "contact not found" {
			t.Fatalf("%T of a removed contact: %v", msg, err)
		}
	}
	want := "contact_added 12D3KooWB [];contact_added 12D3KooWA [];contact_added 12D3KooWZ [];contact_updated 12D3KooWB [note];contact_removed 12D3KooWA []"
	if got := strings.Join(d.events, ";"); got != want {
		t.Fatalf("events\n%s\nwant\n%s", got, want)
	}
}

func TestUpsertRefusesBadInput(t *testing.T) {
	for _, tc := range []struct {
		name  string
		msg   messages.UpsertContact
		field string
	}{
		{"no node id", messages.UpsertContact{Name: ptr("x")}, "node_id"},
		{"long node id", messages.UpsertContact{NodeID: strings.Repeat("1", messages.MaxNodeID+1)}, "node_id"},
		{"long name", messages.UpsertContact{NodeID: "12D3KooWA", Name: ptr(strings.Repeat("n", 65))}, "name"},
		{"control in name", messages.UpsertContact{NodeID: "12D3KooWA", Name: ptr("a\tb")}, "name"},
		{"long note", messages.UpsertContact{NodeID: "12D3KooWA", Note: ptr(strings.Repeat("n", 1025))}, "note"},
		{"control in note", messages.UpsertContact{NodeID: "12D3KooWA", Note: ptr("bell\a")}, "note"},
		{"bad utf-8", messages.UpsertContact{NodeID: "12D3KooWA", Note: ptr("\xff")}, "note"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := newDriver(t)
			var invalid *messages.InvalidError
			if err, _ := d.step(tc.msg).(error); !errors.As(err, &invalid) || invalid.Field != tc.field {
				t.Fatalf("got %v, want a 400 naming %s", err, tc.field)
			}
			if d.store.Commits() != 0 {
				t.Fatal("a refused upsert wrote")
			}
		})
	}
}

func TestTheListIsBoundedAcrossRestarts(t *testing.T) {
	d := newDriver(t)
	writes := make([]persist.Write, messages.MaxContacts-1)
	for i := range writes {
		writes[i] = persist.Write{Bucket: persist.Contacts, Key: fmt.Sprintf("%s/n%05d", entity, i), Value: []byte{}}
	}
	if err := d.store.Commit(writes); err != nil {
		t.Fatal(err)
	}
	d.reload() // counts what is on disk
	d.upsert("12D3KooWlast", nil, nil, nil)
	if err, _ := d.step(messages.UpsertContact{NodeID: "12D3KooWmore"}).(error); !errors.Is(err, messages.ErrConflict) {
		t.Fatalf("past the limit: %v", err)
	}
	d.upsert("12D3KooWlast", ptr("still editable"), nil, nil)
	d.step(messages.RemoveContact{NodeID: "12D3KooWlast"})
	d.upsert("12D3KooWmore", nil, nil, nil)
}
