package vault_test

import (
	"errors"
	"testing"

	"github.com/meshhold/meshhold/messages"
)

// A create-only upload (IfNoneMatch) is refused when the path has a live version, at the
// begin and again at the commit (a write that landed in between), even with the same bytes;
// a deleted path can be created again.
func TestCreateOnlyUpload(t *testing.T) {
	r := newRig(t)
	r.create(messages.VaultPolicy{}, false)
	if _, err := asErr(r.v.Step(messages.BeginUpload{Path: "/lock", Size: 1, IfNoneMatch: true})); err != nil {
		t.Fatalf("begin of a new path: %v", err)
	}
	r.put("/lock", "held") // another writer, between the begin and the commit
	_, err := asErr(r.v.Step(messages.CommitUpload{Path: "/lock", Manifest: manifest("held", 4), ContentType: "text/plain", IfNoneMatch: true}))
	if !errors.Is(err, messages.ErrPreconditionFailed) {
		t.Fatalf("create-only commit over a live path: %v", err)
	}
	if _, err := asErr(r.v.Step(messages.BeginUpload{Path: "/lock", Size: 1, IfNoneMatch: true})); !errors.Is(err, messages.ErrPreconditionFailed) {
		t.Fatalf("create-only begin over a live path: %v", err)
	}
	r.step(messages.DeleteFile{Path: "/lock"})
	if _, err := asErr(r.v.Step(messages.CommitUpload{Path: "/lock", Manifest: manifest("again", 4), ContentType: "text/plain", IfNoneMatch: true})); err != nil {
		t.Fatalf("create-only commit of a deleted path: %v", err)
	}
}
