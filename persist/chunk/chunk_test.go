package chunk

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestGoldenBoundaries pins the rule: changing it would stop new uploads deduplicating against
// every block already stored.
func TestGoldenBoundaries(t *testing.T) {
	var b strings.Builder
	for _, size := range []int64{0, 1, Small - 1, Small, Small + 1, 3*Small + 7, SmallSpan - 1, SmallSpan,
		SmallSpan + 1, SmallSpan + Large, SmallSpan + Large + 1, 1 << 30, 50 << 30} {
		bounds := Bounds(size)
		fmt.Fprintf(&b, "size %d: %d blocks", size, len(bounds))
		if n := len(bounds); n > 0 {
			first, last := bounds[0], bounds[n-1]
			fmt.Fprintf(&b, ", first [%d,%d), last [%d,%d)", first[0], first[1], last[0], last[1])
			if n > smallBlocks {
				fmt.Fprintf(&b, ", block %d [%d,%d)", smallBlocks, bounds[smallBlocks][0], bounds[smallBlocks][1])
			}
		}
		b.WriteString("\n")
	}
	want, err := os.ReadFile(filepath.Join("testdata", "boundaries.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if b.String() != string(want) {
		t.Fatalf("boundaries changed:\n%s\nwant:\n%s", b.String(), want)
	}
}

func TestRuleIsConsistent(t *testing.T) {
	for _, size := range []int64{0, 1, Small, SmallSpan - 1, SmallSpan, SmallSpan + 1, SmallSpan + 3*Large - 5, 3 << 30} {
		bounds := Bounds(size)
		if len(bounds) != Count(size) {
			t.Fatalf("size %d: %d bounds, Count %d", size, len(bounds), Count(size))
		}
		var off int64
		for i, bd := range bounds {
			if bd[0] != off || bd[0] != Start(i) || bd[1]-bd[0] > int64(SizeAt(bd[0])) || bd[1] <= bd[0] {
				t.Fatalf("size %d block %d: %v (Start %d)", size, i, bd, Start(i))
			}
			if bd[1]-bd[0] > Large || (bd[0] < SmallSpan && bd[1]-bd[0] > Small) {
				t.Fatalf("size %d block %d too large: %v", size, i, bd)
			}
			off = bd[1]
		}
		if off != size {
			t.Fatalf("size %d: bounds end at %d", size, off)
		}
	}
}
