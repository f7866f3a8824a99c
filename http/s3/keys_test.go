package s3_test

import (
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
)

// On S3 the keys "/x" and "x" are two objects; a vault path has no empty first segment, so
// "/x" is refused rather than written over "x" (it once was).
func TestLeadingSlashKeyDoesNotOverwriteAnother(t *testing.T) {
	r := newRig(t, 0)
	r.vault("docs")
	r.key("bob", "docs", "read", "write")
	c := r.sdk("bob")
	_, err := c.PutObject(ctx(), &awss3.PutObjectInput{Bucket: aws.String("docs"), Key: aws.String("x"), Body: strings.NewReader("one")})
	mustNil(t, "PutObject x", err)
	_, err = c.PutObject(ctx(), &awss3.PutObjectInput{Bucket: aws.String("docs"), Key: aws.String("/x"), Body: strings.NewReader("two")})
	wantCode(t, "PutObject /x", err, "InvalidArgument")
	out, err := c.GetObject(ctx(), &awss3.GetObjectInput{Bucket: aws.String("docs"), Key: aws.String("x")})
	mustNil(t, "GetObject x", err)
	defer out.Body.Close()
	if b, _ := io.ReadAll(out.Body); string(b) != "one" {
		t.Fatalf("x holds %q after a put of /x", b)
	}
}

// A key store that cannot answer makes a request 503 ServiceUnavailable (retried by clients),
// never InvalidAccessKeyId (which restic and others treat as final); an unknown key is still
// InvalidAccessKeyId.
func TestKeyStoreDownIsUnavailableNotBadCredentials(t *testing.T) {
	r := newRig(t, 0)
	r.vault("docs")
	r.key("bob", "docs", "read", "write")
	c := r.sdk("bob")
	r.mu.Lock()
	r.down = true
	r.mu.Unlock()
	_, err := c.HeadBucket(ctx(), &awss3.HeadBucketInput{Bucket: aws.String("docs")})
	if !strings.Contains(fmt.Sprint(err), "503") {
		t.Fatalf("HeadBucket with the key store down: %v, want a 503", err)
	}
	_, err = c.ListBuckets(ctx(), &awss3.ListBucketsInput{})
	wantCode(t, "ListBuckets with the key store down", err, "ServiceUnavailable")
	r.mu.Lock()
	r.down = false
	r.mu.Unlock()
	_, err = r.sdk("nobody").ListBuckets(ctx(), &awss3.ListBucketsInput{})
	wantCode(t, "ListBuckets with an unknown key", err, "InvalidAccessKeyId")
}
