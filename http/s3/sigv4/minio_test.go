package sigv4

import (
	"bytes"
	"context"
	"net/http/httptest"
	"testing"

	"github.com/minio/minio-go/v7"
	miniocreds "github.com/minio/minio-go/v7/pkg/credentials"
)

// TestMinioClientPut: minio-go, a second independent signer, uploads over plain HTTP with
// signed aws-chunked bodies (and a signed trailer when it sends a checksum); each must
// verify end to end, including objects large enough for several chunks.
func TestMinioClientPut(t *testing.T) {
	var s seen
	srv := httptest.NewServer(s.wrap(gateway(newVerifier(nil))))
	defer srv.Close()
	newClient := func(trailing bool) *minio.Client {
		c, err := minio.New(srv.Listener.Addr().String(), &minio.Options{
			Creds:           miniocreds.NewStaticV4(testKeyID, testSecret, ""),
			Region:          testRegion,
			TrailingHeaders: trailing,
		})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	body := bytes.Repeat([]byte("0123456789abcdef"), 12000) // 192000 bytes: three 64 KiB chunks
	cases := []struct {
		name     string
		trailing bool
		opts     minio.PutObjectOptions
		mode     string
	}{
		{"default", false, minio.PutObjectOptions{}, streamingSigned},
		{"content-md5", false, minio.PutObjectOptions{SendContentMd5: true}, streamingSigned},
		{"trailing default", true, minio.PutObjectOptions{}, streamingSigned}, // no checksum: no trailer
		{"crc32c trailer", true, minio.PutObjectOptions{Checksum: minio.ChecksumCRC32C}, streamingSignedTrailer},
		{"sha256 trailer", true, minio.PutObjectOptions{Checksum: minio.ChecksumSHA256}, streamingSignedTrailer},
		{"crc64nvme trailer", true, minio.PutObjectOptions{Checksum: minio.ChecksumCRC64NVME}, streamingSignedTrailer},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			info, err := newClient(tc.trailing).PutObject(context.Background(), "bucket", "dir/obj (1).bin", bytes.NewReader(body), int64(len(body)), tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			if s.last() != tc.mode {
				t.Errorf("minio-go sent %s, expected %s", s.last(), tc.mode)
			}
			echoed := map[minio.ChecksumType]string{minio.ChecksumCRC32C: info.ChecksumCRC32C,
				minio.ChecksumSHA256: info.ChecksumSHA256, minio.ChecksumCRC64NVME: info.ChecksumCRC64NVME}
			if tc.opts.Checksum.IsSet() && echoed[tc.opts.Checksum] == "" {
				t.Errorf("no %s checksum echoed", tc.opts.Checksum)
			}
		})
	}
}
