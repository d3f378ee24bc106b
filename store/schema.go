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
//
// Version 2 (the agency register, issue 12) keys reports by agency_id and
// year instead of the printed agency name, and adds the register and the
// indexes below; a read-write Open migrates a version 1 file (migrate.go).
const SchemaVersion = 2

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

	// bucketReports: reportKey(agency_id, year) → reportValue JSON. The
	// agency_id is a registered organ's ("a:…") or, for a report whose
	// organ is not identified, its source's ("u:…"; see doc.go), so keys
	// sort by organ, then year, and the unidentified reports come last.
	bucketReports = []byte("reports")

	// bucketVersions: reportKey(agency_id, year) + version (uint32 BE) →
	// versionValue JSON.
	bucketVersions = []byte("versions")

	// bucketAgencies: agency_id → agencyValue JSON: the register's organs.
	bucketAgencies = []byte("agencies")

	// bucketAgencyStems: agency.Stem(name) + 0x00 + agency_id → empty: the
	// organs that may be the same as a newly printed name (Resolve's
	// candidates).
	bucketAgencyStems = []byte("agency_stems")

	// bucketAgencyNames: searchForm(name) + 0x00 + agency_id → empty: every
	// name an organ printed or the configuration gives it, and the printed
	// name (the site's) of every unidentified report under its "u:" id.
	// Exact name lookups seek it; --agency TEXT scans it.
	bucketAgencyNames = []byte("agency_names")

	// bucketAgencyCodes: agency.OrgCode(code) + 0x00 + agency_id → empty.
	bucketAgencyCodes = []byte("agency_codes")

	// bucketReportYears: year (uint32 BE) + agency_id → empty: the reports
	// of one year, in agency_id order.
	bucketReportYears = []byte("report_years")

	// bucketReportStatus: status + 0x00 + reportKey → empty, status one of
	// "ok", "fail", "none" (the latest version's checks; ReportStatus).
	bucketReportStatus = []byte("report_status")

	// bucketOutcomeReports: reportKey + sha256 (32 raw bytes) + URL → empty:
	// the outcomes (ResultReport) that name a version of the report, so
	// that moving a report's versions rewrites exactly those.
	bucketOutcomeReports = []byte("outcome_reports")

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
		bucketVersions, bucketRuns, bucketURLs, bucketQueue, bucketQueued, bucketOutcomes,
		bucketAgencies, bucketAgencyStems, bucketAgencyNames, bucketAgencyCodes,
		bucketReportYears, bucketReportStatus, bucketOutcomeReports}
)

// Keys in bucketMeta.
var (
	keyMetaSchema  = []byte("schema")
	keyMetaCreated = []byte("created")
	// keyMetaRules holds the configuration's agency rules ([]agency.Rule
	// JSON) last applied with ApplyAgencyRules.
	keyMetaRules = []byte("agency_rules")
	// keyMetaMigrated records the migration from an older schema (JSON).
	keyMetaMigrated = []byte("migrated")
)

// Prefixes of agency IDs: a registered organ, and the source of a report
// whose organ is not identified.
const (
	organPrefix        = "a:"
	unidentifiedPrefix = "u:"
)

// IsUnidentifiedID reports whether id is the ID of an unidentified
// report's source ("u:…") rather than a registered organ's ("a:…").
func IsUnidentifiedID(id string) bool { return strings.HasPrefix(id, unidentifiedPrefix) }

// IsAgencyID reports whether s has the shape of an agency_id: "a:" or
// "u:" followed by lower-case hex digits.
func IsAgencyID(s string) bool {
	if !strings.HasPrefix(s, organPrefix) && !strings.HasPrefix(s, unidentifiedPrefix) || len(s) < 4 {
		return false
	}
	for i := 2; i < len(s); i++ {
		if c := s[i]; !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// yearKey is a year's entry in bucketReportYears.
func yearKey(year int, id string) []byte {
	k := binary.BigEndian.AppendUint32(make([]byte, 0, 4+len(id)), uint32(year))
	return append(k, id...)
}

// statusKey is a report's entry in bucketReportStatus.
func statusKey(status string, rk []byte) []byte {
	k := make([]byte, 0, len(status)+1+len(rk))
	k = append(append(k, status...), 0)
	return append(k, rk...)
}

// indexKey is an entry of the stem, name and code indexes: the form, a
// 0x00 separator, the agency_id.
func indexKey(form, id string) []byte {
	k := make([]byte, 0, len(form)+1+len(id))
	k = append(append(k, form...), 0)
	return append(k, id...)
}

// outcomeReportKey is an entry of bucketOutcomeReports.
func outcomeReportKey(rk, sum []byte, url string) []byte {
	k := make([]byte, 0, len(rk)+len(sum)+len(url))
	k = append(append(k, rk...), sum...)
	return append(k, url...)
}

// splitOutcomeReportKey returns the report key, raw SHA-256 and URL of an
// entry of bucketOutcomeReports.
func splitOutcomeReportKey(k []byte) (rk, sum []byte, url string, err error) {
	i := bytes.IndexByte(k, 0)
	if i < 0 || len(k) < i+5+32 {
		return nil, nil, "", fmt.Errorf("outcome index key %q: %w", k, ErrCorrupt)
	}
	return k[:i+5], k[i+5 : i+5+32], string(k[i+5+32:]), nil
}

// chunkSize is the largest body chunk stored under one key. Compressed
// bodies larger than this are split so that no single value needs a long
// run of contiguous pages (see doc.go).
const chunkSize = 256 << 10

// reportKey encodes (agency_id, year) so that keys sort by agency_id and
// then by year: the ID's bytes, a 0x00 separator, the year as uint32
// big-endian. (Version 1 files used the printed agency name in place of
// the ID; migrate.go reads them with the same function.)
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
