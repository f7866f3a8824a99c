package persist

// ReadWith opens a snapshot of s, runs fn on it and releases it.
func ReadWith(s Store, fn func(View) error) error {
	snap, err := s.Snapshot()
	if err != nil {
		return err
	}
	defer snap.Release()
	return fn(snap)
}
