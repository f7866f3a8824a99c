package vault_test

import (
	"fmt"
	"slices"
	"strings"
	"time"

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
		out := []string{fmt.Sprintf("usage bytes=%d files=%d deleted=%d versions=%d conflicts=%d locked=%v",
			u.Bytes, u.Files, u.DeletedFiles, u.Versions, u.Conflicts, r.Locked)}
		if r.LastScrub != nil {
			out = append(out, s.scrubLine(*r.LastScrub))
		}
		if p := r.LastPull; p != nil {
			out = append(out, s.pullLine(*p))
		}
		return out
	case messages.BlockRefs:
		var names []string
		for _, a := range r.Addrs {
			names = append(names, s.block(a))
		}
		line := fmt.Sprintf("%d blocks [%s]", len(r.Addrs), strings.Join(names, " "))
		if r.More {
			line += " more next=" + s.block(r.Next)
		}
		return []string{line}
	case messages.ScrubRecord:
		return []string{s.scrubLine(r)}
	case messages.PullRecord:
		return []string{s.pullLine(r)}
	case messages.VaultPolicy:
		return []string{fmt.Sprintf("policy keep_versions=%d hard_quota=%d keep_deleted_for_ms=%d version=%d",
			r.KeepVersions, r.HardQuota, r.KeepDeletedForMs, r.Version)}
	case nil:
		return []string{"ok"}
	}
	return []string{fmt.Sprintf("reply %T", reply)}
}

func (s *script) scrubLine(r messages.ScrubRecord) string {
	var unrepaired []string
	for _, h := range r.UnrepairedBlocks {
		unrepaired = append(unrepaired, s.blockHex(h))
	}
	return fmt.Sprintf("scrub took=%s checked=%d bytes=%d missing=%d damaged=%d repaired=%d unrepaired=%d [%s]",
		time.Duration(r.FinishedMs-r.AtMs)*time.Millisecond, r.Checked, r.Bytes, r.Missing, r.Damaged, r.Repaired, r.Unrepaired,
		strings.Join(unrepaired, " "))
}

func (s *script) pullLine(r messages.PullRecord) string {
	return fmt.Sprintf("pull peer=%s records=%d pruned=%d blocks=%d bytes=%d", r.Peer, r.Records, r.Pruned, r.Blocks, r.Bytes)
}

// blockHex names a block given in hex.
func (s *script) blockHex(h string) string {
	var a messages.BlockAddr
	if _, err := hexDecode(a[:], h); err != nil {
		return "?" + h
	}
	return s.block(a)
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
			switch k {
			case "heads":
				parts = append(parts, k+"="+s.namesOf(v))
			case "blocks":
				var names []string
				for _, h := range v {
					names = append(names, s.blockHex(h))
				}
				parts = append(parts, k+"=["+strings.Join(names, " ")+"]")
			default:
				parts = append(parts, k+"="+strings.Join(v, ","))
			}
		case int, int64:
			parts = append(parts, fmt.Sprintf("%s=%d", k, v))
		}
	}
	return strings.Join(parts, " ")
}
