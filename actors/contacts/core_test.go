package contacts

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/meshhold/meshhold/actors/host/coretest"
	"github.com/meshhold/meshhold/messages"
	"github.com/meshhold/meshhold/persist"
)

const entity = messages.ContactsKind + "/" + messages.ContactsID

// driver steps the contacts core as a host would, a second apart.
type driver struct{ *coretest.Driver }

func newDriver(t *testing.T) *driver {
	d := &driver{coretest.New(t, entity, Load)}
	d.Store.Buckets = []persist.Bucket{persist.Contacts}
	d.Tick = time.Second
	return d
}

// events renders each ContactChanged event as "type node_id [fields]".
func (d *driver) events() []string {
	var out []string
	for _, ev := range d.Events {
		c := ev.Data.(messages.ContactChanged)
		out = append(out, fmt.Sprintf("%s %s %v", ev.Type, c.NodeID, c.Fields))
	}
	return out
}

func (d *driver) upsert(id string, name, note *string, fav *bool) messages.ContactUpserted {
	d.T.Helper()
	r, ok := d.Step(messages.UpsertContact{NodeID: id, Name: name, Note: note, Favourite: fav}).(messages.ContactUpserted)
	if !ok {
		d.T.Fatalf("upsert %s refused", id)
	}
	return r
}

func ptr[T any](v T) *T { return &v }

func TestUpsertGetListRemove(t *testing.T) {
	d := newDriver(t)
	added := d.upsert("12D3KooWB", ptr("bob"), nil, nil)
	if !added.Created || added.Contact.Name != "bob" || added.Contact.AddedMs != d.Now.UnixMilli() || added.Contact.UpdatedMs != added.Contact.AddedMs {
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
	for _, c := range d.Step(messages.ListContacts{}).(messages.ContactList).Contacts {
		names = append(names, c.Name)
	}
	if strings.Join(names, ",") != "zed,Alice,bob" {
		t.Fatalf("order %v: want favourites first, then by name", names)
	}
	if c := d.Step(messages.GetContact{NodeID: "12D3KooWA"}).(messages.Contact); c.Note != "met at\nthe lab" {
		t.Fatalf("get: %+v", c)
	}
	if r := d.Step(messages.RemoveContact{NodeID: "12D3KooWA"}); r != (messages.ContactRemoved{NodeID: "12D3KooWA"}) {
		t.Fatalf("remove: %v", r)
	}
	for _, msg := range []any{messages.GetContact{NodeID: "12D3KooWA"}, messages.RemoveContact{NodeID: "12D3KooWA"}, messages.GetContact{}} {
		if err, _ := d.Step(msg).(error); !errors.Is(err, messages.ErrNotFound) || err.Error() != "contact not found" {
			t.Fatalf("%T of a removed contact: %v", msg, err)
		}
	}
	want := "contact_added 12D3KooWB [];contact_added 12D3KooWA [];contact_added 12D3KooWZ [];contact_updated 12D3KooWB [note];contact_removed 12D3KooWA []"
	if got := strings.Join(d.events(), ";"); got != want {
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
			if err, _ := d.Step(tc.msg).(error); !errors.As(err, &invalid) || invalid.Field != tc.field {
				t.Fatalf("got %v, want a 400 naming %s", err, tc.field)
			}
			if d.Store.Commits() != 0 {
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
	if err := d.Store.Commit(writes); err != nil {
		t.Fatal(err)
	}
	d.Reload() // counts what is on disk
	d.upsert("12D3KooWlast", nil, nil, nil)
	if err, _ := d.Step(messages.UpsertContact{NodeID: "12D3KooWmore"}).(error); !errors.Is(err, messages.ErrConflict) {
		t.Fatalf("past the limit: %v", err)
	}
	d.upsert("12D3KooWlast", ptr("still editable"), nil, nil)
	d.Step(messages.RemoveContact{NodeID: "12D3KooWlast"})
	d.upsert("12D3KooWmore", nil, nil, nil)
}
