package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"nianbao/parser"
)

// ReportRecord is one report (agency, year) with its versions, oldest
// first. A new version is made only when the normalised cells change; see
// CellsDigest.
type ReportRecord struct {
	Agency string
	Year   int
	// Count is the number of versions stored. It equals len(Versions)
	// unless the record was read with Filter.LatestOnly.
	Count int
	// Versions holds the versions in order (N = 1, 2, …), or only the
	// latest one when read with Filter.LatestOnly.
	Versions []Version
	// Created is when version 1 was stored; Updated when the latest was.
	Created time.Time
	Updated time.Time
}

// Latest returns the newest version, or nil for a record with none.
func (r *ReportRecord) Latest() *Version {
	if r == nil || len(r.Versions) == 0 {
		return nil
	}
	return &r.Versions[len(r.Versions)-1]
}

// Version is one stored state of a report.
type Version struct {
	// N numbers the versions of a report from 1.
	N int `json:"n"`
	// Report is the parsed report as stored.
	Report *parser.Report `json:"report"`
	// Captures are the hex SHA-256s of the bodies it was parsed from.
	Captures []string `json:"captures"`
	// ParserVersion is parser.Version (or Report.ParserVersion) at the time.
	ParserVersion string `json:"parser_version"`
	// StoredAt is when this version was stored; RunID the run that did it.
	StoredAt time.Time `json:"stored_at"`
	RunID    string    `json:"run_id,omitempty"`
	// Digest is CellsDigest(Report): equal digests mean equal numbers.
	Digest string `json:"digest"`
}

// versionValue is the JSON stored in bucketVersions. The report itself is
// stored as zstd-compressed JSON (base64 in the envelope): its 200-odd
// cells repeat the same IDs, and compressing them takes a version from
// about 18 KB to about 3 KB.
type versionValue struct {
	V             int       `json:"v"`
	N             int       `json:"n"`
	Captures      []string  `json:"captures"`
	ParserVersion string    `json:"parser_version"`
	StoredAt      time.Time `json:"stored_at"`
	RunID         string    `json:"run_id,omitempty"`
	Digest        string    `json:"digest"`
	ReportZstd    []byte    `json:"report_zstd"`
}

func (db *DB) encodeVersion(v Version) ([]byte, error) {
	rj, err := json.Marshal(v.Report)
	if err != nil {
		return nil, err
	}
	return versionBytes(v, db.codec.compress(rj))
}

// versionBytes encodes v around its report, already marshalled and
// compressed (preparedReport.zstd).
func versionBytes(v Version, reportZstd []byte) ([]byte, error) {
	return json.Marshal(versionValue{V: SchemaVersion, N: v.N, Captures: v.Captures, ParserVersion: v.ParserVersion,
		StoredAt: v.StoredAt, RunID: v.RunID, Digest: v.Digest, ReportZstd: reportZstd})
}

func (db *DB) decodeVersion(b []byte) (Version, error) {
	var vv versionValue
	if err := json.Unmarshal(b, &vv); err != nil {
		return Version{}, err
	}
	rj, err := db.codec.decompress(vv.ReportZstd, int64(len(vv.ReportZstd))*8)
	if err != nil {
		return Version{}, fmt.Errorf("decompress report: %w", err)
	}
	v := Version{N: vv.N, Captures: vv.Captures, ParserVersion: vv.ParserVersion, StoredAt: vv.StoredAt,
		RunID: vv.RunID, Digest: vv.Digest, Report: new(parser.Report)}
	if err := json.Unmarshal(rj, v.Report); err != nil {
		return Version{}, fmt.Errorf("decode report: %w", err)
	}
	return v, nil
}

// reportValue is the JSON stored in bucketReports: a summary of the
// report and its latest version, so that listing needs no version reads.
type reportValue struct {
	V        int       `json:"v"`
	Agency   string    `json:"agency"`
	Year     int       `json:"year"`
	Versions int       `json:"versions"`
	Digest   string    `json:"digest"` // of the latest version
	Created  time.Time `json:"created"`
	Updated  time.Time `json:"updated"`
}

// PutResult says what PutReport did.
type PutResult struct {
	Agency string
	Year   int
	// Version is the report's latest version number after the call: the
	// new one when Changed, else the existing one whose cells are equal.
	Version int
	// Created is set when this is the report's first version.
	Created bool
	// Changed is set when a version was added (also for the first).
	Changed bool
}

// CellsDigest is the identity of a report's numbers: the hex SHA-256 of
// the sorted multiset of (table, row, column, value, merged_with) of its
// cells. Raw text is deliberately left out: a re-published page that
// prints "０" where it printed "0", or "—" where it printed "/", has the
// same numbers and is not a new version. A changed Value, an added or
// removed cell, or a cell newly merged into another row is.
func CellsDigest(r *parser.Report) string {
	lines := make([]string, 0, len(r.Cells))
	for _, c := range r.Cells {
		lines = append(lines, c.Table+"\x1f"+c.Row+"\x1f"+c.Column+"\x1f"+c.Value+"\x1f"+c.MergedWith)
	}
	slices.Sort(lines)
	h := sha256.New()
	for _, l := range lines {
		h.Write([]byte(l))
		h.Write([]byte{'\n'})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// PutReport stores r as a new version of report (r.Agency, r.Year) when
// its cells differ from the latest version's (see CellsDigest), recording
// the captures it was parsed from and the run. When they are equal it
// writes nothing and returns the existing version number with Changed
// false. It returns ErrInvalid when r has no agency or no year, or a
// capture is not a hex SHA-256. r is not modified.
//
// PutReport records no outcome; a crawl stores a report together with its
// capture and outcome with PutDocuments.
func (db *DB) PutReport(r *parser.Report, captures []string, runID string) (PutResult, error) {
	pr, err := db.prepareReport(r, captures)
	if err != nil {
		return pr.result(), err
	}
	var res PutResult
	err = db.update(func(tx *bolt.Tx) error {
		var err error
		res, err = pr.put(tx, runID, time.Now().UTC())
		return err
	})
	if err != nil {
		return pr.result(), fmt.Errorf("put report %s %d: %w", r.Agency, r.Year, err)
	}
	return res, nil
}

// preparedReport is a report ready to be written: checked, digested and
// compressed outside any transaction (the expensive part).
type preparedReport struct {
	r        *parser.Report
	rk       []byte
	captures []string
	digest   string
	pv       string // parser version
	zstd     []byte // the report's JSON, compressed
}

func (pr preparedReport) result() PutResult {
	if pr.r == nil {
		return PutResult{}
	}
	return PutResult{Agency: pr.r.Agency, Year: pr.r.Year}
}

// prepareReport checks r and its captures and encodes r.
func (db *DB) prepareReport(r *parser.Report, captures []string) (preparedReport, error) {
	if r == nil {
		return preparedReport{}, fmt.Errorf("put report: %w: nil report", ErrInvalid)
	}
	pr := preparedReport{r: r}
	if r.Year <= 0 {
		return pr, fmt.Errorf("put report %q: %w: no year", r.Agency, ErrInvalid)
	}
	rk, err := reportKey(r.Agency, r.Year)
	if err != nil {
		return pr, fmt.Errorf("put report: %w", err)
	}
	pr.rk = rk
	for _, c := range captures {
		if _, err := shaKey(c); err != nil {
			return pr, fmt.Errorf("put report %s %d: %w", r.Agency, r.Year, err)
		}
	}
	pr.captures = slices.Clone(captures)
	if pr.captures == nil {
		pr.captures = []string{}
	}
	pr.digest = CellsDigest(r)
	pr.pv = r.ParserVersion
	if pr.pv == "" {
		pr.pv = parser.Version
	}
	rj, err := json.Marshal(r)
	if err != nil {
		return pr, fmt.Errorf("put report %s %d: %w", r.Agency, r.Year, err)
	}
	pr.zstd = db.codec.compress(rj)
	return pr, nil
}

// put writes pr as a new version inside tx unless the latest version has
// the same digest.
func (pr preparedReport) put(tx *bolt.Tx, runID string, now time.Time) (PutResult, error) {
	r := pr.r
	res := pr.result()
	reps := tx.Bucket(bucketReports)
	var rv reportValue
	if v := reps.Get(pr.rk); v != nil {
		if err := json.Unmarshal(v, &rv); err != nil {
			return res, fmt.Errorf("report %s %d: decode: %w: %w", r.Agency, r.Year, ErrCorrupt, err)
		}
		if rv.Digest == pr.digest {
			res.Version = rv.Versions
			return res, nil
		}
	} else {
		rv = reportValue{V: SchemaVersion, Agency: r.Agency, Year: r.Year, Created: now}
		res.Created = true
	}
	rv.V = SchemaVersion
	rv.Versions++
	rv.Digest = pr.digest
	rv.Updated = now
	ver := Version{N: rv.Versions, Captures: pr.captures, ParserVersion: pr.pv, StoredAt: now, RunID: runID, Digest: pr.digest}
	vb, err := versionBytes(ver, pr.zstd)
	if err != nil {
		return res, err
	}
	rb, err := json.Marshal(rv)
	if err != nil {
		return res, err
	}
	if err := tx.Bucket(bucketVersions).Put(versionKey(pr.rk, ver.N), vb); err != nil {
		return res, err
	}
	if err := reps.Put(pr.rk, rb); err != nil {
		return res, err
	}
	res.Version = ver.N
	res.Changed = true
	return res, nil
}

// Report returns the report (agency, year) with all its versions, or
// ErrNotFound.
func (db *DB) Report(agency string, year int) (*ReportRecord, error) {
	rk, err := reportKey(agency, year)
	if err != nil {
		return nil, err
	}
	var rec *ReportRecord
	err = db.view(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketReports).Get(rk)
		if v == nil {
			return fmt.Errorf("report %s %d: %w", agency, year, ErrNotFound)
		}
		rec, err = db.loadReport(tx, rk, v, false)
		return err
	})
	if err != nil {
		return nil, err
	}
	return rec, nil
}

// Filter selects reports for ForEachReport. The zero Filter selects all.
type Filter struct {
	// Agency, when set, selects that agency exactly.
	Agency string
	// AgencyContains, when set, selects agencies whose name contains it.
	AgencyContains string
	// Year, when non-zero, selects that statistics year.
	Year int
	// LatestOnly loads only each report's latest version (Count still
	// says how many there are), which is what listing and export need.
	LatestOnly bool
}

func (f Filter) match(agency string, year int) bool {
	return (f.Agency == "" || agency == f.Agency) &&
		(f.AgencyContains == "" || strings.Contains(agency, f.AgencyContains)) &&
		(f.Year == 0 || year == f.Year)
}

// ForEachReport calls fn for every report selected by f, in key order
// (agency by UTF-8 byte order, then year), checking ctx between reports.
// It stops at and returns the first error from fn or ctx. The record is
// fn's to keep. fn must not write to db (it runs inside a read
// transaction).
func (db *DB) ForEachReport(ctx context.Context, f Filter, fn func(*ReportRecord) error) error {
	return db.view(func(tx *bolt.Tx) error {
		return eachReportKey(ctx, tx, f, func(k, v []byte) error {
			rec, err := db.loadReport(tx, k, v, f.LatestOnly)
			if err != nil {
				return err
			}
			return fn(rec)
		})
	})
}

// eachReportKey calls fn with the key and value of every report record that
// f selects, in key order, checking ctx between records. The slices are
// valid only inside tx.
func eachReportKey(ctx context.Context, tx *bolt.Tx, f Filter, fn func(k, v []byte) error) error {
	c := tx.Bucket(bucketReports).Cursor()
	var k, v []byte
	var prefix []byte
	if f.Agency != "" {
		prefix = append([]byte(f.Agency), 0)
		k, v = c.Seek(prefix)
	} else {
		k, v = c.First()
	}
	for ; k != nil; k, v = c.Next() {
		if prefix != nil && !bytes.HasPrefix(k, prefix) {
			break
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		agency, year, err := decodeReportKey(k)
		if err != nil {
			return err
		}
		if !f.match(agency, year) {
			continue
		}
		if err := fn(k, v); err != nil {
			return err
		}
	}
	return nil
}

// loadReport decodes the report at key rk with value v and its versions.
func (db *DB) loadReport(tx *bolt.Tx, rk, v []byte, latestOnly bool) (*ReportRecord, error) {
	var rv reportValue
	if err := json.Unmarshal(v, &rv); err != nil {
		return nil, fmt.Errorf("report %q: decode: %w: %w", rk, ErrCorrupt, err)
	}
	rec := &ReportRecord{Agency: rv.Agency, Year: rv.Year, Count: rv.Versions, Created: rv.Created, Updated: rv.Updated}
	vers := tx.Bucket(bucketVersions)
	first := 1
	if latestOnly {
		first = rv.Versions
	}
	for n := first; n <= rv.Versions; n++ {
		vb := vers.Get(versionKey(rk, n))
		if vb == nil {
			return nil, fmt.Errorf("report %s %d: version %d missing: %w", rv.Agency, rv.Year, n, ErrCorrupt)
		}
		ver, err := db.decodeVersion(vb)
		if err != nil {
			return nil, fmt.Errorf("report %s %d: version %d: %w: %w", rv.Agency, rv.Year, n, ErrCorrupt, err)
		}
		rec.Versions = append(rec.Versions, ver)
	}
	return rec, nil
}
