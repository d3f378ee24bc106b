package store

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"strings"
)

// This file is the on-disk contract: bucket names, key encodings and the
// schema version. Every value is JSON with a "v" field holding the schema
// version it was written with, except body chunks, which are raw
// compressed bytes.

// SchemaVersion is the version of the layout below. Open refuses files with
// a higher version (ErrSchemaTooNew) and stamps new files with this one.
// Bump it, and teach Open to migrate, whenever a key encoding or a value's
// meaning changes.
const SchemaVersion = 1

// Bucket names. All buckets are top-level.
var (
	// bucketMeta holds keyMetaSchema → decimal schema version and
	// keyMetaCreated → RFC 3339 creation time.
	bucketMeta = []byte("meta")

	// bucketCaptures: sha256 (32 raw bytes) → captureValue JSON.
	bucketCaptures = []byte("captures")

	// bucketBodies: sha256 (32 raw bytes) + chunk index (uint32 BE) → one
	// chunk of the capture's compressed body (at most chunkSize bytes).
	bucketBodies = []byte("bodies")

	// bucketReports: reportKey(agency, year) → reportValue JSON.
	bucketReports = []byte("reports")

	// bucketVersions: reportKey(agency, year) + version (uint32 BE) →
	// versionValue JSON.
	bucketVersions = []byte("versions")

	// bucketRuns: run ID (UTF-8, sorts by start time) → runValue JSON.
	bucketRuns = []byte("runs")

	// bucketURLs: URL (UTF-8) → urlValue JSON (validators, last outcome).
	bucketURLs = []byte("urls")

	// bucketQueue: site + 0x00 + sequence (uint64 BE) → URL. FIFO order per
	// site.
	bucketQueue = []byte("queue")

	// bucketQueued: site + 0x00 + URL → sequence (uint64 BE); the index
	// that makes Enqueue idempotent and Done O(log n).
	bucketQueued = []byte("queued")

	// bucketOutcomes: sha256 (32 raw bytes) + URL (UTF-8) → outcomeValue
	// JSON: what the body produced when fetched from that URL. A body's
	// outcomes are contiguous. Files written before outcomes existed lack
	// the bucket until their first read-write Open creates it; readers
	// treat a missing bucket as empty.
	bucketOutcomes = []byte("outcomes")

	allBuckets = [][]byte{bucketMeta, bucketCaptures, bucketBodies, bucketReports,
		bucketVersions, bucketRuns, bucketURLs, bucketQueue, bucketQueued, bucketOutcomes}
)

// Keys in bucketMeta.
var (
	keyMetaSchema  = []byte("schema")
	keyMetaCreated = []byte("created")
)

// chunkSize is the largest body chunk stored under one key. Compressed
// bodies larger than this are split so that no single value needs a long
// run of contiguous pages (see doc.go).
const chunkSize = 256 << 10

// reportKey encodes (agency, year) so that keys sort by agency (UTF-8 byte
// order, which is code-point order) and then by year: agency bytes, a 0x00
// separator, the year as uint32 big-endian.
func reportKey(agency string, year int) ([]byte, error) {
	if agency == "" || strings.IndexByte(agency, 0) >= 0 {
		return nil, fmt.Errorf("report key %q: %w: agency must be non-empty and contain no NUL", agency, ErrInvalid)
	}
	if year < 0 || year > 1<<31 {
		return nil, fmt.Errorf("report key %q %d: %w: year out of range", agency, year, ErrInvalid)
	}
	k := make([]byte, 0, len(agency)+5)
	k = append(k, agency...)
	k = append(k, 0)
	return binary.BigEndian.AppendUint32(k, uint32(year)), nil
}

// decodeReportKey is the inverse of reportKey.
func decodeReportKey(k []byte) (agency string, year int, err error) {
	i := bytes.IndexByte(k, 0)
	if i < 0 || len(k) != i+5 {
		return "", 0, fmt.Errorf("report key %q: %w", k, ErrCorrupt)
	}
	return string(k[:i]), int(binary.BigEndian.Uint32(k[i+1:])), nil
}

// versionKey is reportKey followed by the version number (uint32 BE), so a
// report's versions are contiguous and in order.
func versionKey(rk []byte, n int) []byte {
	k := make([]byte, 0, len(rk)+4)
	k = append(k, rk...)
	return binary.BigEndian.AppendUint32(k, uint32(n))
}

// chunkKey is the key of chunk i of the body with the given raw hash.
func chunkKey(sum []byte, i int) []byte {
	k := make([]byte, 0, len(sum)+4)
	k = append(k, sum...)
	return binary.BigEndian.AppendUint32(k, uint32(i))
}

// outcomeKey is the key of the outcome of the body with the given raw hash
// at url.
func outcomeKey(sum []byte, url string) []byte {
	k := make([]byte, 0, len(sum)+len(url))
	k = append(k, sum...)
	return append(k, url...)
}

// shaKey decodes a lower-case hex SHA-256 into the 32-byte key.
func shaKey(sha string) ([]byte, error) {
	b, err := hex.DecodeString(sha)
	if err != nil || len(b) != 32 {
		return nil, fmt.Errorf("sha256 %q: %w: want 64 hex digits", sha, ErrInvalid)
	}
	return b, nil
}

// siteKey is a site ID plus the 0x00 separator: the prefix of the site's
// queue entries.
func siteKey(site string) ([]byte, error) {
	if site == "" || strings.IndexByte(site, 0) >= 0 {
		return nil, fmt.Errorf("site %q: %w: site must be non-empty and contain no NUL", site, ErrInvalid)
	}
	return append([]byte(site), 0), nil
}
