package api

import "net/http"

// VersionReply is the body of GET /version.
type VersionReply struct {
	Version string `json:"version"`
}

// SystemRoutes returns the routes of the system theme served so far: GET /version.
func SystemRoutes(version string) []Route {
	return []Route{
		{Method: http.MethodGet, Pattern: "/version", Access: Open, Handler: versionHandler(version)},
	}
}

// versionHandler answers GET /version with the daemon's build version.
func versionHandler(version string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		WriteJSON(w, http.StatusOK, VersionReply{Version: version})
	}
}
