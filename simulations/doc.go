// Package simulations holds MeshHold's deterministic simulations (DESIGN.md, "Deterministic
// simulations"): sim/ is the kernel (seeded RNG, event heap, dispatcher lanes, faults,
// invariants, trace hash) and scenarios/ the scenarios, each replayable from its seed.
package simulations
