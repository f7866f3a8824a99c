package api_test

import (
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/meshhold/meshhold/http/api"
	"github.com/meshhold/meshhold/http/api/apitest"
)

func TestBrowse(t *testing.T) {
	root := t.TempDir()
	for _, d := range []string{"b", "a", ".hidden", "a/inner"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(root, "file.txt"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(root, "a"), filepath.Join(root, "link")); err != nil {
		t.Fatal(err)
	}
	h := api.NewRouter((&api.Browse{Home: root}).Routes(), api.RouterDeps{Auth: apitest.Authenticator{}})
	get := func(q string) (int, api.BrowseReply, string) {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest("GET", "/api/v1/system/browse"+q, nil)
		req.Header.Set("Authorization", "Bearer "+apitest.GoodToken)
		h.ServeHTTP(rec, req)
		var reply api.BrowseReply
		_ = json.Unmarshal(rec.Body.Bytes(), &reply)
		return rec.Code, reply, rec.Body.String()
	}
	code, reply, body := get("")
	if code != 200 || reply.Path != root || len(reply.Folders) != 3 || reply.Folders[0].Name != "a" || reply.Folders[1].Name != "b" || reply.Folders[2].Name != "link" {
		t.Fatalf("home listing: %d %s", code, body)
	}
	if code, reply, _ := get("?hidden=1&path=" + root); code != 200 || len(reply.Folders) != 4 {
		t.Fatalf("hidden: %d %v", code, reply)
	}
	for q, want := range map[string]int{"?path=relative/x": 400, "?path=" + root + "/nope": 404, "?path=" + root + "/file.txt": 400} {
		if code, _, body := get(q); code != want {
			t.Errorf("%s: %d %s, want %d", q, code, body, want)
		}
	}
}
