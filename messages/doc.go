// Package messages is MeshHold's shared vocabulary: the commands, replies and errors that travel
// between http, actors and p2p, and the versioned protobuf records (eventv1, storev1, wirev1).
// It does no I/O.
package messages
