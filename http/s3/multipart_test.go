package s3_test

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/minio/minio-go/v7"

	"github.com/meshhold/meshhold/messages"
)

// TestSDKMultipart: Create, UploadPart (one replaced), UploadPartCopy of a range, ListParts,
// ListMultipartUploads, Complete (md5-of-md5s-N ETag; the object reads back whole with its
// type and metadata), EntityTooSmall, InvalidPart, Abort.
func TestSDKMultipart(t *testing.T) {
	r := newRig(t, 0)
	r.vault("parts")
	r.key("gus", "parts", "read", "write")
	c := r.sdk("gus")
	rng := rand.New(rand.NewPCG(1, 2))
	part := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		return b
	}
	p1, p1b, p3 := part(5<<20), part(5<<20), part(1000)
	src := part(6 << 20)
	_, err := c.PutObject(ctx(), &awss3.PutObjectInput{Bucket: aws.String("parts"), Key: aws.String("src"), Body: bytes.NewReader(src)})
	mustNil(t, "PutObject source", err)

	cr, err := c.CreateMultipartUpload(ctx(), &awss3.CreateMultipartUploadInput{Bucket: aws.String("parts"), Key: aws.String("dir/big.bin"),
		ContentType: aws.String("application/x-big"), Metadata: map[string]string{"origin": "parts"}})
	mustNil(t, "CreateMultipartUpload", err)
	id := cr.UploadId
	up := func(n int32, b []byte) string {
		t.Helper()
		out, err := c.UploadPart(ctx(), &awss3.UploadPartInput{Bucket: aws.String("parts"), Key: aws.String("dir/big.bin"), UploadId: id,
			PartNumber: aws.Int32(n), Body: bytes.NewReader(b)})
		mustNil(t, fmt.Sprintf("UploadPart %d", n), err)
		return aws.ToString(out.ETag)
	}
	up(1, p1b)
	e1 := up(1, p1) // replaces the first part 1
	cp, err := c.UploadPartCopy(ctx(), &awss3.UploadPartCopyInput{Bucket: aws.String("parts"), Key: aws.String("dir/big.bin"), UploadId: id,
		PartNumber: aws.Int32(2), CopySource: aws.String("parts/src"), CopySourceRange: aws.String(fmt.Sprintf("bytes=100-%d", 100+5<<20-1))})
	mustNil(t, "UploadPartCopy", err)
	e2 := aws.ToString(cp.CopyPartResult.ETag)
	e3 := up(3, p3)

	lp, err := c.ListParts(ctx(), &awss3.ListPartsInput{Bucket: aws.String("parts"), Key: aws.String("dir/big.bin"), UploadId: id})
	mustNil(t, "ListParts", err)
	if len(lp.Parts) != 3 || aws.ToString(lp.Parts[0].ETag) != e1 || aws.ToInt64(lp.Parts[1].Size) != 5<<20 {
		t.Fatalf("ListParts: %+v", lp.Parts)
	}
	// max-parts=0 must not answer "truncated" with a marker that never moves (a paginator
	// would loop): it takes the default page.
	lp0, err := c.ListParts(ctx(), &awss3.ListPartsInput{Bucket: aws.String("parts"), Key: aws.String("dir/big.bin"), UploadId: id, MaxParts: aws.Int32(0)})
	mustNil(t, "ListParts max-parts=0", err)
	if len(lp0.Parts) != 3 || aws.ToBool(lp0.IsTruncated) {
		t.Fatalf("ListParts max-parts=0: %d parts, truncated %v", len(lp0.Parts), aws.ToBool(lp0.IsTruncated))
	}
	lu, err := c.ListMultipartUploads(ctx(), &awss3.ListMultipartUploadsInput{Bucket: aws.String("parts")})
	mustNil(t, "ListMultipartUploads", err)
	if len(lu.Uploads) != 1 || aws.ToString(lu.Uploads[0].UploadId) != aws.ToString(id) {
		t.Fatalf("ListMultipartUploads: %+v", lu.Uploads)
	}

	complete := func(parts ...types.CompletedPart) (*awss3.CompleteMultipartUploadOutput, error) {
		return c.CompleteMultipartUpload(ctx(), &awss3.CompleteMultipartUploadInput{Bucket: aws.String("parts"), Key: aws.String("dir/big.bin"),
			UploadId: id, MultipartUpload: &types.CompletedMultipartUpload{Parts: parts}})
	}
	cpart := func(n int32, e string) types.CompletedPart {
		return types.CompletedPart{PartNumber: aws.Int32(n), ETag: aws.String(e)}
	}
	_, err = complete(cpart(1, e1), cpart(3, e3), cpart(2, e2))
	wantCode(t, "parts out of order", err, "InvalidPartOrder")
	_, err = complete(cpart(1, e1), cpart(2, e3))
	wantCode(t, "a wrong part ETag", err, "InvalidPart")
	e4 := up(4, p3)
	_, err = complete(cpart(3, e3), cpart(4, e4))
	wantCode(t, "a small part before the last", err, "EntityTooSmall")
	out, err := complete(cpart(1, e1), cpart(2, e2), cpart(3, e3))
	mustNil(t, "CompleteMultipartUpload", err)

	whole := append(append(append([]byte{}, p1...), src[100:100+5<<20]...), p3...)
	h := md5.New()
	for _, b := range [][]byte{p1, src[100 : 100+5<<20], p3} {
		s := md5.Sum(b)
		h.Write(s[:])
	}
	if want := `"` + hex.EncodeToString(h.Sum(nil)) + `-3"`; aws.ToString(out.ETag) != want {
		t.Fatalf("Complete ETag %s, want %s", aws.ToString(out.ETag), want)
	}
	get, err := c.GetObject(ctx(), &awss3.GetObjectInput{Bucket: aws.String("parts"), Key: aws.String("dir/big.bin")})
	mustNil(t, "GetObject", err)
	got, _ := io.ReadAll(get.Body)
	sum := md5.Sum(whole)
	if !bytes.Equal(got, whole) || aws.ToString(get.ContentType) != "application/x-big" || get.Metadata["origin"] != "parts" ||
		aws.ToString(get.ETag) != `"`+hex.EncodeToString(sum[:])+`"` {
		t.Fatalf("GetObject after Complete: %d bytes (equal %v), type %s, meta %v, ETag %s", len(got), bytes.Equal(got, whole),
			aws.ToString(get.ContentType), get.Metadata, aws.ToString(get.ETag))
	}
	_, err = c.UploadPart(ctx(), &awss3.UploadPartInput{Bucket: aws.String("parts"), Key: aws.String("dir/big.bin"), UploadId: id,
		PartNumber: aws.Int32(4), Body: bytes.NewReader(p3)})
	wantCode(t, "UploadPart after Complete", err, "NoSuchUpload")

	cr, err = c.CreateMultipartUpload(ctx(), &awss3.CreateMultipartUploadInput{Bucket: aws.String("parts"), Key: aws.String("gone")})
	mustNil(t, "CreateMultipartUpload", err)
	_, err = c.AbortMultipartUpload(ctx(), &awss3.AbortMultipartUploadInput{Bucket: aws.String("parts"), Key: aws.String("gone"), UploadId: cr.UploadId})
	mustNil(t, "AbortMultipartUpload", err)
	_, err = c.ListParts(ctx(), &awss3.ListPartsInput{Bucket: aws.String("parts"), Key: aws.String("gone"), UploadId: cr.UploadId})
	wantCode(t, "ListParts after Abort", err, "NoSuchUpload")
}

// TestMinioMultipart200MiB: minio-go uploads a 200 MiB object in parts (its multipart path,
// aws-chunked signed bodies) and reads it back byte for byte and by range.
func TestMinioMultipart200MiB(t *testing.T) {
	if testing.Short() {
		t.Skip("200 MiB upload: not in -short")
	}
	r := newRig(t, 0)
	r.vault("huge")
	r.key("hal", "huge", "read", "write")
	mc := r.minio("hal")
	size := 200 << 20
	if raceEnabled {
		size = 40 << 20 // still three parts; the race detector makes 200 MiB take ~20 s
	}
	body := make([]byte, size)
	rng := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < size; i += 8 {
		v := rng.Uint64()
		for j := 0; j < 8; j++ {
			body[i+j] = byte(v >> (8 * j))
		}
	}
	info, err := mc.PutObject(ctx(), "huge", "video.raw", bytes.NewReader(body), int64(size), minio.PutObjectOptions{PartSize: 16 << 20})
	mustNil(t, "minio PutObject 200 MiB", err)
	if info.Size != int64(size) {
		t.Fatalf("PutObject size %d", info.Size)
	}
	obj, err := mc.GetObject(ctx(), "huge", "video.raw", minio.GetObjectOptions{})
	mustNil(t, "GetObject", err)
	h1, h2 := md5.New(), md5.Sum(body)
	n, err := io.Copy(h1, obj)
	mustNil(t, "read back", err)
	if n != int64(size) || !bytes.Equal(h1.Sum(nil), h2[:]) {
		t.Fatalf("read back %d bytes, MD5 differs: %v", n, !bytes.Equal(h1.Sum(nil), h2[:]))
	}
	opts := minio.GetObjectOptions{}
	off := int64(size) - 30<<20
	_ = opts.SetRange(off, off+99)
	obj, err = mc.GetObject(ctx(), "huge", "video.raw", opts)
	mustNil(t, "GetObject range", err)
	got, _ := io.ReadAll(obj)
	if !bytes.Equal(got, body[off:off+100]) {
		t.Fatal("range read differs")
	}
}

// A multipart upload belongs to the vault its bucket named when it began: its parts are sealed
// with that vault's key. Once the bucket names another vault (the alias moved, or the bucket
// was deleted and made again), completing it is NoSuchUpload, not a version in the new vault
// whose blocks that vault cannot open.
func TestMultipartUploadDoesNotFollowAMovedBucket(t *testing.T) {
	r := newRig(t, 0)
	old := r.vault("docs")
	r.key("gus", "docs", "read", "write")
	c := r.sdk("gus")
	cr, err := c.CreateMultipartUpload(ctx(), &awss3.CreateMultipartUploadInput{Bucket: aws.String("docs"), Key: aws.String("a.bin")})
	mustNil(t, "CreateMultipartUpload", err)
	part, err := c.UploadPart(ctx(), &awss3.UploadPartInput{Bucket: aws.String("docs"), Key: aws.String("a.bin"), UploadId: cr.UploadId,
		PartNumber: aws.Int32(1), Body: strings.NewReader("only part")})
	mustNil(t, "UploadPart", err)

	r.registry(messages.SetAlias{ID: old, Alias: ""})
	moved := r.vault("elsewhere")
	r.registry(messages.SetAlias{ID: moved, Alias: "docs"})
	_, err = c.CompleteMultipartUpload(ctx(), &awss3.CompleteMultipartUploadInput{Bucket: aws.String("docs"), Key: aws.String("a.bin"),
		UploadId: cr.UploadId, MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{{PartNumber: aws.Int32(1), ETag: part.ETag}}}})
	wantCode(t, "CompleteMultipartUpload after the bucket moved", err, "NoSuchUpload")
	if _, err := askVault[messages.FileInfo](r, moved, messages.StatFile{Path: "/a.bin"}); err == nil {
		t.Fatal("the upload was committed into the bucket's new vault")
	}
}
