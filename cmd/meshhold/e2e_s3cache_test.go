package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/url"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
)

// The gateway keeps keys, grants and the bucket → vault map between requests (s3cache.go); every
// change made over REST is seen by the very next S3 request, with no wait: a revoked grant, a
// moved alias, a deleted vault, a deleted key.
func TestE2ES3CacheFollowsChanges(t *testing.T) {
	n := startS3Node(t)
	k := n.key(t, "cache", false)
	first := n.bucket(t, "cache", k)
	base, err := url.Parse(n.endpoint)
	if err != nil {
		t.Fatal(err)
	}
	c := awss3.New(awss3.Options{Region: "meshhold", EndpointResolverV2: bsResolver{base: *base}, UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider(k.id, k.secret, ""), HTTPClient: benchClient(1), RetryMaxAttempts: 1})
	ctx := context.Background()
	get := func(key string) (string, error) {
		out, err := c.GetObject(ctx, &awss3.GetObjectInput{Bucket: aws.String("cache"), Key: aws.String(key)})
		if err != nil {
			return "", err
		}
		defer out.Body.Close()
		b, err := io.ReadAll(out.Body)
		return string(b), err
	}
	code := func(err error) string {
		var api smithy.APIError
		if errors.As(err, &api) {
			return api.ErrorCode()
		}
		return ""
	}
	want := func(what, key, body, errCode string) {
		t.Helper()
		got, err := get(key)
		if code(err) != errCode || got != body {
			t.Fatalf("%s: GET %s = %q, error %v; want %q, error code %q", what, key, got, err, body, errCode)
		}
	}
	if _, err := c.PutObject(ctx, &awss3.PutObjectInput{Bucket: aws.String("cache"), Key: aws.String("a"),
		Body: bytes.NewReader([]byte("first vault"))}); err != nil {
		t.Fatal(err)
	}
	want("warm", "a", "first vault", "")
	want("warm again", "a", "first vault", "")

	// A revoked grant refuses the next request; granted again, it serves again.
	if resp, body := n.p.call("DELETE", "/s3/permissions?key_id="+k.id+"&bucket=cache", nil, bearer(n.tok)...); resp.StatusCode != 204 {
		t.Fatalf("revoke: %d %v", resp.StatusCode, body)
	}
	want("after the revoke", "a", "", "AccessDenied")
	n.grant(t, k, "cache")
	want("after the grant", "a", "first vault", "")

	// The alias moved to another vault: the next request reads that vault.
	second := newVault(t, n.p, n.tok, map[string]any{"name": "second"})
	alias := func(v *vaultClient, a string) {
		t.Helper()
		if resp, body := n.p.send("PUT", "/vaults/"+v.id+"/s3-alias", map[string]any{"alias": a}, bearer(n.tok)...); resp.StatusCode != 200 {
			t.Fatalf("PUT s3-alias %q: %d %v", a, resp.StatusCode, body)
		}
	}
	alias(first, "")
	want("alias cleared", "a", "", "NoSuchBucket")
	alias(second, "cache")
	want("alias moved", "a", "", "NoSuchKey")
	alias(second, "")
	alias(first, "cache")
	want("alias moved back", "a", "first vault", "")

	// The bucket's vault deleted: the next request finds no bucket.
	if resp, body := n.p.call("DELETE", "/vaults/"+first.id, nil, bearer(n.tok)...); resp.StatusCode != 204 {
		t.Fatalf("DELETE vault: %d %v", resp.StatusCode, body)
	}
	want("vault deleted", "a", "", "NoSuchBucket")

	// The key deleted: its next request is refused.
	alias(second, "cache")
	want("on the second vault", "a", "", "NoSuchKey")
	if resp, body := n.p.call("DELETE", "/s3/keys/"+k.id, nil, bearer(n.tok)...); resp.StatusCode != 204 {
		t.Fatalf("DELETE key: %d %v", resp.StatusCode, body)
	}
	want("key deleted", "a", "", "InvalidAccessKeyId")
}
