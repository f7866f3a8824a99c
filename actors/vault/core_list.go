package vault

import (
	"strings"

	"github.com/meshhold/meshhold/messages"
	"github.com/meshhold/meshhold/messages/storev1"
	"github.com/meshhold/meshhold/persist"
)

// Page sizes of a listing.
const (
	defaultListLimit = 1000
	maxListLimit     = 10000
)

// list answers one page of the paths in a folder, in byte order, from the path index alone.
// The folder /a holds the file /a itself and everything under /a/, not /ab; /a/ only the latter.
func (c *core) list(m messages.ListFiles, v persist.View) any {
	if m.Prefix != "" && m.Prefix[0] != '/' {
		return messages.Invalid("path", "%q must start with /", m.Prefix)
	}
	limit := m.Limit
	if limit <= 0 {
		limit = defaultListLimit
	}
	limit = min(limit, maxListLimit)
	page := messages.FileList{Files: []messages.FileInfo{}}
	visit := func(k string, val []byte) bool {
		e := &storev1.PathEntry{}
		if unmarshal(val, e) != nil || e.Deleted && !m.IncludeDeleted {
			return true
		}
		if len(page.Files) == limit {
			page.NextCursor = page.Files[limit-1].Path
			return false
		}
		page.Files = append(page.Files, listInfo(c.keys.pathOf(k), e))
		return true
	}
	after := ""
	if m.Cursor != "" {
		after = c.keys.path(m.Cursor)
	}
	folder := m.Prefix
	if folder != "" && !strings.HasSuffix(folder, "/") {
		if val, ok := v.Get(persist.Catalog, c.keys.path(folder)); ok && m.Cursor < folder && !visit(c.keys.path(folder), val) {
			return page
		}
		folder += "/"
	}
	v.Scan(persist.Catalog, c.keys.path(folder), after, visit)
	return page
}
