package vault_test

import (
	"fmt"
	"slices"
	"strings"

	"github.com/meshhold/meshhold/messages"
)

// describe renders a reply as script output lines.
func (s *script) describe(reply any) []string {
	switch r := reply.(type) {
	case error:
		return []string{"error " + r.Error()}
	case messages.FileInfo:
		return []string{s.file(r)}
	case messages.FileList:
		out := []string{}
		for _, f := range r.Files {
			out = append(out, s.file(f))
		}
		if r.NextCursor != "" {
			out = append(out, "next "+r.NextCursor)
		}
		return append(out, fmt.Sprintf("%d files", len(r.Files)))
	case messages.FileHistory:
		var out []string
		for _, v := range r.Versions {
			line := fmt.Sprintf("%s %s parents=%s", s.name(v.Version), s.content(v.ContentHash, v.Deleted), s.namesOf(v.Parents))
			if v.Head {
				line += " head"
			}
			out = append(out, line)
		}
		return out
	case messages.VaultStatus:
		u := r.Usage
		return []string{fmt.Sprintf("usage bytes=%d files=%d deleted=%d versions=%d conflicts=%d locked=%v",
			u.Bytes, u.Files, u.DeletedFiles, u.Versions, u.Conflicts, r.Locked)}
	case messages.VaultPolicy:
		return []string{fmt.Sprintf("policy keep_versions=%d hard_quota=%d keep_deleted_for_ms=%d version=%d",
			r.KeepVersions, r.HardQuota, r.KeepDeletedForMs, r.Version)}
	case nil:
		return []string{"ok"}
	}
	return []string{fmt.Sprintf("reply %T", reply)}
}

func (s *script) file(f messages.FileInfo) string {
	line := fmt.Sprintf("%s %s %s size=%d parents=%s heads=%s versions=%d", f.Path, s.name(f.Version),
		s.content(f.ContentHash, f.Deleted), f.Size, s.namesOf(f.Parents), s.namesOf(f.Heads), f.VersionCount)
	if f.Conflict {
		line += " conflict"
	}
	return line
}

func (s *script) content(hash string, deleted bool) string {
	if deleted {
		return "(deleted)"
	}
	if c, ok := s.contents[hash]; ok {
		return fmt.Sprintf("%q", c)
	}
	return "?" + hash[:8]
}

// event renders an event's type and the fields a script cares about, keys sorted.
func (s *script) event(typ string, data any) string {
	m, _ := data.(map[string]any)
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := []string{typ}
	for _, k := range keys {
		switch v := m[k].(type) {
		case string:
			switch k {
			case "vault_id", "author", "content_type":
				continue
			case "version", "restored_from":
				v = s.name(v)
			case "content_hash":
				v = s.content(v, false)
			}
			parts = append(parts, k+"="+v)
		case []string:
			if k == "heads" {
				parts = append(parts, k+"="+s.namesOf(v))
			} else {
				parts = append(parts, k+"="+strings.Join(v, ","))
			}
		case int, int64:
			parts = append(parts, fmt.Sprintf("%s=%d", k, v))
		}
	}
	return strings.Join(parts, " ")
}
