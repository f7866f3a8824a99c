package vault_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/meshhold/meshhold/messages"
)

// A folder vault's real folder cannot hold a file and a folder of one name: /a beside /a/b is
// refused either way, and so is reviving /a once /a/b took its name; a plain vault holds both.
func TestFolderVaultRefusesAFileAndAFolderOfOneName(t *testing.T) {
	for _, folder := range []bool{true, false} {
		r := newRig(t)
		cmd := messages.CreateVault{ID: vaultID, Name: "Photos", SealedKey: seal(messages.VaultKeyPurpose(vaultID), testKey[:])}
		if folder {
			cmd.Folder = t.TempDir()
		}
		if _, err := asErr(r.reg.Step(cmd)); err != nil {
			t.Fatal(err)
		}
		r.v.Reload()
		r.put("/a", "file a")
		begin := func(path string) error {
			_, err := asErr(r.v.Step(messages.BeginUpload{Path: path, Size: 1}))
			return err
		}
		commit := func(path string) error {
			_, err := asErr(r.v.Step(messages.CommitUpload{Path: path, Manifest: manifest("x", 4), ContentType: "text/plain"}))
			return err
		}
		if !folder {
			if err := begin("/a/b"); err != nil {
				t.Fatalf("a plain vault refused /a/b beside /a: %v", err)
			}
			continue
		}
		for _, tc := range []struct {
			name string
			err  error
			want string
		}{
			{"begin /a/b", begin("/a/b"), "/a is a file"},
			{"commit /a/b", commit("/a/b"), "/a is a file"},
			{"begin /a/b/c", begin("/a/b/c"), "/a is a file"},
			{"folder marker /a/", begin("/a/"), "/a is a file"},
		} {
			if !errors.Is(tc.err, messages.ErrConflict) || !strings.Contains(tc.err.Error(), tc.want) {
				t.Errorf("%s: %v, want a conflict naming %q", tc.name, tc.err, tc.want)
			}
		}
		if err := begin("/ab"); err != nil {
			t.Fatalf("/ab is no clash: %v", err)
		}
		r.step(messages.DeleteFile{Path: "/a"})
		r.put("/a/b", "now a folder")
		if err := begin("/a"); !errors.Is(err, messages.ErrConflict) || !strings.Contains(err.Error(), "/a/b is in it") {
			t.Fatalf("a file where a folder is: %v", err)
		}
		_, err := asErr(r.v.Step(messages.RestoreFile{Path: "/a", ContentHash: hashOf("file a")}))
		if !errors.Is(err, messages.ErrConflict) {
			t.Fatalf("restoring /a over the folder /a: %v", err)
		}
	}
}
