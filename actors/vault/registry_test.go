package vault_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/meshhold/meshhold/actors/host/coretest"
	"github.com/meshhold/meshhold/actors/vault"
	"github.com/meshhold/meshhold/messages"
)

func newRegistry(t *testing.T) *coretest.Driver {
	return coretest.New(t, messages.VaultsKind+"/"+messages.RegistryID, vault.LoadRegistry)
}

func createCmd(id, name string) messages.CreateVault {
	return messages.CreateVault{ID: id, Name: name, SealedKey: seal(messages.VaultKeyPurpose(id), testKey[:])}
}

func TestRegistryCreateListGet(t *testing.T) {
	d := newRegistry(t)
	for _, c := range []messages.CreateVault{createCmd("b", "Music"), createCmd("a", "Photos"), createCmd("c", "Docs")} {
		if meta, ok := d.Step(c).(messages.VaultMeta); !ok || meta.ID != c.ID || meta.Name != c.Name {
			t.Fatalf("create %s: %#v", c.ID, d.Step(c))
		}
	}
	pw := createCmd("d", "Secret")
	pw.SealedKey, pw.Wrap = nil, testWrap()
	if meta := d.Step(pw).(messages.VaultMeta); !meta.PasswordProtected || meta.Wrap == nil {
		t.Fatalf("password vault: %#v", meta)
	}
	list := d.Step(messages.ListVaults{}).(messages.VaultList)
	var names []string
	for _, v := range list.Vaults {
		names = append(names, v.Name)
	}
	if got := strings.Join(names, ","); got != "Docs,Music,Photos,Secret" {
		t.Fatalf("list order %s, want by name", got)
	}
	if got := d.Step(messages.GetVaultMeta{ID: "a"}).(messages.VaultMeta); got.Name != "Photos" || got.PasswordProtected {
		t.Fatalf("get a: %#v", got)
	}
	if err, _ := d.Step(messages.GetVaultMeta{ID: "zz"}).(error); !errors.Is(err, messages.ErrNotFound) || err.Error() != "vault not found" {
		t.Fatalf("get unknown: %v", err)
	}
	if len(d.Events) != 4 || d.Events[0].Type != "vault_created" {
		t.Fatalf("events %v", d.Events)
	}
}

func TestRegistryRefusals(t *testing.T) {
	d := newRegistry(t)
	d.Step(createCmd("a", "Photos"))
	both := createCmd("x", "X")
	both.Wrap = testWrap()
	neither := createCmd("y", "Y")
	neither.SealedKey = nil
	badPolicy := createCmd("z", "Z")
	badPolicy.Policy.ReplicationFactor = 17
	for _, tc := range []struct {
		name string
		cmd  messages.CreateVault
		want error
		text string
	}{
		{"same name", createCmd("b", "Photos"), messages.ErrConflict, `a vault named "Photos" already exists`},
		{"same id", createCmd("a", "Other"), messages.ErrConflict, `a vault with id "a" already exists`},
		{"bad id", createCmd("a/b", "Other"), nil, "id:"},
		{"empty name", createCmd("c", " "), nil, "name: must not be empty"},
		{"key and wrap", both, nil, "exactly one"},
		{"no key", neither, nil, "exactly one"},
		{"policy", badPolicy, nil, "replication_factor"},
	} {
		err, _ := d.Step(tc.cmd).(error)
		var invalid *messages.InvalidError
		if err == nil || (tc.want != nil && !errors.Is(err, tc.want)) || (tc.want == nil && !errors.As(err, &invalid)) || !strings.Contains(err.Error(), tc.text) {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
}

func TestRegistryRenameRolesAlias(t *testing.T) {
	d := newRegistry(t)
	d.Step(createCmd("a", "Photos"))
	d.Step(createCmd("b", "Music"))
	d.Events = nil
	name := "Pictures"
	if got := d.Step(messages.UpdateVaultMeta{ID: "a", Name: &name}).(messages.VaultMeta); got.Name != "Pictures" {
		t.Fatalf("rename: %#v", got)
	}
	taken := "Music"
	if err, _ := d.Step(messages.UpdateVaultMeta{ID: "a", Name: &taken}).(error); !errors.Is(err, messages.ErrConflict) {
		t.Fatalf("rename to a taken name: %v", err)
	}
	roles := []string{"s3", "media"}
	if got := d.Step(messages.UpdateVaultMeta{ID: "a", Roles: &roles}).(messages.VaultMeta); strings.Join(got.Roles, ",") != "media,s3" {
		t.Fatalf("roles: %#v", got.Roles)
	}
	bad := []string{"admin"}
	if _, ok := d.Step(messages.UpdateVaultMeta{ID: "a", Roles: &bad}).(error); !ok {
		t.Fatal("an unknown role was accepted")
	}
	if got := d.Step(messages.SetAlias{ID: "a", Alias: "my-photos"}).(messages.VaultMeta); got.Alias != "my-photos" {
		t.Fatalf("alias: %#v", got)
	}
	if err, _ := d.Step(messages.SetAlias{ID: "b", Alias: "my-photos"}).(error); !errors.Is(err, messages.ErrConflict) {
		t.Fatalf("alias taken: %v", err)
	}
	for _, alias := range []string{"ab", "My-Photos", "-abc", "a..b", "192.168.1.1", "xn--abc", "abc-s3alias", strings.Repeat("a", 64)} {
		var invalid *messages.InvalidError
		if err, _ := d.Step(messages.SetAlias{ID: "b", Alias: alias}).(error); !errors.As(err, &invalid) {
			t.Errorf("alias %q: %v, want invalid", alias, err)
		}
	}
	if got := d.Step(messages.SetAlias{ID: "a", Alias: ""}).(messages.VaultMeta); got.Alias != "" {
		t.Fatalf("clear alias: %#v", got)
	}
	if got := d.Step(messages.SetAlias{ID: "b", Alias: "my-photos"}).(messages.VaultMeta); got.Alias != "my-photos" {
		t.Fatalf("alias freed: %#v", got)
	}
	var types []string
	for _, ev := range d.Events {
		types = append(types, ev.Type)
	}
	if got := strings.Join(types, " "); got != "vault_renamed vault_roles_changed s3_alias_changed s3_alias_changed s3_alias_changed" {
		t.Fatalf("events %s", got)
	}
}

func TestRegistryDelete(t *testing.T) {
	r := newRig(t)
	r.create(messages.VaultPolicy{}, false)
	r.put("/a.txt", "hello world")
	if got := r.reg.Step(messages.DeleteVault{ID: vaultID}).(messages.VaultDeleted); got.Name != "Photos" {
		t.Fatalf("delete: %#v", got)
	}
	if err, _ := r.reg.Step(messages.GetVaultMeta{ID: vaultID}).(error); !errors.Is(err, messages.ErrNotFound) {
		t.Fatalf("get a deleted vault: %v", err)
	}
	if err, _ := r.reg.Step(createCmd(vaultID, "Again")).(error); !errors.Is(err, messages.ErrConflict) {
		t.Fatalf("reuse of an id whose catalog is not purged: %v", err)
	}
	if _, err := asErr(r.reg.Step(createCmd("v2", "Photos"))); err != nil {
		t.Fatalf("the name of a deleted vault is free: %v", err)
	}
	if err := r.stepErr(messages.GetVault{}); err.Error() != "vault not found" {
		t.Fatalf("vault actor after delete: %v", err)
	}
	if got := r.step(messages.PurgeVault{}).(messages.VaultPurge); !got.Done {
		t.Fatalf("purge: %#v", got)
	}
	snap, _ := r.v.Store.Snapshot()
	var left []string
	snap.Scan("catalog", "vault/"+vaultID+"/", "", func(k string, _ []byte) bool { left = append(left, k); return true })
	if len(left) != 3 {
		t.Fatalf("after the purge %d records are left, want the 3 block orphans: %v", len(left), left)
	}
	for _, k := range left {
		if !strings.Contains(k, "/orphan/") {
			t.Fatalf("left after purge: %s", k)
		}
	}
	if _, err := asErr(r.reg.Step(createCmd(vaultID, "Again"))); err != nil {
		t.Fatalf("reuse of a purged id: %v", err)
	}
}

func TestPurgeRunsInBatches(t *testing.T) {
	r := newRig(t)
	r.create(messages.VaultPolicy{}, false)
	for i := range 400 {
		r.commit(fmt.Sprintf("/f%03d", i), fmt.Sprintf("content %03d", i), "", "")
	}
	r.reg.Step(messages.DeleteVault{ID: vaultID})
	if got := r.step(messages.PurgeVault{}).(messages.VaultPurge); got.Done {
		t.Fatal("a catalog of 400 files was purged in one step")
	}
	for range 10 {
		r.wake("purge")
	}
	if got := r.step(messages.PurgeVault{}).(messages.VaultPurge); !got.Done {
		t.Fatal("the purge did not finish")
	}
	if n := len(r.orphans()); n < 400 {
		t.Fatalf("%d orphans after the purge, want every block", n)
	}
	if got := r.events(); !strings.HasSuffix(got, "vault_purged") {
		t.Fatalf("events end %q", got[max(0, len(got)-40):])
	}
}
