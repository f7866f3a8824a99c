package api

import (
	"context"
	"net/http"

	"github.com/meshhold/meshhold/actors/host"
	"github.com/meshhold/meshhold/messages"
)

// Replication serves the routes of the replication broker: wake it, ask where a file's bytes
// are, and make a file resident on this node.
type Replication struct {
	Actors Actors
	Vault  *host.Manager // vault/<id>
	NodeID string        // this node, a holder when the file is local
	// Mesh moves blocks; nil or not connected answers 503 (locality still says what is local).
	Mesh ReplicationMesh
}

// ReplicationMesh is what these routes need from the running mesh; the daemon implements it.
type ReplicationMesh interface {
	Connected() bool
	// Wake starts a replication round now.
	Wake()
	// Local reports which of blocks this node holds.
	Local(blocks []string) (have []bool, err error)
	// Holders lists the online peers of vault that hold every one of blocks, nearest first.
	Holders(ctx context.Context, vault string, blocks []string) ([]string, error)
	// Fetch gets blocks into this node from the vault's holders; it returns how many it got.
	Fetch(ctx context.Context, vault string, blocks []string) (got int, err error)
}

// LocalityReply is GET /vaults/:id/locality/*path.
type LocalityReply struct {
	Local   bool     `json:"local"`   // every block of the file's shown head is on this node
	Blocks  int      `json:"blocks"`  // blocks of the file
	Missing int      `json:"missing"` // of those, not on this node
	Holders []string `json:"holders"` // this node when local, then online peers holding every block, nearest first
}

// CacheReply is POST /vaults/:id/cache/*path.
type CacheReply struct {
	Local   bool `json:"local"`
	Fetched int  `json:"fetched"`
	Missing int  `json:"missing"` // still not here (no online holder had them)
}

// ReplicateReply is POST /replicate-now.
type ReplicateReply struct {
	Started bool `json:"started"`
}

// Routes lists the replication routes.
func (rp *Replication) Routes() []Route {
	return []Route{
		{Method: http.MethodPost, Pattern: "/replicate-now", Access: Bearer, Handler: rp.now,
			Doc: Doc{Summary: "Start a replication round now (returns at once; 503 without the mesh)", Response: ReplicateReply{}, Status: http.StatusAccepted}},
		{Method: http.MethodGet, Pattern: "/vaults/{vault_id}/locality/*", Access: Bearer, Handler: rp.locality,
			Doc: Doc{Summary: "Whether the file's bytes are on this node, and which online peers hold them", Response: LocalityReply{}}},
		{Method: http.MethodPost, Pattern: "/vaults/{vault_id}/cache/*", Access: Bearer, Handler: rp.cache,
			Doc: Doc{Summary: "Fetch the file's missing blocks from peers so it is resident on this node", Response: CacheReply{}}},
	}
}

func (rp *Replication) connected() bool { return rp.Mesh != nil && rp.Mesh.Connected() }

func (rp *Replication) now(w http.ResponseWriter, r *http.Request) {
	if !rp.connected() {
		WriteError(w, r, messages.LimitedMode("the mesh is not connected, so there is no peer to replicate with"))
		return
	}
	rp.Mesh.Wake()
	WriteJSON(w, http.StatusAccepted, ReplicateReply{Started: true})
}

// missingOf is the vault id, the block list of the file's shown head, and those blocks this
// node lacks.
func (rp *Replication) missingOf(r *http.Request, verb string) (id string, blocks, missing []string, err error) {
	id = routeID(r)
	p, err := filePath(r, verb)
	if err != nil {
		return id, nil, nil, err
	}
	info, err := ask[messages.FileInfo](r.Context(), rp.Actors, rp.Vault, id, messages.StatFile{Path: p})
	if err != nil {
		return id, nil, nil, err
	}
	if rp.Mesh == nil {
		return id, nil, nil, because(messages.ErrUnavailable, "this daemon runs without a mesh")
	}
	have, err := rp.Mesh.Local(info.Blocks)
	if err != nil {
		return id, nil, nil, err
	}
	for i, h := range have {
		if !h {
			missing = append(missing, info.Blocks[i])
		}
	}
	return id, info.Blocks, missing, nil
}

func (rp *Replication) locality(w http.ResponseWriter, r *http.Request) {
	id, blocks, missing, err := rp.missingOf(r, "locality")
	if err != nil {
		WriteError(w, r, err)
		return
	}
	reply := LocalityReply{Blocks: len(blocks), Missing: len(missing), Local: len(missing) == 0, Holders: []string{}}
	if reply.Local {
		reply.Holders = append(reply.Holders, rp.NodeID)
	}
	if rp.connected() {
		peers, err := rp.Mesh.Holders(r.Context(), id, blocks)
		if err != nil {
			WriteError(w, r, err)
			return
		}
		reply.Holders = append(reply.Holders, peers...)
	}
	WriteJSON(w, http.StatusOK, reply)
}

func (rp *Replication) cache(w http.ResponseWriter, r *http.Request) {
	id, _, missing, err := rp.missingOf(r, "cache")
	if err != nil {
		WriteError(w, r, err)
		return
	}
	reply := CacheReply{}
	if len(missing) > 0 {
		if !rp.connected() {
			WriteError(w, r, messages.LimitedMode("the mesh is not connected: the file's missing blocks cannot be fetched"))
			return
		}
		if reply.Fetched, err = rp.Mesh.Fetch(r.Context(), id, missing); err != nil {
			WriteError(w, r, err)
			return
		}
	}
	reply.Missing = len(missing) - reply.Fetched
	reply.Local = reply.Missing == 0
	WriteJSON(w, http.StatusOK, reply)
}
