package host

import "encoding/binary"

func encodeSeq(n uint64) []byte { return binary.BigEndian.AppendUint64(nil, n) }

func decodeSeq(b []byte) uint64 {
	if len(b) != 8 {
		return 0
	}
	return binary.BigEndian.Uint64(b)
}
