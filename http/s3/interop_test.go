package s3_test

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/minio/minio-go/v7"

	"github.com/meshhold/meshhold/http/api"
	"github.com/meshhold/meshhold/http/api/apitest"
	"github.com/meshhold/meshhold/messages"
)

// TestMinioClient: minio-go (aws-chunked signed bodies on plain HTTP) writes, stats, reads a
// range of, lists, copies and removes objects.
func TestMinioClient(t *testing.T) {
	r := newRig(t, 0)
	r.vault("media")
	r.key("carol", "media", "read", "write", "delete")
	mc := r.minio("carol")
	ok, err := mc.BucketExists(ctx(), "media")
	if err != nil || !ok {
		t.Fatalf("BucketExists: %v %v", ok, err)
	}
	body := bytes.Repeat([]byte{1, 2, 3, 4, 5, 6, 7}, 300000) // 2.1 MB: several signed chunks
	info, err := mc.PutObject(ctx(), "media", "clips/one.bin", bytes.NewReader(body), int64(len(body)),
		minio.PutObjectOptions{ContentType: "video/x-test", UserMetadata: map[string]string{"Take": "3"}})
	mustNil(t, "minio PutObject", err)
	sum := md5.Sum(body)
	if info.ETag != hex.EncodeToString(sum[:]) {
		t.Fatalf("minio PutObject ETag %s", info.ETag)
	}
	st, err := mc.StatObject(ctx(), "media", "clips/one.bin", minio.StatObjectOptions{})
	mustNil(t, "StatObject", err)
	if st.Size != int64(len(body)) || st.ContentType != "video/x-test" || st.UserMetadata["Take"] != "3" {
		t.Fatalf("StatObject: %+v", st)
	}
	opts := minio.GetObjectOptions{}
	_ = opts.SetRange(1000, 1999)
	obj, err := mc.GetObject(ctx(), "media", "clips/one.bin", opts)
	mustNil(t, "GetObject", err)
	got, err := io.ReadAll(obj)
	mustNil(t, "read range", err)
	if !bytes.Equal(got, body[1000:2000]) {
		t.Fatalf("range read %d bytes, not the object's", len(got))
	}
	_, err = mc.CopyObject(ctx(), minio.CopyDestOptions{Bucket: "media", Object: "clips/copy.bin"}, minio.CopySrcOptions{Bucket: "media", Object: "clips/one.bin"})
	mustNil(t, "CopyObject", err)
	var listed []string
	for o := range mc.ListObjects(ctx(), "media", minio.ListObjectsOptions{Prefix: "clips/", Recursive: true}) {
		mustNil(t, "ListObjects", o.Err)
		listed = append(listed, o.Key)
	}
	if strings.Join(listed, ",") != "clips/copy.bin,clips/one.bin" {
		t.Fatalf("minio ListObjects: %v", listed)
	}
	mustNil(t, "RemoveObject", mc.RemoveObject(ctx(), "media", "clips/one.bin", minio.RemoveObjectOptions{}))
	_, err = mc.StatObject(ctx(), "media", "clips/one.bin", minio.StatObjectOptions{})
	if minio.ToErrorResponse(err).StatusCode != http.StatusNotFound {
		t.Fatalf("StatObject after remove: %v", err)
	}
	c, err := mc.GetObject(ctx(), "media", "clips/copy.bin", minio.GetObjectOptions{})
	mustNil(t, "GetObject copy", err)
	got, _ = io.ReadAll(c)
	if !bytes.Equal(got, body) {
		t.Fatal("the copy outlived its source with other bytes")
	}
}

// TestRESTAndS3AreOneStore: a file uploaded through the REST API is an object with an MD5
// ETag and its metadata, and an object put through S3 downloads through REST.
func TestRESTAndS3AreOneStore(t *testing.T) {
	r := newRig(t, 0)
	id := r.vault("shared")
	r.key("dave", "shared", "read", "write")
	c := r.sdk("dave")
	req := httptest.NewRequest("POST", api.Prefix+"/vaults/"+id+"/upload/notes/today.txt", strings.NewReader("written via REST"))
	req.Header.Set("Authorization", "Bearer "+apitest.GoodToken)
	req.Header.Set(api.MetaPrefix+"Mood", "fine")
	req.Header.Set("Content-Type", "text/plain")
	rec := httptest.NewRecorder()
	r.rest.ServeHTTP(rec, req)
	if rec.Code != http.StatusCreated {
		t.Fatalf("REST upload: %d %s", rec.Code, rec.Body)
	}
	get, err := c.GetObject(ctx(), &awss3.GetObjectInput{Bucket: aws.String("shared"), Key: aws.String("notes/today.txt")})
	mustNil(t, "GetObject of a REST file", err)
	got, _ := io.ReadAll(get.Body)
	sum := md5.Sum([]byte("written via REST"))
	if string(got) != "written via REST" || aws.ToString(get.ETag) != `"`+hex.EncodeToString(sum[:])+`"` || get.Metadata["mood"] != "fine" {
		t.Fatalf("REST file as object: %q ETag %s meta %v", got, aws.ToString(get.ETag), get.Metadata)
	}
	_, err = c.PutObject(ctx(), &awss3.PutObjectInput{Bucket: aws.String("shared"), Key: aws.String("from-s3.txt"), Body: strings.NewReader("written via S3")})
	mustNil(t, "PutObject", err)
	req = httptest.NewRequest("GET", api.Prefix+"/vaults/"+id+"/download/from-s3.txt", nil)
	req.Header.Set("Authorization", "Bearer "+apitest.GoodToken)
	rec = httptest.NewRecorder()
	r.rest.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK || rec.Body.String() != "written via S3" {
		t.Fatalf("REST download of an S3 object: %d %q", rec.Code, rec.Body)
	}
}

// TestLimitsAndKeys: a body over max_put_bytes is EntityTooLarge, one over the vault quota is
// QuotaExceeded, and keys the vault path rules refuse are InvalidArgument; none of them stores
// anything.
func TestLimitsAndKeys(t *testing.T) {
	r := newRig(t, 1<<20)
	id := r.vault("small")
	r.key("erin", "small", "read", "write")
	c := r.sdk("erin")
	_, err := c.PutObject(ctx(), &awss3.PutObjectInput{Bucket: aws.String("small"), Key: aws.String("big"), Body: bytes.NewReader(make([]byte, 1<<20+1))})
	wantCode(t, "PutObject over max_put_bytes", err, "EntityTooLarge")
	_, err = c.PutObject(ctx(), &awss3.PutObjectInput{Bucket: aws.String("small"), Key: aws.String("fits"), Body: bytes.NewReader(make([]byte, 1<<20))})
	mustNil(t, "PutObject at max_put_bytes", err)

	quota := int64(1<<20 + 1000)
	if _, err := askVault[messages.VaultPolicy](r, id, messages.SetPolicy{HardQuota: &quota}); err != nil {
		t.Fatal(err)
	}
	_, err = c.PutObject(ctx(), &awss3.PutObjectInput{Bucket: aws.String("small"), Key: aws.String("over"), Body: bytes.NewReader(make([]byte, 5000))})
	wantCode(t, "PutObject over the quota", err, "QuotaExceeded")

	for _, k := range []string{"a//b", "a/../b", "./x", "a/\x01"} {
		_, err = c.PutObject(ctx(), &awss3.PutObjectInput{Bucket: aws.String("small"), Key: aws.String(k), Body: strings.NewReader("v")})
		wantCode(t, "key "+k, err, "InvalidArgument")
	}
	out, err := c.ListObjectsV2(ctx(), &awss3.ListObjectsV2Input{Bucket: aws.String("small")})
	mustNil(t, "ListObjectsV2", err)
	if len(out.Contents) != 1 || aws.ToString(out.Contents[0].Key) != "fits" {
		t.Fatalf("refused puts stored something: %v", out.Contents)
	}
}

// TestPresignedDeleteObjectsCopy: presigned PUT and GET URLs work with a plain HTTP client;
// DeleteObjects reports each key; CopyObject keeps or replaces the metadata.
func TestPresignedDeleteObjectsCopy(t *testing.T) {
	r := newRig(t, 0)
	r.vault("box")
	r.key("fay", "box", "read", "write", "delete")
	c := r.sdk("fay")
	ps := awss3.NewPresignClient(c)
	put, err := ps.PresignPutObject(ctx(), &awss3.PutObjectInput{Bucket: aws.String("box"), Key: aws.String("p/q.txt")}, awss3.WithPresignExpires(time.Minute))
	mustNil(t, "PresignPutObject", err)
	req, _ := http.NewRequest(put.Method, put.URL, strings.NewReader("presigned body"))
	res, err := r.srv.Client().Do(req)
	mustNil(t, "presigned PUT", err)
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("presigned PUT: %d", res.StatusCode)
	}
	get, err := ps.PresignGetObject(ctx(), &awss3.GetObjectInput{Bucket: aws.String("box"), Key: aws.String("p/q.txt")}, awss3.WithPresignExpires(time.Minute))
	mustNil(t, "PresignGetObject", err)
	res, err = r.srv.Client().Get(get.URL)
	mustNil(t, "presigned GET", err)
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || string(b) != "presigned body" {
		t.Fatalf("presigned GET: %d %q", res.StatusCode, b)
	}
	res, err = r.srv.Client().Get(strings.Replace(get.URL, "q.txt", "r.txt", 1))
	mustNil(t, "tampered presigned GET", err)
	res.Body.Close()
	if res.StatusCode != http.StatusForbidden {
		t.Fatalf("a presigned URL for another key: %d", res.StatusCode)
	}

	_, err = c.CopyObject(ctx(), &awss3.CopyObjectInput{Bucket: aws.String("box"), Key: aws.String("p/copy.txt"), CopySource: aws.String("box/p/q.txt"),
		MetadataDirective: types.MetadataDirectiveReplace, ContentType: aws.String("text/x-copy"), Metadata: map[string]string{"k": "v"}})
	mustNil(t, "CopyObject REPLACE", err)
	h, err := c.HeadObject(ctx(), &awss3.HeadObjectInput{Bucket: aws.String("box"), Key: aws.String("p/copy.txt")})
	mustNil(t, "HeadObject of the copy", err)
	if aws.ToString(h.ContentType) != "text/x-copy" || h.Metadata["k"] != "v" || aws.ToInt64(h.ContentLength) != int64(len("presigned body")) {
		t.Fatalf("copy: type %s meta %v length %d", aws.ToString(h.ContentType), h.Metadata, aws.ToInt64(h.ContentLength))
	}
	_, err = c.CopyObject(ctx(), &awss3.CopyObjectInput{Bucket: aws.String("box"), Key: aws.String("p/x"), CopySource: aws.String("box/p/none")})
	wantCode(t, "CopyObject of a missing source", err, "NoSuchKey")

	del, err := c.DeleteObjects(ctx(), &awss3.DeleteObjectsInput{Bucket: aws.String("box"), Delete: &types.Delete{Objects: []types.ObjectIdentifier{
		{Key: aws.String("p/q.txt")}, {Key: aws.String("p/copy.txt")}, {Key: aws.String("never")}, {Key: aws.String("bad//key")}}}})
	mustNil(t, "DeleteObjects", err)
	if len(del.Deleted) != 3 || len(del.Errors) != 1 || aws.ToString(del.Errors[0].Key) != "bad//key" || aws.ToString(del.Errors[0].Code) != "InvalidArgument" {
		t.Fatalf("DeleteObjects: deleted %d, errors %+v", len(del.Deleted), del.Errors)
	}
	out, err := c.ListObjectsV2(ctx(), &awss3.ListObjectsV2Input{Bucket: aws.String("box")})
	mustNil(t, "ListObjectsV2", err)
	if len(out.Contents) != 0 {
		t.Fatalf("after DeleteObjects %d objects remain", len(out.Contents))
	}
}
