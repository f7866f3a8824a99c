package s3_test

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
)

// TestSDKObjectLifecycle: the AWS SDK puts an object with a type and metadata (ETag = hex MD5,
// CRC32 echoed), reads it whole, by range and under conditions, heads it, and deletes it.
func TestSDKObjectLifecycle(t *testing.T) {
	r := newRig(t, 0)
	r.vault("photos")
	r.key("alice", "photos", "read", "write", "delete")
	c := r.sdk("alice")
	body := bytes.Repeat([]byte("meshhold object "), 50000) // 800 kB
	sum := md5.Sum(body)
	wantTag := `"` + hex.EncodeToString(sum[:]) + `"`

	put, err := c.PutObject(ctx(), &awss3.PutObjectInput{Bucket: aws.String("photos"), Key: aws.String("2026/trip/a.bin"),
		Body: bytes.NewReader(body), ContentType: aws.String("application/x-test"), Metadata: map[string]string{"camera": "X100", "Place": "Lyon"}})
	mustNil(t, "PutObject", err)
	if aws.ToString(put.ETag) != wantTag || aws.ToString(put.ChecksumCRC32) == "" {
		t.Fatalf("PutObject: ETag %s (want %s), CRC32 %q", aws.ToString(put.ETag), wantTag, aws.ToString(put.ChecksumCRC32))
	}

	get, err := c.GetObject(ctx(), &awss3.GetObjectInput{Bucket: aws.String("photos"), Key: aws.String("2026/trip/a.bin")})
	mustNil(t, "GetObject", err)
	got, _ := io.ReadAll(get.Body)
	get.Body.Close()
	if !bytes.Equal(got, body) || aws.ToString(get.ETag) != wantTag || aws.ToString(get.ContentType) != "application/x-test" ||
		get.Metadata["camera"] != "X100" || get.Metadata["place"] != "Lyon" || get.LastModified == nil {
		t.Fatalf("GetObject: %d bytes (equal %v), ETag %s, type %s, meta %v, modified %v", len(got), bytes.Equal(got, body),
			aws.ToString(get.ETag), aws.ToString(get.ContentType), get.Metadata, get.LastModified)
	}

	if aws.ToString(get.ContentDisposition) != "" || aws.ToString(get.CacheControl) != "" {
		t.Fatalf("GetObject sends headers that were not stored: disposition %q, cache %q", aws.ToString(get.ContentDisposition), aws.ToString(get.CacheControl))
	}
	ov, err := c.GetObject(ctx(), &awss3.GetObjectInput{Bucket: aws.String("photos"), Key: aws.String("2026/trip/a.bin"),
		ResponseContentType: aws.String("image/jpeg"), ResponseContentDisposition: aws.String(`attachment; filename="a.jpg"`)})
	mustNil(t, "GetObject with response overrides", err)
	ov.Body.Close()
	if aws.ToString(ov.ContentType) != "image/jpeg" || aws.ToString(ov.ContentDisposition) != `attachment; filename="a.jpg"` {
		t.Fatalf("response overrides: type %q disposition %q", aws.ToString(ov.ContentType), aws.ToString(ov.ContentDisposition))
	}

	rng, err := c.GetObject(ctx(), &awss3.GetObjectInput{Bucket: aws.String("photos"), Key: aws.String("2026/trip/a.bin"), Range: aws.String("bytes=100-199")})
	mustNil(t, "GetObject range", err)
	got, _ = io.ReadAll(rng.Body)
	rng.Body.Close()
	if !bytes.Equal(got, body[100:200]) || aws.ToString(rng.ContentRange) != "bytes 100-199/800000" {
		t.Fatalf("range: %q, Content-Range %s", got, aws.ToString(rng.ContentRange))
	}
	_, err = c.GetObject(ctx(), &awss3.GetObjectInput{Bucket: aws.String("photos"), Key: aws.String("2026/trip/a.bin"), Range: aws.String("bytes=900000-")})
	wantCode(t, "unsatisfiable range", err, "InvalidRange")

	_, err = c.GetObject(ctx(), &awss3.GetObjectInput{Bucket: aws.String("photos"), Key: aws.String("2026/trip/a.bin"), IfMatch: aws.String(`"0123"`)})
	wantCode(t, "If-Match another ETag", err, "PreconditionFailed")
	_, err = c.GetObject(ctx(), &awss3.GetObjectInput{Bucket: aws.String("photos"), Key: aws.String("2026/trip/a.bin"), IfMatch: aws.String(wantTag)})
	mustNil(t, "If-Match the ETag", err)
	_, err = c.GetObject(ctx(), &awss3.GetObjectInput{Bucket: aws.String("photos"), Key: aws.String("2026/trip/a.bin"), IfNoneMatch: aws.String(wantTag)})
	if status(err) != http.StatusNotModified {
		t.Fatalf("If-None-Match the ETag: want 304, got %v", err)
	}
	_, err = c.GetObject(ctx(), &awss3.GetObjectInput{Bucket: aws.String("photos"), Key: aws.String("2026/trip/a.bin"),
		IfUnmodifiedSince: aws.Time(time.Now().Add(-time.Hour))})
	wantCode(t, "If-Unmodified-Since an hour ago", err, "PreconditionFailed")
	_, err = c.GetObject(ctx(), &awss3.GetObjectInput{Bucket: aws.String("photos"), Key: aws.String("2026/trip/a.bin"),
		IfModifiedSince: aws.Time(time.Now().Add(time.Hour))})
	if status(err) != http.StatusNotModified {
		t.Fatalf("If-Modified-Since later: want 304, got %v", err)
	}

	_, err = c.PutObject(ctx(), &awss3.PutObjectInput{Bucket: aws.String("photos"), Key: aws.String("2026/trip/a.bin"),
		Body: strings.NewReader("overwrite"), IfNoneMatch: aws.String("*")})
	wantCode(t, "PutObject If-None-Match * over an object", err, "PreconditionFailed")
	_, err = c.PutObject(ctx(), &awss3.PutObjectInput{Bucket: aws.String("photos"), Key: aws.String("2026/trip/a.bin"),
		Body: strings.NewReader("overwrite"), IfMatch: aws.String(`"00"`)})
	wantCode(t, "PutObject If-Match another ETag", err, "PreconditionFailed")

	head, err := c.HeadObject(ctx(), &awss3.HeadObjectInput{Bucket: aws.String("photos"), Key: aws.String("2026/trip/a.bin")})
	mustNil(t, "HeadObject", err)
	if aws.ToInt64(head.ContentLength) != int64(len(body)) || aws.ToString(head.ETag) != wantTag || head.Metadata["camera"] != "X100" {
		t.Fatalf("HeadObject: length %d, ETag %s, meta %v", aws.ToInt64(head.ContentLength), aws.ToString(head.ETag), head.Metadata)
	}

	_, err = c.DeleteObject(ctx(), &awss3.DeleteObjectInput{Bucket: aws.String("photos"), Key: aws.String("2026/trip/a.bin")})
	mustNil(t, "DeleteObject", err)
	_, err = c.GetObject(ctx(), &awss3.GetObjectInput{Bucket: aws.String("photos"), Key: aws.String("2026/trip/a.bin")})
	wantCode(t, "GetObject after delete", err, "NoSuchKey")
	var nsk *types.NoSuchKey
	if !errorsAs(err, &nsk) {
		t.Fatalf("the SDK does not see a *types.NoSuchKey: %T", err)
	}
	_, err = c.HeadObject(ctx(), &awss3.HeadObjectInput{Bucket: aws.String("photos"), Key: aws.String("2026/trip/a.bin")})
	if status(err) != http.StatusNotFound {
		t.Fatalf("HeadObject after delete: want 404, got %v", err)
	}
	_, err = c.DeleteObject(ctx(), &awss3.DeleteObjectInput{Bucket: aws.String("photos"), Key: aws.String("never/was")})
	mustNil(t, "DeleteObject of a missing key", err)
	_, err = c.GetObject(ctx(), &awss3.GetObjectInput{Bucket: aws.String("photos"), Key: aws.String("2026//x")})
	wantCode(t, "key a//b", err, "InvalidArgument")
}

// status is the HTTP status of an SDK error (0 when none).
func status(err error) int {
	var re interface{ HTTPStatusCode() int }
	if errorsAs(err, &re) {
		return re.HTTPStatusCode()
	}
	var oe *smithy.OperationError
	if errorsAs(err, &oe) {
		return -1
	}
	return 0
}
