package stream

// SetReplayChunk shrinks the replay chunk for a test; call the result to restore it.
func SetReplayChunk(n int) (restore func()) {
	old := replayChunk
	replayChunk = n
	return func() { replayChunk = old }
}
