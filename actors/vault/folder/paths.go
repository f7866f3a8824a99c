package folder

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"
	"syscall"
	"unicode/utf8"
)

// tempMarker is in the name of every temp file Mirror writes: .<name>.meshhold-tmp-<random>.
const tempMarker = ".meshhold-tmp-"

// maxPathBytes is the longest vault path (as http/api allows).
const maxPathBytes = 4096

// isTemp reports whether a file name is one of Mirror's temp files.
func isTemp(name string) bool {
	return strings.HasPrefix(name, ".") && strings.Contains(name, tempMarker)
}

// tempPattern is the os.CreateTemp pattern of base's temp file, short enough for any file system.
func tempPattern(base string) string {
	for len(base) > 100 {
		_, n := utf8.DecodeLastRuneInString(base)
		base = base[:len(base)-n]
	}
	return "." + base + tempMarker + "*"
}

// vaultPath maps a folder-relative path to its vault path, refusing names the API cannot address.
func vaultPath(rel string) (string, error) {
	p := "/" + filepath.ToSlash(rel)
	switch {
	case rel == "" || rel == ".":
		return "", fmt.Errorf("the folder itself is not a file")
	case len(p) > maxPathBytes:
		return "", fmt.Errorf("%q: longer than %d bytes: not mirrored", p, maxPathBytes)
	case !utf8.ValidString(p):
		return "", fmt.Errorf("%q: not valid UTF-8: not mirrored", p)
	case strings.ContainsFunc(p, func(r rune) bool { return r < 0x20 || r == 0x7f }):
		return "", fmt.Errorf("%q: has a control character: not mirrored", p)
	}
	return p, nil
}

// relPath maps a vault path into the folder, refusing escapes and Mirror's temp names.
func relPath(vp string) (string, error) {
	if !strings.HasPrefix(vp, "/") || len(vp) < 2 {
		return "", fmt.Errorf("%q: not a vault path", vp)
	}
	segs := strings.Split(vp[1:], "/")
	for _, seg := range segs {
		if seg == "" || seg == "." || seg == ".." || (filepath.Separator != '/' && strings.ContainsRune(seg, filepath.Separator)) {
			return "", fmt.Errorf("%q: cannot be a path in the folder", vp)
		}
	}
	if isTemp(segs[len(segs)-1]) {
		return "", fmt.Errorf("%q: named like a temp file: not mirrored", vp)
	}
	return filepath.FromSlash(vp[1:]), nil
}

// diskMtime is a file's mtime in ms as a vault records it (never 0, which means "now").
func diskMtime(fi fs.FileInfo) int64 { return max(fi.ModTime().UnixMilli(), 1) }

// sameFile reports whether two looks at a file see the same regular file, unchanged.
func sameFile(a, b fs.FileInfo) bool {
	return a.Mode().IsRegular() && b.Mode().IsRegular() && a.Size() == b.Size() && a.ModTime().Equal(b.ModTime())
}

// gone reports whether a path lookup failed because nothing is there.
func gone(err error) bool { return errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) }

// under reports whether vault path p is prefix or inside it.
func under(p, prefix string) bool {
	return prefix == "/" || p == prefix || strings.HasPrefix(p, prefix+"/")
}
