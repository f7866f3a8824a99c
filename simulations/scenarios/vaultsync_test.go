package scenarios_test

import (
	"testing"

	"github.com/meshhold/meshhold/simulations/scenarios"
	"github.com/meshhold/meshhold/simulations/sim"
)

// TestVaultSync plays the tier-1 replication simulation: every seed twice, same trace hash,
// every catalog checked after every step that wrote, records applied only with their blocks,
// two complete copies of every retained version within a round of pulls once the faults stop,
// then convergence, intact bytes everywhere and no plaintext on the untrusted node.
func TestVaultSync(t *testing.T) {
	sim.Check(t, scenarios.VaultSync, seeds(40))
}
