package scenarios_test

import (
	"testing"

	"github.com/meshhold/meshhold/simulations/scenarios"
	"github.com/meshhold/meshhold/simulations/sim"
)

// TestVaultCore plays the tier-1 vault simulation: every seed twice, same trace hash, every
// invariant after every committed step, every fault kind and recovery path at least once.
func TestVaultCore(t *testing.T) {
	sim.Check(t, scenarios.VaultCore, seeds(60))
}
