package store

import (
	"bytes"
	"cmp"
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

// ReportRecord is one report (an organ's statistics year) with its
// versions, oldest first. A new version is made only when the normalised
// cells change; see CellsDigest.
type ReportRecord struct {
	// AgencyID is the organ's agency_id ("a:…"), or, for a report whose
	// organ is not identified, its source's ("u:…"; Identified is then
	// false).
	AgencyID string
	// Agency is the organ's name as the latest version prints it (for an
	// unidentified report: the configured site name it fell back to).
	Agency string
	Year   int
	// Identified is false when the report could not be attributed to an
	// organ: its agency is only the configured site name (a fallback).
	Identified bool
	// Site is the configured site of the latest version's capture; URL
	// and Title are the latest version's source URL and title.
	Site  string
	URL   string
	Title string
	// Status is the latest version's checks: "ok", "fail" or "none"
	// (ReportStatus); Format its template format and Failed the number of
	// its failed checks.
	Status string
	Format parser.Format
	Failed int
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
// Version 1 files had only agency, year, versions, digest, created and
// updated (agency then being the key).
type reportValue struct {
	V          int           `json:"v"`
	AgencyID   string        `json:"agency_id,omitempty"`
	Agency     string        `json:"agency"`
	Year       int           `json:"year"`
	Identified bool          `json:"identified,omitempty"`
	Site       string        `json:"site,omitempty"`
	URL        string        `json:"url,omitempty"`
	Title      string        `json:"title,omitempty"`
	Status     string        `json:"status,omitempty"`
	Format     parser.Format `json:"format,omitempty"`
	Failed     int           `json:"failed,omitempty"`
	Versions   int           `json:"versions"`
	Digest     string        `json:"digest"` // of the latest version
	Created    time.Time     `json:"created"`
	Updated    time.Time     `json:"updated"`
}

// record returns the summary as a ReportRecord without versions.
func (rv *reportValue) record() *ReportRecord {
	return &ReportRecord{AgencyID: rv.AgencyID, Agency: rv.Agency, Year: rv.Year, Identified: rv.Identified, Site: rv.Site,
		URL: rv.URL, Title: rv.Title, Status: rv.Status, Format: rv.Format, Failed: rv.Failed, Count: rv.Versions,
		Created: rv.Created, Updated: rv.Updated}
}

// summarize sets the fields rv takes from its latest version's report and
// the capture it was parsed from. The title is the report's own when the
// parser read one, else the list link's text, else the page's title: an
// unidentified report is listed with it.
func (rv *reportValue) summarize(r *parser.Report, c Capture) {
	rv.Agency, rv.Title, rv.Status = r.Agency, cmp.Or(r.Title, c.LinkText, c.Title), ReportStatus(r)
	rv.Format, rv.Failed = r.Format, len(r.Failures)
	if r.SourceURL != "" {
		rv.URL = r.SourceURL
	}
	if c.Site != "" {
		rv.Site = c.Site
	}
}

// ReportStatus summarises a report's checks: "none" when it has no cells
// (tables not extractable), "fail" when an identity R1–R4 fails, else
// "ok".
func ReportStatus(r *parser.Report) string {
	switch {
	case r == nil || len(r.Cells) == 0:
		return "none"
	case len(r.Failures) > 0:
		return "fail"
	}
	return "ok"
}

// PutResult says what PutReport did.
type PutResult struct {
	// AgencyID is the agency_id the report was stored under; Identified
	// is false for an unidentified report ("u:…"). Why says how the
	// register decided, in words.
	AgencyID   string
	Identified bool
	Why        string
	Agency     string
	Year       int
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

// PutReport stores r as a new version of its report (its organ's year)
// when its cells differ from the latest version's (see CellsDigest),
// recording the captures it was parsed from and the run. The organ is the
// register's decision (keyFor: a registered organ, a new one, or, for a
// report whose organ is only the configured fallback, an unidentified
// source); the site is the first capture's. When the cells are equal it
// writes no version and returns the existing version number with Changed
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
		res, err = db.putReport(tx, &pr, runID, time.Now().UTC(), keyOptions{})
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
	captures []string
	digest   string
	pv       string // parser version
	zstd     []byte // the report's JSON, compressed
	// cap is the provenance of the capture the report was parsed from
	// (its site, URL, title and link text); putReport reads it from the
	// first capture when its site or URL is empty.
	cap Capture
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
	if r.Agency == "" && r.SourceURL == "" && len(captures) == 0 {
		return pr, fmt.Errorf("put report %d: %w: no agency and no source to key it by", r.Year, ErrInvalid)
	}
	if strings.IndexByte(r.Agency, 0) >= 0 {
		return pr, fmt.Errorf("put report %q: %w: agency contains NUL", r.Agency, ErrInvalid)
	}
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

// putReport writes pr as a new version inside tx unless the latest version
// of its report has the same digest.
func (db *DB) putReport(tx *bolt.Tx, pr *preparedReport, runID string, now time.Time, o keyOptions) (PutResult, error) {
	r := pr.r
	res := pr.result()
	if (pr.cap.Site == "" || pr.cap.URL == "") && len(pr.captures) > 0 {
		if c := firstCapture(tx, pr.captures[:1]); c.URL != "" {
			c.Site, c.URL = cmp.Or(pr.cap.Site, c.Site), cmp.Or(pr.cap.URL, c.URL)
			c.Title, c.LinkText = cmp.Or(pr.cap.Title, c.Title), cmp.Or(pr.cap.LinkText, c.LinkText)
			pr.cap = c
		}
	}
	url := cmp.Or(r.SourceURL, pr.cap.URL)
	sha := ""
	if len(pr.captures) > 0 {
		sha = pr.captures[0]
	}
	k, err := db.keyFor(tx, sighting{r: r, site: pr.cap.Site, url: url, sha: sha, digest: pr.digest}, now, o)
	if err != nil {
		return res, err
	}
	rk, err := reportKey(k.id, r.Year)
	if err != nil {
		return res, err
	}
	res.AgencyID, res.Identified, res.Why = k.id, k.identified, k.why
	reps := tx.Bucket(bucketReports)
	var rv reportValue
	var old *reportValue
	if v := reps.Get(rk); v != nil {
		if err := json.Unmarshal(v, &rv); err != nil {
			return res, fmt.Errorf("report %s %d: decode: %w: %w", k.id, r.Year, ErrCorrupt, err)
		}
		if rv.Digest == pr.digest {
			res.Version = rv.Versions
			return res, nil
		}
		cp := rv
		old = &cp
	} else {
		rv = reportValue{AgencyID: k.id, Year: r.Year, Created: now}
		res.Created = true
	}
	rv.V = SchemaVersion
	rv.AgencyID, rv.Identified = k.id, k.identified
	rv.URL = url
	rv.summarize(r, pr.cap)
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
	if err := tx.Bucket(bucketVersions).Put(versionKey(rk, ver.N), vb); err != nil {
		return res, err
	}
	if err := reps.Put(rk, rb); err != nil {
		return res, err
	}
	if err := indexReport(tx, rk, old, &rv); err != nil {
		return res, err
	}
	res.Version = ver.N
	res.Changed = true
	return res, nil
}

// Report returns the report of an organ's year with all its versions, or
// ErrNotFound. agency is an agency_id ("a:…", following a merge, or an
// unidentified report's "u:…"), or a printed name: the organs one of
// whose names equals it (SearchForm) and that have a report of the year;
// when several do, it returns an *AmbiguousError listing them.
func (db *DB) Report(agency string, year int) (*ReportRecord, error) {
	var rec *ReportRecord
	err := db.view(func(tx *bolt.Tx) error {
		rk, err := findReport(tx, agency, year)
		if err != nil {
			return err
		}
		rec, err = db.loadReport(tx, rk, tx.Bucket(bucketReports).Get(rk), false, false)
		return err
	})
	if err != nil {
		return nil, err
	}
	return rec, nil
}

// findReport returns the key of the report (agency, year); see Report.
func findReport(tx *bolt.Tx, agency string, year int) ([]byte, error) {
	if agency == "" {
		return nil, fmt.Errorf("report %d: %w: no agency", year, ErrInvalid)
	}
	reps := tx.Bucket(bucketReports)
	if IsAgencyID(agency) {
		id := agency
		if strings.HasPrefix(id, organPrefix) {
			if a, err := followAgency(tx, id); err != nil {
				return nil, err
			} else if a != nil {
				id = a.ID
			}
		}
		rk, err := reportKey(id, year)
		if err != nil {
			return nil, err
		}
		if reps.Get(rk) == nil {
			return nil, fmt.Errorf("report %s %d: %w", agency, year, ErrNotFound)
		}
		return rk, nil
	}
	var found [][]byte
	var ids []string
	for _, id := range indexIDs(tx.Bucket(bucketAgencyNames), SearchForm(agency)) {
		if strings.HasPrefix(id, organPrefix) {
			a, err := followAgency(tx, id)
			if err != nil {
				return nil, err
			}
			if a == nil {
				continue
			}
			id = a.ID
		}
		if slices.Contains(ids, id) {
			continue
		}
		if rk, _ := reportKey(id, year); reps.Get(rk) != nil {
			found, ids = append(found, rk), append(ids, id)
		}
	}
	switch len(found) {
	case 0:
		return nil, fmt.Errorf("report %s %d: %w", agency, year, ErrNotFound)
	case 1:
		return found[0], nil
	}
	return nil, &AmbiguousError{Name: agency, Year: year, IDs: ids}
}

// Filter selects reports for ForEachReport. The zero Filter selects all.
// The fields combine (and).
type Filter struct {
	// AgencyID, when set, selects that organ's reports (following a
	// merge), or that unidentified source's.
	AgencyID string
	// Agency, when set, selects the organs one of whose names is exactly
	// it (SearchForm), and the unidentified reports carrying it.
	Agency string
	// AgencyContains, when set, selects what LookupAgencies finds for it:
	// an agency_id, the organs of an organ code, names containing it.
	AgencyContains string
	// Year, when non-zero, selects that statistics year.
	Year int
	// Status, when set, selects the reports whose latest version's checks
	// are "ok", "fail" or "none" (ReportStatus), or the "unidentified"
	// reports (Identified false), or the "identified" ones.
	Status string
	// LatestOnly loads only each report's latest version (Count still
	// says how many there are), which is what listing and export need.
	LatestOnly bool
	// SummaryOnly loads no version at all: the record's summary fields
	// (AgencyID, Agency, Year, Identified, Site, URL, Title, Status,
	// Format, Failed, Count, Created, Updated) are read from the report's
	// own key, which is what a listing of many reports needs.
	SummaryOnly bool
}

// Statuses are the values Filter.Status accepts.
var Statuses = []string{"ok", "fail", "none", "unidentified", "identified"}

// ForEachReport calls fn for every report selected by f, in key order
// (agency_id, then year: an organ's years together, the unidentified
// reports last), checking ctx between reports. It answers from the
// indexes: an agency filter reads only the organs' reports, a year or
// status filter only the index of that year or status. It stops at and
// returns the first error from fn or ctx. The record is fn's to keep. fn
// must not write to db (it runs inside a read transaction).
func (db *DB) ForEachReport(ctx context.Context, f Filter, fn func(*ReportRecord) error) error {
	return db.view(func(tx *bolt.Tx) error {
		return eachReportKey(ctx, tx, f, func(k, v []byte) error {
			rec, err := db.loadReport(tx, k, v, f.LatestOnly, f.SummaryOnly)
			if err != nil {
				return err
			}
			return fn(rec)
		})
	})
}

// CountReports returns how many reports f selects, reading only keys and
// report summaries.
func (db *DB) CountReports(ctx context.Context, f Filter) (int, error) {
	n := 0
	err := db.view(func(tx *bolt.Tx) error {
		return eachReportKey(ctx, tx, f, func(k, v []byte) error { n++; return nil })
	})
	return n, err
}

// eachReportKey calls fn with the key and value of every report record that
// f selects, in key order, checking ctx between records. The slices are
// valid only inside tx.
func eachReportKey(ctx context.Context, tx *bolt.Tx, f Filter, fn func(k, v []byte) error) error {
	switch f.Status {
	case "", "ok", "fail", "none", "unidentified", "identified":
	default:
		return fmt.Errorf("filter: %w: status %q (want one of %s)", ErrInvalid, f.Status, strings.Join(Statuses, ", "))
	}
	reps := tx.Bucket(bucketReports)
	keep := func(k, v []byte) (bool, error) {
		if err := ctx.Err(); err != nil {
			return false, err
		}
		id, year, err := decodeReportKey(k)
		if err != nil {
			return false, err
		}
		if f.Year != 0 && year != f.Year {
			return false, nil
		}
		switch f.Status {
		case "unidentified", "identified":
			if IsUnidentifiedID(id) != (f.Status == "unidentified") {
				return false, nil
			}
		case "ok", "fail", "none":
			var rv struct {
				Status string `json:"status"`
			}
			if err := json.Unmarshal(v, &rv); err != nil {
				return false, fmt.Errorf("report %q: decode: %w: %w", k, ErrCorrupt, err)
			}
			if rv.Status != f.Status {
				return false, nil
			}
		}
		return true, nil
	}
	visit := func(k, v []byte) error {
		ok, err := keep(k, v)
		if err != nil || !ok {
			return err
		}
		return fn(k, v)
	}
	// An agency filter: the organs' own reports, by key prefix.
	if f.AgencyID != "" || f.Agency != "" || f.AgencyContains != "" {
		ids, err := filterIDs(tx, f)
		if err != nil {
			return err
		}
		for _, id := range ids {
			if f.Year != 0 {
				rk, _ := reportKey(id, f.Year)
				if v := reps.Get(rk); v != nil {
					if err := visit(rk, v); err != nil {
						return err
					}
				}
				continue
			}
			prefix := append([]byte(id), 0)
			c := reps.Cursor()
			for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
				if err := visit(k, v); err != nil {
					return err
				}
			}
		}
		return nil
	}
	switch {
	case f.Status == "ok" || f.Status == "fail" || f.Status == "none":
		prefix := append([]byte(f.Status), 0)
		c := tx.Bucket(bucketReportStatus).Cursor()
		for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
			rk := k[len(prefix):]
			v := reps.Get(rk)
			if v == nil {
				continue // checked by Check
			}
			if err := visit(rk, v); err != nil {
				return err
			}
		}
		return nil
	case f.Year != 0:
		prefix := yearKey(f.Year, "")
		if f.Status == "unidentified" {
			prefix = yearKey(f.Year, unidentifiedPrefix)
		}
		c := tx.Bucket(bucketReportYears).Cursor()
		for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
			rk, err := reportKey(string(k[4:]), f.Year)
			if err != nil {
				return err
			}
			v := reps.Get(rk)
			if v == nil {
				continue
			}
			if err := visit(rk, v); err != nil {
				return err
			}
		}
		return nil
	}
	c := reps.Cursor()
	var k, v []byte
	switch f.Status {
	case "unidentified":
		k, v = c.Seek([]byte(unidentifiedPrefix))
	default:
		k, v = c.First()
	}
	for ; k != nil; k, v = c.Next() {
		if f.Status == "identified" && bytes.HasPrefix(k, []byte(unidentifiedPrefix)) {
			break
		}
		if err := visit(k, v); err != nil {
			return err
		}
	}
	return nil
}

// filterIDs returns the agency_ids an agency filter selects, in ID order.
func filterIDs(tx *bolt.Tx, f Filter) ([]string, error) {
	var sets [][]string
	if f.AgencyID != "" {
		id := f.AgencyID
		if strings.HasPrefix(id, organPrefix) {
			a, err := followAgency(tx, id)
			if err != nil {
				return nil, err
			}
			if a != nil {
				id = a.ID
			}
		}
		sets = append(sets, []string{id})
	}
	if f.Agency != "" {
		var ids []string
		for _, id := range indexIDs(tx.Bucket(bucketAgencyNames), SearchForm(f.Agency)) {
			if strings.HasPrefix(id, organPrefix) {
				a, err := followAgency(tx, id)
				if err != nil {
					return nil, err
				}
				if a == nil {
					continue
				}
				id = a.ID
			}
			if !slices.Contains(ids, id) {
				ids = append(ids, id)
			}
		}
		slices.Sort(ids)
		sets = append(sets, ids)
	}
	if f.AgencyContains != "" {
		ids, _, err := lookupAgencies(tx, f.AgencyContains)
		if err != nil {
			return nil, err
		}
		sets = append(sets, ids)
	}
	out := sets[0]
	for _, s := range sets[1:] {
		out = slices.DeleteFunc(slices.Clone(out), func(id string) bool { return !slices.Contains(s, id) })
	}
	return out, nil
}

// loadReport decodes the report at key rk with value v and its versions.
func (db *DB) loadReport(tx *bolt.Tx, rk, v []byte, latestOnly, summaryOnly bool) (*ReportRecord, error) {
	var rv reportValue
	if err := json.Unmarshal(v, &rv); err != nil {
		return nil, fmt.Errorf("report %q: decode: %w: %w", rk, ErrCorrupt, err)
	}
	rec := rv.record()
	if summaryOnly {
		return rec, nil
	}
	vers := tx.Bucket(bucketVersions)
	first := 1
	if latestOnly {
		first = rv.Versions
	}
	for n := first; n <= rv.Versions; n++ {
		vb := vers.Get(versionKey(rk, n))
		if vb == nil {
			return nil, fmt.Errorf("report %s %d: version %d missing: %w", rv.AgencyID, rv.Year, n, ErrCorrupt)
		}
		ver, err := db.decodeVersion(vb)
		if err != nil {
			return nil, fmt.Errorf("report %s %d: version %d: %w: %w", rv.AgencyID, rv.Year, n, ErrCorrupt, err)
		}
		rec.Versions = append(rec.Versions, ver)
	}
	return rec, nil
}
