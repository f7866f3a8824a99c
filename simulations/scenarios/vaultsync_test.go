package scenarios_test

import (
	"testing"

	"github.com/meshhold/meshhold/simulations/scenarios"
	"github.com/meshhold/meshhold/simulations/sim"
)

// TestVaultSync plays the tier-1 catalog-sync simulation: every seed twice, same trace hash,
// every catalog checked after every step, convergence once the faults stop.
func TestVaultSync(t *testing.T) {
	sim.Check(t, scenarios.VaultSync, seeds(40))
}
