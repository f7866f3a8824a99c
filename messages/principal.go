package messages

// Principal is who a request acts for: the credential's kind ("session", "token", "admin",
// "loopback"), its id and a name to show.
type Principal struct {
	Kind string `json:"kind"`
	ID   string `json:"id,omitempty"`
	Name string `json:"name,omitempty"`
}
