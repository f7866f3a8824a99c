package api

import (
	"net/http"
	"strconv"

	"github.com/meshhold/meshhold/messages"
)

func (v *Vaults) listFiles(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	prefix, err := CleanPrefix(q.Get("path"))
	if err != nil {
		WriteError(w, r, err)
		return
	}
	limit := 0
	if s := q.Get("limit"); s != "" {
		if limit, err = strconv.Atoi(s); err != nil || limit < 1 || limit > 10000 {
			WriteError(w, r, messages.Invalid("limit", "a whole number from 1 to 10000"))
			return
		}
	}
	list, err := ask[messages.FileList](r.Context(), v.Actors, v.Vault, routeID(r), messages.ListFiles{
		Prefix: prefix, Cursor: q.Get("cursor"), Limit: limit, IncludeDeleted: flag(q.Get("include_deleted"))})
	if err != nil {
		WriteError(w, r, err)
		return
	}
	if list.Files == nil {
		list.Files = []messages.FileInfo{}
	}
	WriteJSON(w, http.StatusOK, list)
}

func flag(s string) bool { return s == "1" || s == "true" }

// fileCommand answers a `*path` route whose reply is a FileInfo.
func (v *Vaults) fileCommand(verb string, status int, build func(w http.ResponseWriter, r *http.Request, p string) (any, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, err := filePath(r, verb)
		if err != nil {
			WriteError(w, r, err)
			return
		}
		msg, err := build(w, r, p)
		if err != nil {
			WriteError(w, r, err)
			return
		}
		info, err := v.vaultAsk(r, msg)
		if err != nil {
			WriteError(w, r, err)
			return
		}
		if r.Method != http.MethodGet && v.Files != nil && v.Files.Written != nil {
			v.Files.Written(r.Context(), routeID(r), info) // a folder vault mirrors deletes and restores too
		}
		WriteJSON(w, status, info)
	}
}

// ContentHashRequest names a version: POST …/restore and …/resolve-conflict.
type ContentHashRequest struct {
	ContentHash string `json:"content_hash"`
}

// Check requires the hash.
func (c ContentHashRequest) Check() error { return Required("content_hash", c.ContentHash) }

// withHash builds a command from the path and the body's content hash.
func withHash(mk func(p, hash string) any) func(w http.ResponseWriter, r *http.Request, p string) (any, error) {
	return func(w http.ResponseWriter, r *http.Request, p string) (any, error) {
		var req ContentHashRequest
		if err := DecodeJSON(w, r, &req, 0); err != nil {
			return nil, err
		}
		return mk(p, req.ContentHash), nil
	}
}

func (v *Vaults) history(w http.ResponseWriter, r *http.Request) {
	p, err := filePath(r, "history")
	if err != nil {
		WriteError(w, r, err)
		return
	}
	h, err := ask[messages.FileHistory](r.Context(), v.Actors, v.Vault, routeID(r), messages.GetHistory{Path: p})
	if err != nil {
		WriteError(w, r, err)
		return
	}
	WriteJSON(w, http.StatusOK, h)
}

// FileInfoReply is GET …/info/*path: the file, its version DAG and where its blocks are.
type FileInfoReply struct {
	messages.FileInfo
	Replicas []Replica `json:"replicas"`
}

// Replica is a node holding a file's blocks (GET …/info/*path), or the vault (GET
// /vaults/:id/info).
type Replica struct {
	PeerID      string `json:"peer_id"`
	DisplayName string `json:"display_name"`
	Self        bool   `json:"self"`
	Reliable    bool   `json:"reliable"`  // counts towards the replication factor
	Connected   bool   `json:"connected"` // this node, or a peer connected now
}

func (v *Vaults) fileInfo(w http.ResponseWriter, r *http.Request) {
	p, err := filePath(r, "info")
	if err != nil {
		WriteError(w, r, err)
		return
	}
	info, err := v.vaultAsk(r, messages.StatFile{Path: p, IncludeDeleted: true, Versions: true})
	if err != nil {
		WriteError(w, r, err)
		return
	}
	WriteJSON(w, http.StatusOK, FileInfoReply{FileInfo: info, Replicas: []Replica{v.self()}})
}
