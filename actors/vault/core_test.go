package vault_test

import (
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/meshhold/meshhold/messages"
)

func TestUploadCommitAnswersFileInfo(t *testing.T) {
	r := newRig(t)
	r.create(messages.VaultPolicy{}, false)
	grant := r.step(messages.BeginUpload{Path: "/2026/photo.jpg", Size: 11}).(messages.UploadGrant)
	if grant.Key != testKey || grant.Remaining != -1 || grant.VaultID != vaultID {
		t.Fatalf("grant: %+v", grant)
	}
	mf := manifest("hello world", 4)
	info := r.step(messages.CommitUpload{Path: "/2026/photo.jpg", Manifest: mf, ContentType: "image/jpeg",
		Meta: map[string]string{"camera": "x100"}, MtimeMs: 1234}).(messages.FileInfo)
	if info.Path != "/2026/photo.jpg" || info.Size != 11 || info.ContentHash != hashOf("hello world") ||
		info.MD5 != fmt.Sprintf("%x", mf.MD5) || info.ContentType != "image/jpeg" || info.Meta["camera"] != "x100" ||
		info.MtimeMs != 1234 || info.Author != nodeID || info.Conflict || info.Deleted || len(info.Parents) != 0 ||
		!slices.Equal(info.Heads, []string{info.Version}) || info.VersionCount != 1 || info.UpdatedMs != r.v.Now.UnixMilli() {
		t.Fatalf("file info: %+v", info)
	}
	if got := r.events(); got != "file_added" {
		t.Fatalf("events %q", got)
	}
	again := r.step(messages.CommitUpload{Path: "/2026/photo.jpg", Manifest: mf, ContentType: "image/jpeg",
		Meta: map[string]string{"camera": "x100"}, MtimeMs: 1234}).(messages.FileInfo)
	if again.Version != info.Version || r.events() != "" {
		t.Fatalf("a retried commit made a new version: %s vs %s", again.Version, info.Version)
	}
	stat := r.step(messages.StatFile{Path: "/2026/photo.jpg"}).(messages.FileInfo)
	if stat.Version != info.Version || len(stat.Blocks) != 3 || stat.Blocks[0] != mf.Blocks[0].Addr.String() {
		t.Fatalf("stat: %+v", stat)
	}
	read := r.step(messages.OpenVersion{Path: "/2026/photo.jpg"}).(messages.Readable)
	if read.Key != testKey || read.Manifest.Size != 11 || len(read.Manifest.Blocks) != 3 || read.Manifest.Blocks[2] != mf.Blocks[2] {
		t.Fatalf("readable: %+v", read.Manifest)
	}
	if u := r.usage(); u.Bytes != 11 || u.Files != 1 || u.Versions != 1 {
		t.Fatalf("usage %+v", u)
	}
	r.checkCatalog()
}

func TestOverwriteAndIfMatch(t *testing.T) {
	r := newRig(t)
	r.create(messages.VaultPolicy{}, false)
	first := r.put("/a.txt", "one")
	second := r.step(messages.CommitUpload{Path: "/a.txt", Manifest: manifest("two", 4), IfMatch: hashOf("one")}).(messages.FileInfo)
	if !slices.Equal(second.Parents, []string{first.Version}) || !slices.Equal(second.Heads, []string{second.Version}) || second.VersionCount != 2 {
		t.Fatalf("overwrite: %+v", second)
	}
	if got := r.events(); got != "file_added file_updated" {
		t.Fatalf("events %q", got)
	}
	for _, cmd := range []any{
		messages.BeginUpload{Path: "/a.txt", Size: 5, IfMatch: hashOf("one")},
		messages.CommitUpload{Path: "/a.txt", Manifest: manifest("three", 4), IfMatch: hashOf("one")},
		messages.BeginUpload{Path: "/new.txt", Size: 5, IfMatch: hashOf("one")},
	} {
		if err := r.stepErr(cmd); !errors.Is(err, messages.ErrPreconditionFailed) {
			t.Errorf("%T with a stale If-Match: %v, want 412", cmd, err)
		}
	}
	var invalid *messages.InvalidError
	if err := r.stepErr(messages.BeginUpload{Path: "/a.txt", Size: 1, IfMatch: "zz"}); !errors.As(err, &invalid) {
		t.Errorf("malformed If-Match: %v", err)
	}
	if u := r.usage(); u.Versions != 2 || u.Bytes != 6 {
		t.Fatalf("usage after refused commits %+v", u)
	}
	r.checkCatalog()
}

func TestConflictAndResolve(t *testing.T) {
	r := newRig(t)
	r.create(messages.VaultPolicy{}, false)
	r.put("/doc.txt", "base")
	theirs := r.put("/doc.txt", "theirs")
	r.events()
	if _, ok := r.step(messages.BeginUpload{Path: "/doc.txt", Size: 4, Base: hashOf("base")}).(messages.UploadGrant); !ok {
		t.Fatal("begin with a base")
	}
	mine := r.step(messages.CommitUpload{Path: "/doc.txt", Manifest: manifest("mine", 4), Base: hashOf("base")}).(messages.FileInfo)
	if !mine.Conflict || len(mine.Heads) != 2 || !slices.Contains(mine.Heads, theirs.Version) {
		t.Fatalf("a commit on an older base: %+v", mine)
	}
	if got := r.events(); got != "file_updated conflict_detected" {
		t.Fatalf("events %q", got)
	}
	if u := r.usage(); u.Conflicts != 1 {
		t.Fatalf("usage %+v", u)
	}
	if err := r.stepErr(messages.ResolveConflict{Path: "/doc.txt", ContentHash: hashOf("nope")}); !errors.Is(err, messages.ErrNotFound) {
		t.Fatalf("resolve to a non-head: %v", err)
	}
	res := r.step(messages.ResolveConflict{Path: "/doc.txt", ContentHash: hashOf("theirs")}).(messages.FileInfo)
	heads := slices.Sorted(slices.Values([]string{theirs.Version, mine.Version}))
	if res.Conflict || len(res.Heads) != 1 || !slices.Equal(res.Parents, heads) || res.ContentHash != hashOf("theirs") {
		t.Fatalf("resolved: %+v", res)
	}
	if got := r.events(); got != "conflict_resolved" {
		t.Fatalf("events %q", got)
	}
	if err := r.stepErr(messages.ResolveConflict{Path: "/doc.txt", ContentHash: hashOf("theirs")}); !errors.Is(err, messages.ErrConflict) {
		t.Fatalf("resolve without a conflict: %v", err)
	}
	if err := r.stepErr(messages.CommitUpload{Path: "/doc.txt", Manifest: manifest("x", 4), Base: hashOf("never")}); !errors.Is(err, messages.ErrPreconditionFailed) {
		t.Fatalf("unknown base: %v", err)
	}
	r.checkCatalog()
}

func TestDeleteRestoreHistory(t *testing.T) {
	r := newRig(t)
	r.create(messages.VaultPolicy{}, false)
	v1 := r.put("/a.txt", "version one")
	v2 := r.put("/a.txt", "version two")
	r.put("/b.txt", "other")
	tomb := r.step(messages.DeleteFile{Path: "/a.txt"}).(messages.FileInfo)
	if !tomb.Deleted || tomb.Size != 0 || !slices.Equal(tomb.Parents, []string{v2.Version}) {
		t.Fatalf("tombstone: %+v", tomb)
	}
	if got := r.events(); got != "file_added file_updated file_added file_deleted" {
		t.Fatalf("events %q", got)
	}
	for _, cmd := range []any{messages.StatFile{Path: "/a.txt"}, messages.OpenVersion{Path: "/a.txt"}, messages.DeleteFile{Path: "/a.txt"}} {
		if err := r.stepErr(cmd); err.Error() != "file not found" {
			t.Errorf("%T of a deleted file: %v", cmd, err)
		}
	}
	if list := r.step(messages.ListFiles{Prefix: "/"}).(messages.FileList); len(list.Files) != 1 || list.Files[0].Path != "/b.txt" {
		t.Fatalf("listing hides deleted files: %+v", list)
	}
	if list := r.step(messages.ListFiles{IncludeDeleted: true}).(messages.FileList); len(list.Files) != 2 || !list.Files[0].Deleted {
		t.Fatalf("listing with deleted files: %+v", list)
	}
	old := r.step(messages.OpenVersion{Path: "/a.txt", ContentHash: hashOf("version one")}).(messages.Readable)
	if old.File.Version != v1.Version || old.Manifest.Size != 11 {
		t.Fatalf("open an old version of a deleted file: %+v", old.File)
	}
	restored := r.step(messages.RestoreFile{Path: "/a.txt", ContentHash: hashOf("version one")}).(messages.FileInfo)
	if restored.Deleted || restored.ContentHash != hashOf("version one") || restored.Version == v1.Version ||
		!slices.Equal(restored.Parents, []string{tomb.Version}) || restored.VersionCount != 4 {
		t.Fatalf("restore moves forward with the tombstone as parent: %+v", restored)
	}
	if got := r.events(); got != "file_restored" {
		t.Fatalf("events %q", got)
	}
	hist := r.step(messages.GetHistory{Path: "/a.txt"}).(messages.FileHistory)
	var order []string
	for _, v := range hist.Versions {
		order = append(order, v.Version)
	}
	if !slices.Equal(order, []string{restored.Version, tomb.Version, v2.Version, v1.Version}) || !hist.Versions[0].Head || hist.Versions[1].Head {
		t.Fatalf("history newest first: %v", hist.Versions)
	}
	if err := r.stepErr(messages.RestoreFile{Path: "/a.txt", ContentHash: hashOf("never")}); err.Error() != "version not found" {
		t.Fatalf("restore of an unknown version: %v", err)
	}
	stat := r.step(messages.StatFile{Path: "/a.txt", Versions: true}).(messages.FileInfo)
	if len(stat.Versions) != 4 || stat.Versions[0].Version != restored.Version {
		t.Fatalf("stat with the DAG: %+v", stat.Versions)
	}
	if u := r.usage(); u.Files != 2 || u.DeletedFiles != 0 || u.Versions != 5 || u.Bytes != 11+11+5+11 {
		t.Fatalf("usage %+v", u)
	}
	r.checkCatalog()
}

func TestUnknownVaultAnswersNotFoundUntilCreated(t *testing.T) {
	r := newRig(t)
	if err := r.stepErr(messages.GetVault{}); err.Error() != "vault not found" {
		t.Fatalf("before create: %v", err)
	}
	r.reg.Step(createCmd(vaultID, "Photos")) // the running actor sees the record at its next step
	if st := r.step(messages.GetVault{}).(messages.VaultStatus); st.Locked || st.Policy.KeepVersions != messages.DefaultKeepVersions || st.Policy.ReplicationFactor != 2 {
		t.Fatalf("after create: %+v", st)
	}
	r.put("/a", "x")
	r.checkCatalog()
}

func TestPathAndManifestChecks(t *testing.T) {
	r := newRig(t)
	r.create(messages.VaultPolicy{}, false)
	mf := manifest("abc", 4)
	short := mf
	short.Size = 2
	for _, tc := range []struct {
		cmd   any
		field string
	}{
		{messages.BeginUpload{Path: "a.txt", Size: 1}, "path"},
		{messages.BeginUpload{Path: "/", Size: 1}, "path"},
		{messages.BeginUpload{Path: "/a\x00b", Size: 1}, "path"},
		{messages.BeginUpload{Path: "/a", Size: -2}, "size"},
		{messages.CommitUpload{Path: "/a", Manifest: short}, "manifest"},
		{messages.CommitUpload{Path: "/a", Manifest: messages.Manifest{}}, "manifest"},
		{messages.CommitUpload{Path: "/a", Manifest: mf, Meta: map[string]string{"": "x"}}, "meta"},
		{messages.ListFiles{Prefix: "docs"}, "path"},
		{messages.RestoreFile{Path: "/a", ContentHash: "xyz"}, ""},
	} {
		var invalid *messages.InvalidError
		err := r.stepErr(tc.cmd)
		if tc.field == "" {
			continue // any refusal
		}
		if !errors.As(err, &invalid) || invalid.Field != tc.field {
			t.Errorf("%T %+v: %v, want invalid %s", tc.cmd, tc.cmd, err, tc.field)
		}
	}
}
