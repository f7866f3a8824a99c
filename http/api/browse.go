package api

import (
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/meshhold/meshhold/messages"
)

// Browse serves GET /system/browse: the folders under a server path, for the "pick a folder"
// dialog of folder vaults. It lists folders only, never file names or contents.
type Browse struct {
	// Home is where an empty ?path= starts (the daemon user's home folder, else /).
	Home string
}

// BrowseReply is GET /system/browse.
type BrowseReply struct {
	Path    string         `json:"path"`
	Parent  string         `json:"parent,omitempty"`
	Folders []BrowseFolder `json:"folders"`
}

// BrowseFolder is one folder of a listing.
type BrowseFolder struct {
	Name string `json:"name"`
	Path string `json:"path"`
}

// maxBrowse bounds one listing.
const maxBrowse = 5000

// Routes lists GET /system/browse.
func (b *Browse) Routes() []Route {
	return []Route{{Method: http.MethodGet, Pattern: "/system/browse", Access: Bearer, Handler: b.browse,
		Doc: Doc{Summary: "The folders under a server path, for picking a folder vault's folder", Response: BrowseReply{},
			Query: []Param{{Name: "path", Description: "an absolute folder (default: the daemon's home folder)"},
				{Name: "hidden", Description: "1 to include folders whose name starts with a dot", Type: "boolean"}}}}}
}

func (b *Browse) browse(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	dir := q.Get("path")
	if dir == "" {
		dir = b.Home
		if dir == "" {
			dir = "/"
		}
	}
	if !filepath.IsAbs(dir) {
		WriteError(w, r, messages.Invalid("path", "must be an absolute folder, e.g. /srv/media"))
		return
	}
	dir = filepath.Clean(dir)
	entries, err := os.ReadDir(dir)
	if err != nil {
		WriteError(w, r, browseError(dir, err))
		return
	}
	hidden := q.Get("hidden") == "1" || q.Get("hidden") == "true"
	reply := BrowseReply{Path: dir, Folders: []BrowseFolder{}}
	if parent := filepath.Dir(dir); parent != dir {
		reply.Parent = parent
	}
	for _, e := range entries {
		if !isFolder(dir, e) || (!hidden && strings.HasPrefix(e.Name(), ".")) {
			continue
		}
		reply.Folders = append(reply.Folders, BrowseFolder{Name: e.Name(), Path: filepath.Join(dir, e.Name())})
		if len(reply.Folders) == maxBrowse {
			break
		}
	}
	sort.Slice(reply.Folders, func(i, j int) bool { return reply.Folders[i].Name < reply.Folders[j].Name })
	WriteJSON(w, http.StatusOK, reply)
}

// isFolder follows symbolic links, so a link to a folder is offered as one.
func isFolder(dir string, e fs.DirEntry) bool {
	if e.IsDir() {
		return true
	}
	if e.Type()&fs.ModeSymlink == 0 {
		return false
	}
	fi, err := os.Stat(filepath.Join(dir, e.Name()))
	return err == nil && fi.IsDir()
}

func browseError(dir string, err error) error {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return messages.NotFound(fmt.Sprintf("folder %s", dir))
	case errors.Is(err, fs.ErrPermission):
		return fmt.Errorf("%w: the daemon may not read %s", messages.ErrForbidden, dir)
	}
	var pe *fs.PathError
	if errors.As(err, &pe) && strings.Contains(pe.Err.Error(), "not a directory") {
		return messages.Invalid("path", "%s is not a folder", dir)
	}
	return err
}
