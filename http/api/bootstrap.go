package api

import (
	"net/http"
	"time"

	"github.com/meshhold/meshhold/actors/auth"
	"github.com/meshhold/meshhold/messages"
)

// TicketTTL is how long a bootstrap ticket can be exchanged.
const TicketTTL = 60 * time.Second

// TicketReply is what the bootstrap socket answers: a single-use ticket for
// POST /auth/bootstrap-exchange (or the Web UI's ?bootstrap=…).
type TicketReply struct {
	Ticket    string `json:"ticket"`
	ExpiresMs int64  `json:"expires_at_ms"`
}

// TicketHandler serves POST /ticket on the daemon's bootstrap unix socket (mode 0600 in the
// metadata folder): whoever can open the socket is the local user and gets a ticket.
func (s *System) TicketHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /ticket", func(w http.ResponseWriter, r *http.Request) {
		ticket, hash := auth.Mint(auth.TicketPrefix)
		expires := time.Now().Add(TicketTTL).UnixMilli()
		if _, err := ask[messages.TicketMinted](r.Context(), s.Actors, s.Auth, messages.AuthID, messages.MintTicket{Hash: hash, ExpiresMs: expires}); err != nil {
			WriteError(w, r, err)
			return
		}
		WriteJSON(w, http.StatusOK, TicketReply{Ticket: ticket, ExpiresMs: expires})
	})
	return mux
}
