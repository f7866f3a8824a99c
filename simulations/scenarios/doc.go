// Package scenarios holds MeshHold's simulations (docs/simulation.md): tier 1 drives the vault
// cores directly (vaultcore*.go), tier 2 runs whole nodes inside testing/synctest (node*.go,
// net*.go). Each is played per seed by sim.Check from the tests beside them.
package scenarios
