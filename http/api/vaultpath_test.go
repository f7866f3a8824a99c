package api

import (
	"errors"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/meshhold/meshhold/messages"
)

func TestVaultPath(t *testing.T) {
	for _, c := range []struct{ url, want, err string }{
		{"/api/v1/vaults/v1/upload/2026/photo.jpg", "/2026/photo.jpg", ""},
		{"/api/v1/vaults/v1/upload/%2F2026/photo.jpg", "/2026/photo.jpg", ""},
		{"/api/v1/vaults/v1/upload/a%20b/c%2Fd", "/a b/c/d", ""},
		{"/api/v1/vaults/v1/upload/%C3%A9t%C3%A9.txt", "/été.txt", ""},
		{"/api/v1/vaults/v1/upload/a/../b", "", `".." segment`},
		{"/api/v1/vaults/v1/upload/a/%2E%2E/b", "", `".." segment`},
		{"/api/v1/vaults/v1/upload/./b", "", `"." segment`},
		{"/api/v1/vaults/v1/upload/a//b", "", "empty segment"},
		{"/api/v1/vaults/v1/upload/a/", "", "empty segment"},
		{"/api/v1/vaults/v1/upload/", "", "names no file"},
		{"/api/v1/vaults/v1/upload/a%00b", "", "NUL"},
		{"/api/v1/vaults/v1/upload/a%ffb", "", "UTF-8"},
		{"/api/v1/vaults/v1/upload/" + strings.Repeat("x", 256), "", "longer than 255"},
	} {
		r := httptest.NewRequest("POST", c.url, nil)
		got, err := VaultPath(r, "/upload/")
		var invalid *messages.InvalidError
		switch {
		case c.err == "" && (err != nil || got != c.want):
			t.Errorf("%s: %q %v, want %q", c.url, got, err, c.want)
		case c.err != "" && (err == nil || !errors.As(err, &invalid) || !strings.Contains(err.Error(), c.err)):
			t.Errorf("%s: %q %v, want an error with %q", c.url, got, err, c.err)
		}
	}
}

// FuzzCleanVaultPath: whatever comes in, a path that passes is absolute, clean, and can never
// climb out of the vault.
func FuzzCleanVaultPath(f *testing.F) {
	for _, s := range []string{"2026/photo.jpg", "%2F..%2Fetc", "a/./b", "..", "%00", "a%2F%2Fb", "é/ü"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := CleanVaultPath(s)
		if err != nil {
			return
		}
		if !strings.HasPrefix(p, "/") || strings.Contains(p, "//") || strings.HasSuffix(p, "/") ||
			strings.Contains(p+"/", "/../") || strings.Contains(p+"/", "/./") || strings.ContainsRune(p, 0) {
			t.Fatalf("CleanVaultPath(%q) = %q: not a clean vault path", s, p)
		}
	})
}

func TestCleanVaultPathBadEscape(t *testing.T) {
	if _, err := CleanVaultPath("a%zz"); err == nil || !strings.Contains(err.Error(), "percent-encoding") {
		t.Fatalf("err = %v", err)
	}
}
