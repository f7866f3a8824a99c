package vault_test

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/meshhold/meshhold/messages"
)

// allRefs pages through ListBlockRefs with pages of limit.
func allRefs(t *testing.T, r *rig, limit int) []messages.BlockAddr {
	t.Helper()
	var out []messages.BlockAddr
	var after messages.BlockAddr
	for pages := 0; ; pages++ {
		page := r.step(messages.ListBlockRefs{After: after, Limit: limit}).(messages.BlockRefs)
		if len(page.Addrs) > limit {
			t.Fatalf("a page of %d for a limit of %d", len(page.Addrs), limit)
		}
		out = append(out, page.Addrs...)
		if !page.More {
			return out
		}
		if pages > 10000 || page.Next != page.Addrs[len(page.Addrs)-1] {
			t.Fatalf("page %d: next %s, last %s", pages, page.Next, page.Addrs[len(page.Addrs)-1])
		}
		after = page.Next
	}
}

// Pages of any size list every referenced block exactly once, in address order, and the
// blocks are those the versions reference — on a locked vault too, which needs no key for it.
func TestListBlockRefsPages(t *testing.T) {
	r := newRig(t)
	r.create(messages.VaultPolicy{}, true)
	want := map[messages.BlockAddr]bool{}
	for i := range 60 {
		info := r.put(fmt.Sprintf("/f%02d", i), fmt.Sprintf("file number %02d", i)) // 4-byte blocks
		st := r.step(messages.StatFile{Path: info.Path}).(messages.FileInfo)
		for _, h := range st.Blocks {
			var a messages.BlockAddr
			if _, err := hexDecode(a[:], h); err != nil {
				t.Fatal(err)
			}
			want[a] = true
		}
	}
	r.step(messages.LockVault{})
	r.events()
	all := allRefs(t, r, messages.MaxBlockRefs)
	if len(all) != len(want) || !slices.IsSortedFunc(all, func(a, b messages.BlockAddr) int { return bytes.Compare(a[:], b[:]) }) {
		t.Fatalf("%d blocks listed (sorted %v), %d referenced", len(all), slices.IsSortedFunc(all, func(a, b messages.BlockAddr) int { return bytes.Compare(a[:], b[:]) }), len(want))
	}
	for _, a := range all {
		if !want[a] {
			t.Fatalf("block %s is listed but not referenced", a)
		}
	}
	for _, limit := range []int{1, 2, 7, len(all) - 1, len(all), len(all) + 1} {
		if got := allRefs(t, r, limit); !slices.Equal(got, all) {
			t.Fatalf("pages of %d list %d blocks, want %d", limit, len(got), len(all))
		}
	}
	if got := r.step(messages.ListBlockRefs{Limit: -1}).(messages.BlockRefs); len(got.Addrs) != len(all) || got.More {
		t.Fatalf("limit -1: %d blocks, more %v", len(got.Addrs), got.More)
	}
	// The last scrub survives a reload and the lock: it is kept with the catalog.
	r.step(messages.RecordScrub{AtMs: 1, Checked: len(all), Damaged: 1, Unrepaired: 1, UnrepairedBlocks: all[:1]})
	r.v.Reload()
	st := r.step(messages.GetVault{}).(messages.VaultStatus)
	if !st.Locked || st.LastScrub == nil || st.LastScrub.Checked != len(all) || !slices.Equal(st.LastScrub.UnrepairedBlocks, []string{all[0].String()}) {
		t.Fatalf("after a reload: locked %v, scrub %+v", st.Locked, st.LastScrub)
	}
	if got := r.events(); got != "" {
		t.Fatalf("events %q: an unrepaired block alone reports no block_repaired", got)
	}
}

// RecordScrub refuses counts that do not add up and address lists over their bounds; the
// block_repaired event lists the repaired blocks it was given.
func TestRecordScrubChecks(t *testing.T) {
	r := newRig(t)
	r.create(messages.VaultPolicy{}, false)
	many := make([]messages.BlockAddr, messages.MaxScrubBlocks+1)
	for i := range many {
		many[i][0], many[i][1] = byte(i), 1
	}
	for _, bad := range []messages.RecordScrub{
		{Checked: -1},
		{Checked: 1, Missing: 2, Repaired: 2},
		{Checked: 5, Missing: 2, Repaired: 1},
		{Checked: 5, Missing: 1, Repaired: 1, RepairedBlocks: many[:2]},
		{Checked: 100, Missing: 65, Repaired: 65, RepairedBlocks: many},
		{Checked: 100, Damaged: 65, Unrepaired: 65, UnrepairedBlocks: many},
	} {
		if err := r.stepErr(bad); !isInvalid(err) {
			t.Errorf("%+v: %v, want invalid", bad, err)
		}
	}
	rec := r.step(messages.RecordScrub{AtMs: r.v.Now.Add(-time.Minute).UnixMilli(), Checked: 100, Missing: 70, Repaired: 70,
		RepairedBlocks: many[:messages.MaxScrubBlocks]}).(messages.ScrubRecord)
	if rec.FinishedMs-rec.AtMs != time.Minute.Milliseconds() || rec.Repaired != 70 {
		t.Fatalf("record %+v", rec)
	}
	if len(r.v.Events) != 1 || r.v.Events[0].Type != "block_repaired" {
		t.Fatalf("events %+v", r.v.Events)
	}
	data := r.v.Events[0].Data.(map[string]any)
	if blocks := data["blocks"].([]string); len(blocks) != messages.MaxScrubBlocks || data["repaired"] != 70 {
		t.Fatalf("block_repaired %v", data)
	}
}

// An untrusted vault's only role is "hold": PATCH roles ["hold"] holds its ciphertext, []
// lets it go, each reported as vault_observed (the node's info follows); media and s3 need
// the key (409), anything else is not a role (400).
func TestHoldRoleOfAnUntrustedVault(t *testing.T) {
	reg := newRegistry(t)
	reg.Step(messages.ObserveVault{ID: "u1"})
	reg.Step(createCmd("t1", "Trusted"))
	reg.Events = nil
	roles := func(rs ...string) *[]string { return &rs }
	meta := reg.Step(messages.UpdateVaultMeta{ID: "u1", Roles: roles(messages.RoleHold)}).(messages.VaultMeta)
	if !meta.Hold || !slices.Equal(meta.Roles, []string{"hold"}) {
		t.Fatalf("hold: %+v", meta)
	}
	if again := reg.Step(messages.UpdateVaultMeta{ID: "u1", Roles: roles("hold")}).(messages.VaultMeta); !again.Hold {
		t.Fatalf("hold again: %+v", again)
	}
	if got := reg.Step(messages.GetVaultMeta{ID: "u1"}).(messages.VaultMeta); !got.Hold || !slices.Equal(got.Roles, []string{"hold"}) {
		t.Fatalf("get: %+v", got)
	}
	meta = reg.Step(messages.UpdateVaultMeta{ID: "u1", Roles: roles()}).(messages.VaultMeta)
	if meta.Hold || len(meta.Roles) != 0 || meta.Roles == nil {
		t.Fatalf("let go: %+v", meta)
	}
	for _, tc := range []struct {
		id    string
		roles *[]string
		want  error // nil: invalid
	}{
		{"u1", roles(messages.RoleS3), messages.ErrConflict},
		{"u1", roles("hold", messages.RoleMedia), messages.ErrConflict},
		{"u1", roles("keep"), nil},
		{"u1", roles("hold", "hold"), nil},
		{"t1", roles("hold"), nil},
	} {
		err, _ := reg.Step(messages.UpdateVaultMeta{ID: tc.id, Roles: tc.roles}).(error)
		if tc.want == nil && !isInvalid(err) || tc.want != nil && !errors.Is(err, tc.want) {
			t.Errorf("%s roles %v: %v, want %v", tc.id, *tc.roles, err, tc.want)
		}
	}
	var evs []string
	for _, ev := range reg.Events {
		evs = append(evs, fmt.Sprint(ev.Type, " ", ev.Data.(map[string]any)["hold"]))
	}
	if got := strings.Join(evs, ", "); got != "vault_observed true, vault_observed false" {
		t.Fatalf("events: %s", got)
	}
}

// The scrub and pull records go with the rest of the catalog when a deleted vault is purged.
func TestPurgeDropsScrubRecords(t *testing.T) {
	r := newRig(t)
	r.create(messages.VaultPolicy{}, false)
	r.put("/a.txt", "hello")
	r.step(messages.RecordScrub{Checked: 2})
	r.step(messages.RecordReplication{Peer: "p", Records: 1})
	r.reg.Step(messages.DeleteVault{ID: vaultID})
	if got := r.step(messages.PurgeVault{}).(messages.VaultPurge); !got.Done {
		t.Fatal("purge not done")
	}
	snap, _ := r.v.Store.Snapshot()
	defer snap.Release()
	snap.Scan("catalog", "vault/"+vaultID+"/", "", func(k string, _ []byte) bool {
		if !strings.Contains(k, "/orphan/") {
			t.Errorf("left after the purge: %s", k)
		}
		return true
	})
}

func isInvalid(err error) bool {
	var inv *messages.InvalidError
	return errors.As(err, &inv)
}
