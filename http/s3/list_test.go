package s3_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// listKeys is one ListObjectsV2 page as "key…|prefix/…" strings, with its next token.
func listV2(t *testing.T, c *awss3.Client, in awss3.ListObjectsV2Input) ([]string, *string) {
	t.Helper()
	in.Bucket = aws.String("docs")
	out, err := c.ListObjectsV2(ctx(), &in)
	mustNil(t, "ListObjectsV2", err)
	var got []string
	for _, o := range out.Contents {
		got = append(got, aws.ToString(o.Key))
	}
	for _, p := range out.CommonPrefixes {
		got = append(got, "P:"+aws.ToString(p.Prefix))
	}
	if aws.ToInt32(out.KeyCount) != int32(len(got)) {
		t.Fatalf("KeyCount %d for %d entries", aws.ToInt32(out.KeyCount), len(got))
	}
	if aws.ToBool(out.IsTruncated) != (out.NextContinuationToken != nil) {
		t.Fatalf("IsTruncated %v with token %v", aws.ToBool(out.IsTruncated), out.NextContinuationToken)
	}
	return got, out.NextContinuationToken
}

// TestListObjects: listings come from the vault's byte-ordered paths, with prefix, delimiter
// (common prefixes folded, skipped on later pages), max-keys paging with continuation tokens,
// start-after, and v1 markers; a folder marker "dir/" is an object, and "a" beside "a/b" both list.
func TestListObjects(t *testing.T) {
	r := newRig(t, 0)
	r.vault("docs")
	r.key("bob", "docs", "read", "write")
	c := r.sdk("bob")
	keys := []string{"a", "a/b", "a/c/d", "ab", "b/", "b/x", "photos/2025/1.jpg", "photos/2026/1.jpg",
		"photos/2026/2.jpg", "photos/20261.jpg", "z é.txt"}
	for _, k := range keys {
		_, err := c.PutObject(ctx(), &awss3.PutObjectInput{Bucket: aws.String("docs"), Key: aws.String(k), Body: strings.NewReader("x" + k)})
		mustNil(t, "PutObject "+k, err)
	}
	check := func(what string, got []string, want ...string) {
		t.Helper()
		if !slices.Equal(got, want) {
			t.Fatalf("%s:\n got %q\nwant %q", what, got, want)
		}
	}
	all, tok := listV2(t, c, awss3.ListObjectsV2Input{})
	check("all", all, keys...)
	if tok != nil {
		t.Fatal("a complete listing has a token")
	}
	got, _ := listV2(t, c, awss3.ListObjectsV2Input{Delimiter: aws.String("/")})
	check("delimiter at the root", got, "a", "ab", "z é.txt", "P:a/", "P:b/", "P:photos/")
	got, _ = listV2(t, c, awss3.ListObjectsV2Input{Prefix: aws.String("photos/2026"), Delimiter: aws.String("/")})
	check("prefix inside a name", got, "photos/20261.jpg", "P:photos/2026/")
	got, _ = listV2(t, c, awss3.ListObjectsV2Input{Prefix: aws.String("photos/2026/")})
	check("folder prefix", got, "photos/2026/1.jpg", "photos/2026/2.jpg")
	got, _ = listV2(t, c, awss3.ListObjectsV2Input{Prefix: aws.String("b/"), Delimiter: aws.String("/")})
	check("folder marker", got, "b/", "b/x")
	got, _ = listV2(t, c, awss3.ListObjectsV2Input{StartAfter: aws.String("b/x")})
	check("start-after", got, keys[6:]...)
	got, _ = listV2(t, c, awss3.ListObjectsV2Input{Prefix: aws.String("z "), EncodingType: types.EncodingTypeUrl})
	check("encoding-type=url (what the aws CLI asks for)", got, "z%20%C3%A9.txt")
	got, _ = listV2(t, c, awss3.ListObjectsV2Input{Prefix: aws.String("q")})
	check("no match", got)

	// Paging two at a time through delimited results: every entry once, in order.
	var paged []string
	var token *string
	for i := 0; ; i++ {
		page, next := listV2(t, c, awss3.ListObjectsV2Input{Delimiter: aws.String("/"), MaxKeys: aws.Int32(2), ContinuationToken: token})
		if len(page) > 2 || i > 10 {
			t.Fatalf("page %d: %q", i, page)
		}
		paged = append(paged, page...)
		if token = next; token == nil {
			break
		}
	}
	slices.Sort(paged)
	check("paged with a delimiter", paged, "P:a/", "P:b/", "P:photos/", "a", "ab", "z é.txt")

	// The SDK's paginator and the v1 marker walk cover every key exactly once.
	var seen []string
	p := awss3.NewListObjectsV2Paginator(c, &awss3.ListObjectsV2Input{Bucket: aws.String("docs"), MaxKeys: aws.Int32(3)})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx())
		mustNil(t, "paginator", err)
		for _, o := range out.Contents {
			seen = append(seen, aws.ToString(o.Key))
		}
	}
	check("paginator", seen, keys...)
	seen = nil
	marker := ""
	for {
		out, err := c.ListObjects(ctx(), &awss3.ListObjectsInput{Bucket: aws.String("docs"), MaxKeys: aws.Int32(4), Marker: aws.String(marker)})
		mustNil(t, "ListObjects", err)
		for _, o := range out.Contents {
			seen = append(seen, aws.ToString(o.Key))
			if aws.ToInt64(o.Size) != int64(len("x"+aws.ToString(o.Key))) || aws.ToString(o.ETag) == "" {
				t.Fatalf("ListObjects entry %s: size %d etag %s", aws.ToString(o.Key), aws.ToInt64(o.Size), aws.ToString(o.ETag))
			}
		}
		if !aws.ToBool(out.IsTruncated) {
			break
		}
		marker = aws.ToString(out.NextMarker)
	}
	check("v1 markers", seen, keys...)

	// Deleted keys leave the listing.
	_, err := c.DeleteObject(ctx(), &awss3.DeleteObjectInput{Bucket: aws.String("docs"), Key: aws.String("a/b")})
	wantCode(t, "delete without the grant", err, "AccessDenied")
	r.key("bob", "docs", "delete")
	_, err = c.DeleteObject(ctx(), &awss3.DeleteObjectInput{Bucket: aws.String("docs"), Key: aws.String("a/b")})
	mustNil(t, "DeleteObject", err)
	got, _ = listV2(t, c, awss3.ListObjectsV2Input{Prefix: aws.String("a")})
	check("after a delete", got, "a", "a/c/d", "ab")
}
