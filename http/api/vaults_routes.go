package api

import (
	"net/http"

	"github.com/meshhold/meshhold/messages"
)

// Routes lists the vaults theme's routes served on one node (VaultSharing adds share-url and
// join; Replication replicate-now, locality and cache).
func (v *Vaults) Routes() []Route {
	id := "/vaults/{vault_id}"
	fileQ := []Param{{Name: "include_deleted", Description: "1 to include deleted files", Type: "boolean"}}
	return []Route{
		{Method: http.MethodGet, Pattern: "/vaults", Access: Bearer, Handler: v.list,
			Doc: Doc{Summary: "Every vault with its key state (trusted, locked or untrusted), policy and usage", Response: VaultListReply{}}},
		{Method: http.MethodPost, Pattern: "/vaults", Access: Bearer, Handler: v.create,
			Doc: Doc{Summary: "Create a trusted vault (optional password, optional server folder)", Request: CreateVaultRequest{}, Response: VaultJSON{}, Status: http.StatusCreated}},
		{Method: http.MethodGet, Pattern: id, Access: Bearer, Handler: v.get,
			Doc: Doc{Summary: "One vault: name, key state, RF target, bytes, peers", Response: VaultJSON{}}},
		{Method: http.MethodGet, Pattern: id + "/info", Access: Bearer, Handler: v.info,
			Doc: Doc{Summary: "The vault with its effective policy, replica health (the nodes holding it), last scrub and last pull", Response: VaultInfoReply{}}},
		{Method: http.MethodPost, Pattern: id + "/scrub", Access: Bearer, Handler: v.scrub,
			Doc: Doc{Summary: "Queue a scrub of the vault's blocks now: re-read, verify, repair from a holder (extension)", Response: ScrubReply{}, Status: http.StatusAccepted}},
		{Method: http.MethodPatch, Pattern: id, Access: Bearer, Handler: v.patch,
			Doc: Doc{Summary: "Change name, replication factor, hard quota, retention or role flags (an untrusted vault: roles [\"hold\"] or [])", Request: PatchVaultRequest{}, Response: VaultJSON{}}},
		{Method: http.MethodDelete, Pattern: id, Access: Bearer, Handler: v.remove,
			Doc: Doc{Summary: "Untrust the vault and remove it from config.yaml; its blocks are collected later"}},
		{Method: http.MethodPost, Pattern: id + "/lock", Access: Bearer, Handler: v.lock,
			Doc: Doc{Summary: "Drop a password vault's key from memory", Response: VaultJSON{}}},
		{Method: http.MethodPost, Pattern: "/vaults/unlock", Access: Bearer, Handler: v.unlock,
			Doc: Doc{Summary: "Try a password against every locked vault (shares the login lockout)", Request: passwordRequest{}, Response: UnlockReply{}}},
		{Method: http.MethodGet, Pattern: id + "/analytics", Access: Bearer, Handler: v.analytics,
			Doc: Doc{Summary: "Top types, top authors and daily history", Response: messages.VaultAnalytics{},
				Query: []Param{{Name: "days", Description: "days of history, 1–366 (default 30)", Type: "integer"}}}},
		{Method: http.MethodPut, Pattern: id + "/s3-alias", Access: Bearer, Handler: v.alias,
			Doc: Doc{Summary: "Set the S3 bucket name of the vault (unique; empty clears it)", Request: AliasRequest{}, Response: VaultJSON{}}},
		{Method: http.MethodGet, Pattern: id + "/files", Access: Bearer, Handler: v.listFiles,
			Doc: Doc{Summary: "List a folder of the vault in byte order, with a cursor", Response: messages.FileList{},
				Query: append([]Param{{Name: "path", Description: "the folder, e.g. /2026"}, {Name: "cursor", Description: "next_cursor of the previous page"},
					{Name: "limit", Description: "1–10000 (default 1000)", Type: "integer"}}, fileQ...)}},
		{Method: http.MethodGet, Pattern: id + "/files/*", Access: Bearer, Handler: v.fileCommand("files", http.StatusOK, func(_ http.ResponseWriter, r *http.Request, p string) (any, error) {
			return messages.StatFile{Path: p, IncludeDeleted: flag(r.URL.Query().Get("include_deleted"))}, nil
		}), Doc: Doc{Summary: "One file's metadata: hashes, blocks, parents, heads, conflict", Response: messages.FileInfo{}, Query: fileQ}},
		{Method: http.MethodDelete, Pattern: id + "/files/*", Access: Bearer, Handler: v.fileCommand("files", http.StatusOK, func(_ http.ResponseWriter, _ *http.Request, p string) (any, error) {
			return messages.DeleteFile{Path: p}, nil
		}), Doc: Doc{Summary: "Delete a file: a tombstone version; history stays per retention", Response: messages.FileInfo{}}},
		{Method: http.MethodPost, Pattern: id + "/upload/*", Access: Bearer, Body: Raw, Handler: v.upload,
			Doc: Doc{Summary: "Upload the raw body as the file's new version (streamed; If-Match, X-MeshHold-Base)", Response: messages.FileInfo{}, Status: http.StatusCreated}},
		{Method: http.MethodGet, Pattern: id + "/download/*", Access: Bearer, Handler: v.serve("download", true),
			Doc: Doc{Summary: "The file's bytes as an attachment", Produces: "application/octet-stream"}},
		{Method: http.MethodGet, Pattern: id + "/stream/*", Access: BearerOrQueryToken, Handler: v.serve("stream", false),
			Doc: Doc{Summary: "The file's bytes inline, with Range for players", Produces: "application/octet-stream"}},
		{Method: http.MethodGet, Pattern: id + "/version/*", Access: Bearer, Handler: v.serve("version", true),
			Doc: Doc{Summary: "A historical version's bytes", Produces: "application/octet-stream",
				Query: []Param{{Name: "content_hash", Description: "the version's content hash", Required: true}}}},
		{Method: http.MethodGet, Pattern: id + "/info/*", Access: Bearer, Handler: v.fileInfo,
			Doc: Doc{Summary: "A file with its version DAG and replicas", Response: FileInfoReply{}}},
		{Method: http.MethodGet, Pattern: id + "/history/*", Access: Bearer, Handler: v.history,
			Doc: Doc{Summary: "A file's retained versions, newest first", Response: messages.FileHistory{}}},
		{Method: http.MethodPost, Pattern: id + "/restore/*", Access: Bearer, Handler: v.fileCommand("restore", http.StatusCreated, withHash(func(p, h string) any { return messages.RestoreFile{Path: p, ContentHash: h} })),
			Doc: Doc{Summary: "Write a new version with an older version's content", Request: ContentHashRequest{}, Response: messages.FileInfo{}, Status: http.StatusCreated}},
		{Method: http.MethodPost, Pattern: id + "/resolve-conflict/*", Access: Bearer, Handler: v.fileCommand("resolve-conflict", http.StatusCreated, withHash(func(p, h string) any { return messages.ResolveConflict{Path: p, ContentHash: h} })),
			Doc: Doc{Summary: "Settle a conflict: the chosen head's content, every head as parent", Request: ContentHashRequest{}, Response: messages.FileInfo{}, Status: http.StatusCreated}},
	}
}
