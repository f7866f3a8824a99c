package vaultsync

import "testing"

// A vault of millions of versions lists fewer buckets at a time, so one answer (about 116
// bytes per address) stays inside MaxFrame; small vaults keep the full batch.
func TestListBatchShrinksWithTheVault(t *testing.T) {
	for _, tc := range []struct {
		versions int64
		want     int
	}{
		{0, 16}, {1000, 16}, {1_600_000, 16}, {4_000_000, 6}, {25_600_000, 1}, {1 << 40, 1},
	} {
		got := listBatchFor(tc.versions)
		if got != tc.want {
			t.Errorf("listBatchFor(%d) = %d, want %d", tc.versions, got, tc.want)
		}
		if per := int64(got) * tc.versions / 256 * 116 * 2; tc.versions < 30_000_000 && per > MaxFrame {
			t.Errorf("%d versions: %d buckets a list is %d bytes with as many pruned, over MaxFrame", tc.versions, got, per)
		}
	}
}
