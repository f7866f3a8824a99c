// Package sim is the simulation kernel (docs/simulation.md): seeded random streams, an event
// queue ordered by (virtual time, sequence), dispatcher lanes for whole nodes inside
// testing/synctest, a trace hashed from canonical records, the "sometimes" registry, and the
// runner that plays every seed twice, compares the hashes and keeps failing seeds.
package sim
