package s3_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/minio/minio-go/v7"
	miniocreds "github.com/minio/minio-go/v7/pkg/credentials"
)

// TestBucketsAndGrants: ListBuckets shows only the buckets the key holds a grant on; each op
// needs its own grant; unknown buckets, unknown keys and unsupported operations answer the S3
// error a client expects.
func TestBucketsAndGrants(t *testing.T) {
	r := newRig(t, 0)
	r.vault("alpha")
	r.vault("beta")
	r.vault("gamma")
	r.key("reader", "alpha", "read")
	r.key("reader", "beta", "delete")
	r.key("reader", "nope-bucket", "read", "write")
	r.key("writer", "alpha", "read", "write")
	rd, wr := r.sdk("reader"), r.sdk("writer")

	lb, err := rd.ListBuckets(ctx(), &awss3.ListBucketsInput{})
	mustNil(t, "ListBuckets", err)
	var names []string
	for _, b := range lb.Buckets {
		names = append(names, aws.ToString(b.Name))
		if b.CreationDate == nil || b.CreationDate.IsZero() {
			t.Fatalf("bucket %s has no creation date", aws.ToString(b.Name))
		}
	}
	if strings.Join(names, ",") != "alpha,beta" {
		t.Fatalf("ListBuckets of reader: %v", names)
	}

	_, err = wr.PutObject(ctx(), &awss3.PutObjectInput{Bucket: aws.String("alpha"), Key: aws.String("k"), Body: strings.NewReader("v")})
	mustNil(t, "PutObject with write", err)
	_, err = rd.PutObject(ctx(), &awss3.PutObjectInput{Bucket: aws.String("alpha"), Key: aws.String("k"), Body: strings.NewReader("w")})
	wantCode(t, "PutObject with read only", err, "AccessDenied")
	_, err = rd.GetObject(ctx(), &awss3.GetObjectInput{Bucket: aws.String("alpha"), Key: aws.String("k")})
	mustNil(t, "GetObject with read", err)
	_, err = wr.DeleteObject(ctx(), &awss3.DeleteObjectInput{Bucket: aws.String("alpha"), Key: aws.String("k")})
	wantCode(t, "DeleteObject without delete", err, "AccessDenied")
	_, err = rd.GetObject(ctx(), &awss3.GetObjectInput{Bucket: aws.String("gamma"), Key: aws.String("k")})
	wantCode(t, "GetObject on a bucket without grant", err, "AccessDenied")
	_, err = rd.ListObjectsV2(ctx(), &awss3.ListObjectsV2Input{Bucket: aws.String("beta")})
	wantCode(t, "list with delete only", err, "AccessDenied")
	_, err = rd.GetObject(ctx(), &awss3.GetObjectInput{Bucket: aws.String("nope-bucket"), Key: aws.String("k")})
	wantCode(t, "a granted bucket that is no vault", err, "NoSuchBucket")
	_, err = r.sdk("stranger").ListBuckets(ctx(), &awss3.ListBucketsInput{})
	wantCode(t, "unknown access key", err, "InvalidAccessKeyId")

	_, err = rd.HeadBucket(ctx(), &awss3.HeadBucketInput{Bucket: aws.String("alpha")})
	mustNil(t, "HeadBucket", err)
	_, err = rd.HeadBucket(ctx(), &awss3.HeadBucketInput{Bucket: aws.String("gamma")})
	if status(err) != http.StatusForbidden {
		t.Fatalf("HeadBucket without grant: want 403, got %v", err)
	}
	_, err = rd.HeadBucket(ctx(), &awss3.HeadBucketInput{Bucket: aws.String("nope-bucket")})
	if status(err) != http.StatusNotFound {
		t.Fatalf("HeadBucket of no vault: want 404, got %v", err)
	}
	loc, err := rd.GetBucketLocation(ctx(), &awss3.GetBucketLocationInput{Bucket: aws.String("alpha")})
	mustNil(t, "GetBucketLocation", err)
	if loc.LocationConstraint != types.BucketLocationConstraint(testRegion) {
		t.Fatalf("GetBucketLocation: %q", loc.LocationConstraint)
	}
	ver, err := rd.GetBucketVersioning(ctx(), &awss3.GetBucketVersioningInput{Bucket: aws.String("alpha")})
	mustNil(t, "GetBucketVersioning", err)
	if ver.Status != "" {
		t.Fatalf("GetBucketVersioning: %q, want never enabled", ver.Status)
	}

	_, err = wr.ListObjectVersions(ctx(), &awss3.ListObjectVersionsInput{Bucket: aws.String("alpha")})
	wantCode(t, "ListObjectVersions", err, "NotImplemented")
	_, err = wr.PutObjectTagging(ctx(), &awss3.PutObjectTaggingInput{Bucket: aws.String("alpha"), Key: aws.String("k"),
		Tagging: &types.Tagging{TagSet: []types.Tag{{Key: aws.String("a"), Value: aws.String("b")}}}})
	wantCode(t, "PutObjectTagging", err, "NotImplemented")
	_, err = wr.GetBucketPolicy(ctx(), &awss3.GetBucketPolicyInput{Bucket: aws.String("alpha")})
	wantCode(t, "GetBucketPolicy", err, "NotImplemented")
	_, err = wr.CreateBucket(ctx(), &awss3.CreateBucketInput{Bucket: aws.String("alpha")})
	wantCode(t, "CreateBucket of an owned bucket", err, "BucketAlreadyOwnedByYou")
	_, err = wr.DeleteBucket(ctx(), &awss3.DeleteBucketInput{Bucket: aws.String("alpha")})
	wantCode(t, "DeleteBucket without the delete grant", err, "AccessDenied")
}

// TestCreateAndDeleteBucket: a key allowed to create buckets makes a vault with that alias and
// gets every op on it; other keys are refused; DeleteBucket deletes only an empty bucket.
func TestCreateAndDeleteBucket(t *testing.T) {
	r := newRig(t, 0)
	r.key("maker1", "unused")
	r.key("plain", "unused")
	r.vault("taken")
	mk := r.sdk("maker1")
	// restic init (minio-go BucketExists) HEADs the bucket first: a free name is 404 for a key
	// that may create it, someone else's bucket stays 403.
	if _, err := mk.HeadBucket(ctx(), &awss3.HeadBucketInput{Bucket: aws.String("fresh")}); status(err) != http.StatusNotFound {
		t.Fatalf("HeadBucket of a free name by a key that may create: want 404, got %v", err)
	}
	if _, err := mk.HeadBucket(ctx(), &awss3.HeadBucketInput{Bucket: aws.String("taken")}); status(err) != http.StatusForbidden {
		t.Fatalf("HeadBucket of another's bucket by a key that may create: want 403, got %v", err)
	}
	_, err := r.sdk("plain").CreateBucket(ctx(), &awss3.CreateBucketInput{Bucket: aws.String("fresh")})
	wantCode(t, "CreateBucket by a key that may not", err, "AccessDenied")
	_, err = mk.CreateBucket(ctx(), &awss3.CreateBucketInput{Bucket: aws.String("Bad_Name")})
	wantCode(t, "CreateBucket with an invalid name", err, "InvalidBucketName")
	_, err = mk.CreateBucket(ctx(), &awss3.CreateBucketInput{Bucket: aws.String("fresh")})
	mustNil(t, "CreateBucket", err)
	_, err = mk.PutObject(ctx(), &awss3.PutObjectInput{Bucket: aws.String("fresh"), Key: aws.String("k"), Body: strings.NewReader("v")})
	mustNil(t, "PutObject into the new bucket", err)
	lb, err := mk.ListBuckets(ctx(), &awss3.ListBucketsInput{})
	mustNil(t, "ListBuckets", err)
	if len(lb.Buckets) != 1 || aws.ToString(lb.Buckets[0].Name) != "fresh" {
		t.Fatalf("ListBuckets after CreateBucket: %+v", lb.Buckets)
	}
	_, err = mk.CreateBucket(ctx(), &awss3.CreateBucketInput{Bucket: aws.String("fresh")})
	wantCode(t, "CreateBucket again", err, "BucketAlreadyOwnedByYou")
	_, err = mk.DeleteBucket(ctx(), &awss3.DeleteBucketInput{Bucket: aws.String("fresh")})
	wantCode(t, "DeleteBucket of a bucket with an object", err, "BucketNotEmpty")
	_, err = mk.DeleteObject(ctx(), &awss3.DeleteObjectInput{Bucket: aws.String("fresh"), Key: aws.String("k")})
	mustNil(t, "DeleteObject", err)
	_, err = mk.DeleteBucket(ctx(), &awss3.DeleteBucketInput{Bucket: aws.String("fresh")})
	mustNil(t, "DeleteBucket of an empty bucket", err)
	_, err = mk.HeadBucket(ctx(), &awss3.HeadBucketInput{Bucket: aws.String("fresh")})
	if status(err) != http.StatusNotFound {
		t.Fatalf("HeadBucket after DeleteBucket: want 404, got %v", err)
	}
}

// TestRegionFromError: minio-go without a region (as restic uses it) signs GetBucketLocation
// for us-east-1; the refusal's x-amz-bucket-region tells it the gateway's, and it goes on.
func TestRegionFromError(t *testing.T) {
	r := newRig(t, 0)
	r.vault("alpha")
	r.key("m", "alpha", "read", "write")
	c, err := minio.New(strings.TrimPrefix(r.srv.URL, "http://"), &minio.Options{
		Creds: miniocreds.NewStaticV4("m", "secret-of-m", ""), Transport: r.srv.Client().Transport})
	mustNil(t, "minio.New", err)
	ok, err := c.BucketExists(ctx(), "alpha")
	if err != nil || !ok {
		t.Fatalf("BucketExists without a region: %v %v", ok, err)
	}
	_, err = c.PutObject(ctx(), "alpha", "k", strings.NewReader("v"), 1, minio.PutObjectOptions{})
	mustNil(t, "PutObject without a region", err)
}

// A CreateBucket whose grant fails leaves no bucket behind: its creator could neither use it
// nor create it again; the retry succeeds.
func TestCreateBucketWhoseGrantFailsLeavesNothing(t *testing.T) {
	r := newRig(t, 0)
	r.key("maker-1", "", "read")
	c := r.sdk("maker-1")
	r.mu.Lock()
	r.noGrant = true
	r.mu.Unlock()
	_, err := c.CreateBucket(ctx(), &awss3.CreateBucketInput{Bucket: aws.String("fresh")})
	if err == nil {
		t.Fatal("CreateBucket succeeded without its grant")
	}
	r.mu.Lock()
	r.noGrant = false
	r.mu.Unlock()
	_, err = c.CreateBucket(ctx(), &awss3.CreateBucketInput{Bucket: aws.String("fresh")})
	mustNil(t, "CreateBucket again", err)
	_, err = c.HeadBucket(ctx(), &awss3.HeadBucketInput{Bucket: aws.String("fresh")})
	mustNil(t, "HeadBucket", err)
}
