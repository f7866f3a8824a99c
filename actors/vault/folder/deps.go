package folder

import (
	"context"
	"log/slog"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/meshhold/meshhold/actors/host"
	"github.com/meshhold/meshhold/http/files"
	"github.com/meshhold/meshhold/persist"
	"github.com/meshhold/meshhold/persist/blockgc"
)

// Deps are the scanners' ports: the actors they ask, the block store and the upload pins.
type Deps struct {
	Root      *actor.RootContext
	Vaults    *host.Manager // vault/<id>
	Registry  *host.Manager // vaults/registry: Folders lists the folder vaults there
	Limit     time.Duration // most time one ask waits (default 30 s)
	Blocks    persist.BlockStore
	Pins      *blockgc.Pins
	Reclaim   files.Reclaimer // optional: deletes the blocks of an ingest that failed
	NodeID    string          // authors the versions a scanner commits
	MaxUpload int64           // largest file ingested; 0 = files.MaxUploadSize
	Logger    *slog.Logger    // default slog.Default()
	// Resolve makes a registry folder usable (absolute, ~ expanded); nil keeps it as is.
	Resolve func(folder string) string
}

// withDefaults fills the zero fields.
func (d Deps) withDefaults() Deps {
	if d.Limit <= 0 {
		d.Limit = 30 * time.Second
	}
	if d.MaxUpload <= 0 {
		d.MaxUpload = files.MaxUploadSize
	}
	if d.Logger == nil {
		d.Logger = slog.Default()
	}
	return d
}

// ask asks the scanner's vault actor, bounded by the scanner's lifetime and the ask limit.
func ask[R any](ctx context.Context, s *Scanner, msg any) (R, error) {
	return host.AskChild[R](ctx, s.deps.Root, s.deps.Vaults, s.id, msg, s.deps.Limit)
}
