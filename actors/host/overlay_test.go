package host

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/meshhold/meshhold/persist"
	"github.com/meshhold/meshhold/persist/boltdb"
)

// A core sees its staged writes over the committed records: puts, overwrites and deletes, in
// byte order, from any cursor, stopping when asked.
func TestOverlayMergesStagedWrites(t *testing.T) {
	store, err := boltdb.Open(filepath.Join(t.TempDir(), boltdb.FileName), boltdb.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	put := func(k, v string) persist.Write { return persist.Write{Bucket: persist.Meta, Key: k, Value: []byte(v)} }
	if err := store.Commit([]persist.Write{put("x/a", "1"), put("x/c", "1"), put("x/e", "1"), put("y/a", "1")}); err != nil {
		t.Fatal(err)
	}
	o := &overlay{store: store, staged: map[recordKey]*persist.Write{}}
	defer o.release()
	o.stage([]persist.Write{put("x/b", "2"), put("x/c", "2"), {Bucket: persist.Meta, Key: "x/e", Delete: true}, put("x/f", "2"), put("y/b", "2")})
	scan := func(after string, limit int) string {
		var out []string
		o.Scan(persist.Meta, "x/", after, func(k string, v []byte) bool {
			out = append(out, k+"="+string(v))
			return len(out) < limit
		})
		return strings.Join(out, " ")
	}
	for _, c := range []struct {
		after string
		limit int
		want  string
	}{
		{"", 100, "x/a=1 x/b=2 x/c=2 x/f=2"},
		{"x/b", 100, "x/c=2 x/f=2"},
		{"x/c", 100, "x/f=2"},
		{"", 2, "x/a=1 x/b=2"},
		{"x/a", 1, "x/b=2"},
	} {
		if got := scan(c.after, c.limit); got != c.want {
			t.Errorf("scan after %q limit %d = %q, want %q", c.after, c.limit, got, c.want)
		}
	}
	if _, ok := o.Get(persist.Meta, "x/e"); ok {
		t.Error("a staged delete is still visible")
	}
	if v, ok := o.Get(persist.Meta, "x/c"); !ok || string(v) != "2" {
		t.Errorf("x/c = %q, want the staged 2", v)
	}
}
