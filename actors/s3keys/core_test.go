package s3keys

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/meshhold/meshhold/actors/host/coretest"
	"github.com/meshhold/meshhold/messages"
	"github.com/meshhold/meshhold/persist"
)

const (
	entity = messages.S3KeysKind + "/" + messages.S3KeysID
	keyA   = "MHAAAAAAAAAAAAAAAAAA"
	keyB   = "MHBBBBBBBBBBBBBBBBBB"
)

func newDriver(t *testing.T) *coretest.Driver {
	d := coretest.New(t, entity, Load)
	d.Store.Buckets = []persist.Bucket{persist.S3Keys}
	d.Tick = time.Second
	return d
}

func create(id string, canCreate bool) messages.CreateS3Key {
	return messages.CreateS3Key{ID: id, Label: "label " + id[:3], SealedSecret: []byte("sealed-" + id), CanCreateBuckets: canCreate}
}

// must steps msg and fails the test when the reply is an error.
func must[T any](t *testing.T, d *coretest.Driver, msg any) T {
	t.Helper()
	reply := d.Step(msg)
	r, ok := reply.(T)
	if !ok {
		t.Fatalf("%T: reply %v", msg, reply)
	}
	return r
}

func eventTypes(d *coretest.Driver) string {
	var out []string
	for _, ev := range d.Events {
		out = append(out, ev.Type)
	}
	return strings.Join(out, " ")
}

// Keys and grants survive a reload; deleting a key takes its grants with it.
func TestKeyAndGrantLifecycle(t *testing.T) {
	d := newDriver(t)
	k := must[messages.S3Key](t, d, create(keyA, true))
	if k.AccessKeyID != keyA || !k.CanCreateBuckets || k.CreatedMs != d.Now.UnixMilli() || k.Label != "label MHA" {
		t.Fatalf("created %+v", k)
	}
	must[messages.S3Key](t, d, create(keyB, false))
	must[messages.S3Grant](t, d, messages.GrantS3{KeyID: keyA, Bucket: "photos", Ops: []string{"delete", "read", "read"}})
	must[messages.S3Grant](t, d, messages.GrantS3{KeyID: keyA, Bucket: "backup", Ops: []string{"write"}})
	g := must[messages.S3Grant](t, d, messages.GrantS3{KeyID: keyB, Bucket: "photos", Ops: []string{"read"}})
	if !reflect.DeepEqual(g, messages.S3Grant{KeyID: keyB, Bucket: "photos", Ops: []string{"read"}}) {
		t.Fatalf("grant %+v", g)
	}
	d.Reload()

	acc := must[messages.S3KeyAccess](t, d, messages.LookupS3Key{ID: keyA})
	if string(acc.SealedSecret) != "sealed-"+keyA || !acc.Key.CanCreateBuckets {
		t.Fatalf("lookup %+v", acc)
	}
	want := []messages.S3Grant{{KeyID: keyA, Bucket: "backup", Ops: []string{"write"}}, {KeyID: keyA, Bucket: "photos", Ops: []string{"read", "delete"}}}
	if !reflect.DeepEqual(acc.Grants, want) {
		t.Fatalf("grants of A: %+v", acc.Grants)
	}
	for _, c := range []struct {
		bucket, op string
		ok         bool
	}{{"photos", "read", true}, {"photos", "delete", true}, {"photos", "write", false}, {"backup", "write", true}, {"backup", "read", false}, {"other", "read", false}} {
		if acc.Allows(c.bucket, c.op) != c.ok {
			t.Errorf("Allows(%s, %s) = %v", c.bucket, c.op, !c.ok)
		}
	}
	all := must[messages.S3GrantList](t, d, messages.ListS3Grants{})
	if len(all.Grants) != 3 || all.Grants[2].KeyID != keyB {
		t.Fatalf("all grants: %+v", all.Grants)
	}

	del := must[messages.S3KeyDeleted](t, d, messages.DeleteS3Key{ID: keyA})
	if del.Grants != 2 {
		t.Fatalf("deleted %+v", del)
	}
	if err, _ := d.Step(messages.LookupS3Key{ID: keyA}).(error); !errors.Is(err, messages.ErrNotFound) {
		t.Fatalf("lookup of a deleted key: %v", err)
	}
	d.Reload()
	keys := must[messages.S3KeyList](t, d, messages.ListS3Keys{})
	if len(keys.Keys) != 1 || keys.Keys[0].AccessKeyID != keyB {
		t.Fatalf("keys left: %+v", keys.Keys)
	}
	if left := must[messages.S3GrantList](t, d, messages.ListS3Grants{}); len(left.Grants) != 1 {
		t.Fatalf("grants left: %+v", left.Grants)
	}
	// A key made again under the old id starts with no grants.
	must[messages.S3Key](t, d, create(keyA, false))
	if acc := must[messages.S3KeyAccess](t, d, messages.LookupS3Key{ID: keyA}); len(acc.Grants) != 0 || acc.Key.CanCreateBuckets {
		t.Fatalf("recreated key: %+v", acc)
	}
	if got := eventTypes(d); got != "s3_key_created s3_key_created s3_grant_set s3_grant_set s3_grant_set s3_key_revoked s3_key_created" {
		t.Fatalf("events: %s", got)
	}
}

// Setting the same ops again changes nothing; new ops replace the old; revoke removes.
func TestGrantReplaceAndRevoke(t *testing.T) {
	d := newDriver(t)
	must[messages.S3Key](t, d, create(keyA, false))
	must[messages.S3Grant](t, d, messages.GrantS3{KeyID: keyA, Bucket: "media", Ops: []string{"read", "write"}})
	must[messages.S3Grant](t, d, messages.GrantS3{KeyID: keyA, Bucket: "media", Ops: []string{"write", "read"}})
	g := must[messages.S3Grant](t, d, messages.GrantS3{KeyID: keyA, Bucket: "media", Ops: []string{"read"}})
	if !reflect.DeepEqual(g.Ops, []string{"read"}) {
		t.Fatalf("replaced: %+v", g)
	}
	must[messages.S3Grant](t, d, messages.RevokeS3{KeyID: keyA, Bucket: "media"})
	if acc := must[messages.S3KeyAccess](t, d, messages.LookupS3Key{ID: keyA}); acc.Allows("media", "read") {
		t.Fatal("a revoked grant still allows")
	}
	if err, _ := d.Step(messages.RevokeS3{KeyID: keyA, Bucket: "media"}).(error); !errors.Is(err, messages.ErrNotFound) {
		t.Fatalf("second revoke: %v", err)
	}
	if got := eventTypes(d); got != "s3_key_created s3_grant_set s3_grant_set s3_grant_removed" {
		t.Fatalf("events: %s", got)
	}
}

// Bad input is refused with the field at fault, and nothing is written.
func TestRefusals(t *testing.T) {
	d := newDriver(t)
	must[messages.S3Key](t, d, create(keyA, false))
	long := strings.Repeat("x", messages.MaxS3KeyLabel+1)
	cases := []struct {
		msg   any
		field string // the InvalidError's field, or "" for a sentinel
		is    error
	}{
		{create("mhlowercase123456789", false), "access_key_id", nil},
		{create("MHSHORT", false), "access_key_id", nil},
		{messages.CreateS3Key{ID: keyB, Label: long, SealedSecret: []byte("s")}, "label", nil},
		{messages.CreateS3Key{ID: keyB, Label: "a\nb", SealedSecret: []byte("s")}, "label", nil},
		{messages.CreateS3Key{ID: keyB}, "secret_access_key", nil},
		{create(keyA, false), "", messages.ErrConflict},
		{messages.GrantS3{KeyID: keyA, Bucket: "Photos", Ops: []string{"read"}}, "bucket", nil},
		{messages.GrantS3{KeyID: keyA, Bucket: "a/b", Ops: []string{"read"}}, "bucket", nil},
		{messages.GrantS3{KeyID: keyA, Bucket: "photos"}, "ops", nil},
		{messages.GrantS3{KeyID: keyA, Bucket: "photos", Ops: []string{"list"}}, "ops", nil},
		{messages.GrantS3{KeyID: keyB, Bucket: "photos", Ops: []string{"read"}}, "", messages.ErrNotFound},
		{messages.GrantS3{KeyID: "../x", Bucket: "photos", Ops: []string{"read"}}, "key_id", nil},
		{messages.DeleteS3Key{ID: keyB}, "", messages.ErrNotFound},
		{messages.LookupS3Key{ID: ""}, "", messages.ErrNotFound},
		{messages.RevokeS3{KeyID: keyA, Bucket: "../photos"}, "", messages.ErrNotFound},
	}
	for i, c := range cases {
		t.Run(fmt.Sprintf("%d_%T", i, c.msg), func(t *testing.T) {
			err, _ := d.Step(c.msg).(error)
			var inv *messages.InvalidError
			switch {
			case err == nil:
				t.Fatal("accepted")
			case c.is != nil && !errors.Is(err, c.is):
				t.Fatalf("got %v, want %v", err, c.is)
			case c.is == nil && (!errors.As(err, &inv) || inv.Field != c.field):
				t.Fatalf("got %v, want an invalid %s", err, c.field)
			}
		})
	}
	if got := eventTypes(d); got != "s3_key_created" {
		t.Fatalf("a refused command left events: %s", got)
	}
	if keys := must[messages.S3KeyList](t, d, messages.ListS3Keys{}); len(keys.Keys) != 1 {
		t.Fatalf("keys: %+v", keys.Keys)
	}
}

// The key limit holds across a reload (the count is rebuilt from disk).
func TestKeyLimit(t *testing.T) {
	d := newDriver(t)
	for i := range messages.MaxS3Keys {
		must[messages.S3Key](t, d, create(fmt.Sprintf("MH%018d", i), false))
	}
	d.Reload()
	if err, _ := d.Step(create(keyA, false)).(error); !errors.Is(err, messages.ErrConflict) {
		t.Fatalf("key past the limit: %v", err)
	}
	must[messages.S3KeyDeleted](t, d, messages.DeleteS3Key{ID: fmt.Sprintf("MH%018d", 7)})
	must[messages.S3Key](t, d, create(keyA, false))
}
