package sigv4

// PayloadMode says how the body is bound to the signature (the x-amz-content-sha256 value).
type PayloadMode int

// The payload modes S3 accepts.
const (
	// PayloadSHA256: x-amz-content-sha256 is the hex SHA-256 of the body, checked at EOF.
	PayloadSHA256 PayloadMode = iota
	// PayloadUnsigned: UNSIGNED-PAYLOAD; the body is not covered (presigned URLs, TLS clients).
	PayloadUnsigned
	// PayloadStreamingSigned: STREAMING-AWS4-HMAC-SHA256-PAYLOAD, aws-chunked with chunk signatures.
	PayloadStreamingSigned
	// PayloadStreamingSignedTrailer: STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER, signed chunks and a signed trailer.
	PayloadStreamingSignedTrailer
	// PayloadStreamingUnsignedTrailer: STREAMING-UNSIGNED-PAYLOAD-TRAILER, plain aws-chunked and an unsigned trailer.
	PayloadStreamingUnsignedTrailer
)

// The x-amz-content-sha256 values that name a mode rather than a hash.
const (
	unsignedPayload          = "UNSIGNED-PAYLOAD"
	streamingSigned          = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
	streamingSignedTrailer   = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
	streamingUnsignedTrailer = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
)

// String is the x-amz-content-sha256 value of the mode ("SHA256" for a literal hash).
func (m PayloadMode) String() string {
	switch m {
	case PayloadSHA256:
		return "SHA256"
	case PayloadUnsigned:
		return unsignedPayload
	case PayloadStreamingSigned:
		return streamingSigned
	case PayloadStreamingSignedTrailer:
		return streamingSignedTrailer
	case PayloadStreamingUnsignedTrailer:
		return streamingUnsignedTrailer
	}
	return "unknown"
}

// Chunked reports whether the body is aws-chunked encoded.
func (m PayloadMode) Chunked() bool { return m >= PayloadStreamingSigned }

// signedChunks reports whether each chunk carries a chunk-signature.
func (m PayloadMode) signedChunks() bool {
	return m == PayloadStreamingSigned || m == PayloadStreamingSignedTrailer
}

// trailer reports whether a trailer section follows the last chunk.
func (m PayloadMode) trailer() bool {
	return m == PayloadStreamingSignedTrailer || m == PayloadStreamingUnsignedTrailer
}

// parsePayloadMode maps an x-amz-content-sha256 value to its mode.
func parsePayloadMode(v string) (PayloadMode, error) {
	switch v {
	case unsignedPayload:
		return PayloadUnsigned, nil
	case streamingSigned:
		return PayloadStreamingSigned, nil
	case streamingSignedTrailer:
		return PayloadStreamingSignedTrailer, nil
	case streamingUnsignedTrailer:
		return PayloadStreamingUnsignedTrailer, nil
	}
	if isLowerHex(v, 64) {
		return PayloadSHA256, nil
	}
	return 0, newError(ErrInvalidArgument,
		"x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER or a valid sha256 value")
}
