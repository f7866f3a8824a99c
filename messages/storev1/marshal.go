package storev1

import "google.golang.org/protobuf/proto"

// Marshal encodes a record deterministically (map entries in key order), so the same record
// always gives the same bytes: simulations replay exactly and replicated records hash the same
// on every node. Records are plain messages, so encoding cannot fail; a failure is a bug.
func Marshal(m proto.Message) []byte {
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(m)
	if err != nil {
		panic(err)
	}
	return b
}
