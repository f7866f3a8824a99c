package vault_test

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/meshhold/meshhold/messages"
)

// commit writes content to path without the BeginUpload ask (the listing does not need it).
func (r *rig) commit(path, content, ct, author string) messages.FileInfo {
	r.t.Helper()
	return r.step(messages.CommitUpload{Path: path, Manifest: manifest(content, 4), ContentType: ct, Author: author}).(messages.FileInfo)
}

func TestListPagesInByteOrderWithinAFolder(t *testing.T) {
	r := newRig(t)
	r.create(messages.VaultPolicy{}, false)
	var want []string
	for i := range 1000 {
		want = append(want, fmt.Sprintf("/docs/%03d/%c", i%250, []rune("aZé_")[i/250]))
	}
	want = append(want, "/docs")
	outside := []string{"/a", "/docs-2/x", "/docsx", "/e"}
	all := append(slices.Clone(want), outside...)
	rng := rand.New(rand.NewPCG(1, 2))
	rng.Shuffle(len(all), func(i, j int) { all[i], all[j] = all[j], all[i] })
	for _, p := range all {
		r.commit(p, "x", "", "")
	}
	slices.Sort(want) // byte order: "/docs" first, 'Z' before 'a', 'é' (0xc3) after '_'
	r.step(messages.DeleteFile{Path: want[500]})
	live := slices.Delete(slices.Clone(want), 500, 501)
	for _, tc := range []struct {
		prefix         string
		includeDeleted bool
		want           []string
	}{
		{"/docs", false, live},
		{"/docs/", true, want[1:]},
		{"/docs/007", false, []string{"/docs/007/Z", "/docs/007/_", "/docs/007/a", "/docs/007/é"}},
		{"/nothing", false, nil},
	} {
		var got []string
		cursor, pages := "", 0
		for {
			page := r.step(messages.ListFiles{Prefix: tc.prefix, Cursor: cursor, Limit: 97, IncludeDeleted: tc.includeDeleted}).(messages.FileList)
			for _, f := range page.Files {
				got = append(got, f.Path)
			}
			pages++
			if cursor = page.NextCursor; cursor == "" {
				break
			}
			if len(page.Files) != 97 {
				t.Fatalf("%s: a page of %d before the end", tc.prefix, len(page.Files))
			}
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("prefix %q (deleted %v): %d paths in %d pages, want %d; first %v", tc.prefix, tc.includeDeleted, len(got), pages, len(tc.want), got[:min(len(got), 5)])
		}
	}
	whole := r.step(messages.ListFiles{}).(messages.FileList)
	if len(whole.Files) != 1000 || whole.Files[0].Path != "/a" || whole.NextCursor != whole.Files[999].Path {
		t.Fatalf("the whole vault in a default page: %d files, next %q", len(whole.Files), whole.NextCursor)
	}
	rest := r.step(messages.ListFiles{Cursor: whole.NextCursor}).(messages.FileList)
	if len(rest.Files) != 4 || rest.NextCursor != "" || rest.Files[3].Path != "/e" {
		t.Fatalf("the last page: %+v", rest)
	}
}

func TestReloadRebuildsTheSameAnswers(t *testing.T) {
	r := newRig(t)
	r.create(messages.VaultPolicy{KeepVersions: 3, HardQuota: 1 << 20}, false)
	r.v.Tick = time.Second
	r.put("/a", "one")
	r.put("/a", "two")
	r.put("/a", "three")
	r.put("/a", "four")
	r.put("/b", "bee")
	r.step(messages.CommitUpload{Path: "/b", Manifest: manifest("fork", 4), Base: hashOf("bee")})
	r.put("/b", "merged")
	r.put("/c", "sea")
	r.step(messages.DeleteFile{Path: "/c"})
	r.step(messages.RestoreFile{Path: "/a", ContentHash: hashOf("three")})
	r.step(messages.CommitUpload{Path: "/d", Manifest: manifest("dee", 4), ContentType: "text/x", Meta: map[string]string{"k": "v"}})
	r.step(messages.CommitUpload{Path: "/d", Manifest: manifest("dee2", 4), Base: hashOf("dee")})
	queries := []any{
		messages.GetVault{}, messages.ListFiles{IncludeDeleted: true}, messages.GetAnalytics{Days: 3},
		messages.GetHistory{Path: "/a"}, messages.GetHistory{Path: "/b"}, messages.GetHistory{Path: "/c"},
		messages.StatFile{Path: "/d", Versions: true}, messages.StatFile{Path: "/c", IncludeDeleted: true},
		messages.OpenVersion{Path: "/a", ContentHash: hashOf("four")}, messages.BeginUpload{Path: "/a", Size: 10},
	}
	r.v.Tick = 0
	answers := func() []any {
		var out []any
		for _, q := range queries {
			out = append(out, r.step(q))
		}
		return out
	}
	before := answers()
	r.v.Reload()
	after := answers()
	for i := range before {
		if !reflect.DeepEqual(before[i], after[i]) {
			t.Errorf("%T after reload:\n%+v\nwant\n%+v", queries[i], after[i], before[i])
		}
	}
	r.put("/a", "five") // the history continues where it was
	if h := r.step(messages.GetHistory{Path: "/a"}).(messages.FileHistory); len(h.Versions) != 3 || h.Versions[0].ContentHash != hashOf("five") {
		t.Fatalf("history after reload and commit: %+v", h.Versions)
	}
	r.checkCatalog()
}

func TestAnalytics(t *testing.T) {
	r := newRig(t)
	r.create(messages.VaultPolicy{}, false)
	r.commit("/p1.jpg", "photo-one", "image/jpeg", "nodeA")
	r.commit("/p2.jpg", "photo-two!", "image/jpeg", "nodeB")
	r.later(24 * time.Hour)
	r.commit("/n.txt", "note", "text/plain", "nodeA")
	r.commit("/n.txt", "note, longer", "text/plain", "nodeB") // replaces the head: counted once
	r.step(messages.DeleteFile{Path: "/p2.jpg"})
	a := r.step(messages.GetAnalytics{Days: 3}).(messages.VaultAnalytics)
	wantTypes := []messages.UsageTally{{Name: "text/plain", Count: 1, Bytes: 12}, {Name: "image/jpeg", Count: 1, Bytes: 9}}
	wantConsumers := []messages.UsageTally{{Name: "nodeB", Count: 1, Bytes: 12}, {Name: "nodeA", Count: 1, Bytes: 9}}
	if !reflect.DeepEqual(a.TopTypes, wantTypes) || !reflect.DeepEqual(a.TopConsumers, wantConsumers) {
		t.Fatalf("top types %+v, consumers %+v", a.TopTypes, a.TopConsumers)
	}
	day := func(d time.Time) string { return d.UTC().Format("2006-01-02") }
	wantHist := []messages.DayTally{
		{Day: day(r.v.Now.Add(-48 * time.Hour))},
		{Day: day(r.v.Now.Add(-24 * time.Hour)), Uploads: 2, Bytes: 19},
		{Day: day(r.v.Now), Uploads: 2, Bytes: 16, Deletes: 1},
	}
	if !reflect.DeepEqual(a.History, wantHist) {
		t.Fatalf("history %+v, want %+v", a.History, wantHist)
	}
	r.checkCatalog()
}
