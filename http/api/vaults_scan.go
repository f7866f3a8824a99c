package api

import (
	"net/http"

	"github.com/meshhold/meshhold/messages"
)

// ScanStatus is GET /vaults/:id/scan-status: a folder vault's scanner progress since its last full scan began.
type ScanStatus struct {
	Active       bool   `json:"active"`   // a full scan is running
	Walked       int64  `json:"walked"`   // regular files examined
	Ingested     int64  `json:"ingested"` // versions committed from the folder
	Deleted      int64  `json:"deleted"`  // tombstones for files gone from the folder
	Errors       int64  `json:"errors"`
	LastError    string `json:"last_error"`
	StartedAtMs  int64  `json:"started_at_ms"`  // the last full scan's start
	FinishedAtMs int64  `json:"finished_at_ms"` // its end; 0 while the first one runs
}

// errNoFolder answers scan-status for a vault that has no scanner: no folder, or no such vault.
var errNoFolder = because(messages.ErrNotFound, "vault has no folder")

// ScanRoutes serves GET /vaults/{vault_id}/scan-status; status false (or nil) is 404 "vault has no folder".
func ScanRoutes(status func(vaultID string) (ScanStatus, bool)) []Route {
	return []Route{{Method: http.MethodGet, Pattern: "/vaults/{vault_id}/scan-status", Access: Bearer,
		Handler: func(w http.ResponseWriter, r *http.Request) {
			if status == nil {
				WriteError(w, r, errNoFolder)
				return
			}
			st, ok := status(routeID(r))
			if !ok {
				WriteError(w, r, errNoFolder)
				return
			}
			WriteJSON(w, http.StatusOK, st)
		},
		Doc: Doc{Summary: "Folder-vault scanner progress: active, walked, ingested, deleted, errors, last full scan's times", Response: ScanStatus{}}}}
}
