// Package chunk is the rule that cuts a file into blocks: 512 KiB blocks for the first 64 MiB,
// 4 MiB blocks after that, the last block shorter. A block's size depends only on its offset,
// so the same bytes at the same place always cut the same way (dedup across versions and
// uploads), and a streamed upload never needs its total size.
package chunk

const (
	// Small is the block size for the first SmallSpan bytes of a file.
	Small = 512 << 10
	// Large is the block size past SmallSpan; no block is larger.
	Large = 4 << 20
	// SmallSpan is how many bytes of a file are cut into Small blocks.
	SmallSpan = 64 << 20
	// smallBlocks is how many Small blocks SmallSpan holds.
	smallBlocks = SmallSpan / Small
)

// SizeAt is the size of the block that starts at offset (before the file's end cuts it).
func SizeAt(offset int64) int {
	if offset < SmallSpan {
		return Small
	}
	return Large
}

// Start is the offset of block i.
func Start(i int) int64 {
	if i <= smallBlocks {
		return int64(i) * Small
	}
	return SmallSpan + int64(i-smallBlocks)*Large
}

// Count is how many blocks a file of size bytes has (0 for an empty file).
func Count(size int64) int {
	if size <= SmallSpan {
		return int((size + Small - 1) / Small)
	}
	return smallBlocks + int((size-SmallSpan+Large-1)/Large)
}

// Bounds lists the [start, end) of every block of a file of size bytes.
func Bounds(size int64) [][2]int64 {
	out := make([][2]int64, 0, Count(size))
	for off := int64(0); off < size; {
		end := min(off+int64(SizeAt(off)), size)
		out = append(out, [2]int64{off, end})
		off = end
	}
	return out
}
