package reports

import (
	"crypto/rand"
	"encoding/hex"
	"regexp"
	"time"
)

// A report's ID is report-<UTC time to the millisecond>-<8 random hex digits>, e.g.
// report-20260102T150405.123Z-1a2b3c4d: IDs sort by creation time, and nothing else (no path
// separator, no dot-dot) is ever accepted as one.
const (
	idPrefix   = "report-"
	timeLayout = "20060102T150405.000Z"
	ext        = ".zip"
	tmpPrefix  = ".report-" // temporary files: a report being written, the writability probe
)

var idPattern = regexp.MustCompile(`^report-[0-9]{8}T[0-9]{6}\.[0-9]{3}Z-[0-9a-f]{8}$`)

// validID reports whether id is a well-formed report ID.
func validID(id string) bool { return idPattern.MatchString(id) }

// newID names a report created at t.
func newID(t time.Time) string {
	var b [4]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	return idPrefix + t.UTC().Format(timeLayout) + "-" + hex.EncodeToString(b[:])
}

// info describes the valid report id of size bytes.
func info(id string, size int64) Info {
	var ms int64
	if t, err := time.Parse(timeLayout, id[len(idPrefix):len(idPrefix)+len(timeLayout)]); err == nil {
		ms = t.UnixMilli()
	}
	return Info{ID: id, Name: id + ext, SizeBytes: size, CreatedMs: ms}
}
