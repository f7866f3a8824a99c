package api_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/meshhold/meshhold/actors/node"
	"github.com/meshhold/meshhold/actors/s3keys"
	"github.com/meshhold/meshhold/bus/membus"
	"github.com/meshhold/meshhold/http/api"
	"github.com/meshhold/meshhold/http/api/apitest"
	"github.com/meshhold/meshhold/messages"
	"github.com/meshhold/meshhold/persist/boltdb"
	"github.com/meshhold/meshhold/persist/keyring"
)

// s3Rig is a real node over bbolt with the s3 kind registered, a real keyring and the theme's
// routes behind the real router.
type s3Rig struct {
	t      *testing.T
	keys   *keyring.Keyring
	routes *api.S3Keys
	h      http.Handler
}

func newS3Rig(t *testing.T) *s3Rig {
	t.Helper()
	dir := t.TempDir()
	store, err := boltdb.Open(filepath.Join(dir, boltdb.FileName), boltdb.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	r := &s3Rig{t: t}
	if r.keys, err = keyring.Open(keyring.Config{Enabled: true, Provider: keyring.ProviderFile, KeyFile: filepath.Join(dir, "master.key")}, store); err != nil {
		t.Fatal(err)
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	n, err := node.Start(node.Deps{Store: store, Bus: membus.New(), NodeID: profPeer, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	r.routes = &api.S3Keys{Actors: api.Actors{Root: n.Root, Limit: profAskLimit}, Sealer: r.keys}
	if r.routes.Keys, err = n.Register(messages.S3KeysKind, s3keys.Load); err != nil {
		t.Fatal(err)
	}
	r.h = api.NewRouter(r.routes.Routes(), api.RouterDeps{Auth: apitest.Authenticator{}})
	t.Cleanup(func() {
		if err := n.Stop(context.Background()); err != nil {
			t.Error(err)
		}
		_ = store.Close()
	})
	return r
}

// do sends body (JSON text; "" for none) with the good bearer; it returns the status, the raw
// answer and the answer decoded as an object (nil when it is not one).
func (r *s3Rig) do(method, path, body string) (int, string, map[string]any) {
	r.t.Helper()
	req := httptest.NewRequest(method, api.Prefix+path, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Authorization", "Bearer "+apitest.GoodToken)
	rec := httptest.NewRecorder()
	r.h.ServeHTTP(rec, req)
	var m map[string]any
	_ = json.Unmarshal(rec.Body.Bytes(), &m)
	return rec.Code, rec.Body.String(), m
}

// The secret is shown once, stored sealed, and the listing never shows it; a key's grants go
// with it when it is deleted.
func TestS3KeysLifecycle(t *testing.T) {
	r := newS3Rig(t)
	code, raw, k := r.do("POST", "/s3/keys", `{"label":"restic","can_create_buckets":true}`)
	if code != http.StatusCreated {
		t.Fatalf("POST: %d %s", code, raw)
	}
	id, _ := k["access_key_id"].(string)
	secret, _ := k["secret_access_key"].(string)
	if !regexp.MustCompile(`^MH[A-Z0-9]{18}$`).MatchString(id) || !regexp.MustCompile(`^[A-Za-z0-9]{40}$`).MatchString(secret) ||
		k["label"] != "restic" || k["can_create_buckets"] != true {
		t.Fatalf("created: %s", raw)
	}
	if _, raw2, k2 := r.do("POST", "/s3/keys", `{"label":"other"}`); k2["access_key_id"] == id || k2["secret_access_key"] == secret {
		t.Fatalf("two keys share an id or secret: %s", raw2)
	}
	code, raw, list := r.do("GET", "/s3/keys", "")
	if code != 200 || len(list["keys"].([]any)) != 2 || strings.Contains(raw, secret) || strings.Contains(raw, "secret") {
		t.Fatalf("GET keys: %d %s", code, raw)
	}

	// The sealed secret, as the gateway glue reads it, opens to the secret shown.
	acc, err := r.routes.Lookup(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if string(acc.SealedSecret) == secret {
		t.Fatal("the secret is stored in the clear")
	}
	if plain, err := r.keys.Open(messages.S3KeyPurpose(id), acc.SealedSecret); err != nil || string(plain) != secret {
		t.Fatalf("open the sealed secret: %v", err)
	}

	code, raw, g := r.do("PUT", "/s3/permissions", `{"key_id":"`+id+`","bucket":"photos","ops":["write","read"]}`)
	if code != 200 || g["bucket"] != "photos" || strings.Join(anyStrings(g["ops"]), ",") != "read,write" {
		t.Fatalf("PUT permission: %d %s", code, raw)
	}
	r.do("PUT", "/s3/permissions", `{"key_id":"`+id+`","bucket":"backup","ops":["delete"]}`)
	code, raw, perms := r.do("GET", "/s3/permissions?key_id="+id, "")
	if code != 200 || len(perms["permissions"].([]any)) != 2 || !strings.Contains(raw, `"bucket":"backup"`) {
		t.Fatalf("GET permissions: %d %s", code, raw)
	}
	if code, raw, _ = r.do("DELETE", "/s3/permissions?key_id="+id+"&bucket=backup", ""); code != http.StatusNoContent {
		t.Fatalf("DELETE by query: %d %s", code, raw)
	}
	if code, raw, _ = r.do("DELETE", "/s3/permissions", `{"key_id":"`+id+`","bucket":"backup"}`); code != http.StatusNotFound || !strings.Contains(raw, "S3 grant not found") {
		t.Fatalf("DELETE again, by body: %d %s", code, raw)
	}
	if code, raw, _ = r.do("DELETE", "/s3/keys/"+id, ""); code != http.StatusNoContent {
		t.Fatalf("DELETE key: %d %s", code, raw)
	}
	if _, raw, perms = r.do("GET", "/s3/permissions", ""); len(perms["permissions"].([]any)) != 0 {
		t.Fatalf("grants outlived their key: %s", raw)
	}
	if code, raw, _ = r.do("DELETE", "/s3/keys/"+id, ""); code != http.StatusNotFound || !strings.Contains(raw, "S3 access key not found") {
		t.Fatalf("DELETE key again: %d %s", code, raw)
	}
}

func TestS3KeysRefuseBadInput(t *testing.T) {
	r := newS3Rig(t)
	_, _, k := r.do("POST", "/s3/keys", `{"label":"x"}`)
	id := k["access_key_id"].(string)
	for _, tc := range []struct {
		method, path, body string
		code               int
		want               string
	}{
		{"POST", "/s3/keys", `{"label":"a\nb"}`, 400, "label: must not contain control characters"},
		{"POST", "/s3/keys", `{"label":"x","secret":"mine"}`, 400, `unknown field "secret"`},
		{"PUT", "/s3/permissions", `{"key_id":"` + id + `","bucket":"Photos","ops":["read"]}`, 400, "bucket:"},
		{"PUT", "/s3/permissions", `{"key_id":"` + id + `","bucket":"photos","ops":["list"]}`, 400, `ops: "list" is not an operation`},
		{"PUT", "/s3/permissions", `{"key_id":"` + id + `","bucket":"photos","ops":[]}`, 400, "ops: name at least one"},
		{"PUT", "/s3/permissions", `{"key_id":"MHNOSUCHKEY000000000","bucket":"photos","ops":["read"]}`, 404, "S3 access key not found"},
		{"PUT", "/s3/permissions", `{"key_id":"nope","bucket":"photos","ops":["read"]}`, 400, "key_id:"},
		{"DELETE", "/s3/permissions?key_id=" + id, "", 400, "bucket: is required"},
		{"DELETE", "/s3/keys/MHNOSUCHKEY000000000", "", 404, "S3 access key not found"},
	} {
		code, raw, body := r.do(tc.method, tc.path, tc.body)
		if msg, _ := body["error"].(string); code != tc.code || !strings.Contains(msg, tc.want) {
			t.Errorf("%s %s %s: %d %s, want %d %q", tc.method, tc.path, tc.body, code, raw, tc.code, tc.want)
		}
	}
}

// Without the s3 kind (a daemon that failed to register it) the routes answer 503, not 500.
func TestS3KeysUnavailable(t *testing.T) {
	h := api.NewRouter((&api.S3Keys{}).Routes(), api.RouterDeps{Auth: apitest.Authenticator{}})
	req := httptest.NewRequest("GET", api.Prefix+"/s3/keys", nil)
	req.Header.Set("Authorization", "Bearer "+apitest.GoodToken)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusServiceUnavailable {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
}

func anyStrings(v any) []string {
	var out []string
	for _, s := range v.([]any) {
		out = append(out, s.(string))
	}
	return out
}

// POST /s3/keys with no body at all mints a key without a label (the body is optional: the
// reference's "Mint {access_key_id, secret_access_key}"), as `curl -X POST` sends it.
func TestS3KeyCreateWithoutBody(t *testing.T) {
	r := newS3Rig(t)
	code, raw, k := r.do("POST", "/s3/keys", "")
	if id, _ := k["access_key_id"].(string); code != http.StatusCreated || id == "" || k["secret_access_key"] == "" {
		t.Fatalf("POST without a body: %d %s", code, raw)
	}
}
