package store

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"nianbao/parser"
)

// Reidentified is the identity a newer parser reads for one stored
// version: the version (its report's AgencyID and Year, its number N) and
// its body parsed again.
type Reidentified struct {
	AgencyID string
	Year     int
	N        int
	// Report is the version's body parsed again. Only its identity is
	// used: Agency, AgencySource, Year, YearSource, OrganCode and Title.
	Report *parser.Report
}

// ReidentifyResult says what Reidentify did.
type ReidentifyResult struct {
	// Updated counts versions whose stored identity changed.
	Updated int
	// Moved counts versions that now belong to another report (another
	// organ, another year, or an unidentified source).
	Moved int
	// Organs counts the organs registered by this call.
	Organs int
}

// reidentifyBatch is how many versions one Reidentify transaction reads.
const reidentifyBatch = 1000

// Reidentify re-derives the identity of stored versions: each item's
// identity fields (agency and its source, year and its source, organ code,
// title) replace the stored ones, the register decides the version's
// organ again (keyFor; an unidentified report's URL is not taken as
// evidence, and a report is never folded by the page's earlier bodies),
// and the versions whose organ or year changed move to their report
// (Regroup: ordered by the time stored, equal numbers folded, outcomes
// rewritten). An unidentified version whose URL gave an identified version
// of the same year joins that organ's report. The organs that lost or
// gained versions have their names, codes and sites read again from their
// reports. The version's numbers (cells) are never touched: reparse stores
// new numbers as new versions. Items naming no stored version are skipped.
func (db *DB) Reidentify(ctx context.Context, items []Reidentified) (ReidentifyResult, error) {
	var res ReidentifyResult
	if db.readOnly {
		return res, ErrReadOnly
	}
	now := time.Now().UTC()
	type target struct {
		from       []byte
		n          int
		to         []byte
		url        string
		year       int
		identified bool
	}
	var targets []target
	touched := map[string]bool{}
	organs := map[string]bool{}
	before := 0
	_ = db.view(func(tx *bolt.Tx) error { before = tx.Bucket(bucketAgencies).Stats().KeyN; return nil })
	for lo := 0; lo < len(items); lo += reidentifyBatch {
		batch := items[lo:min(len(items), lo+reidentifyBatch)]
		err := db.update(func(tx *bolt.Tx) error {
			vers := tx.Bucket(bucketVersions)
			for _, it := range batch {
				if err := ctx.Err(); err != nil {
					return err
				}
				if it.Report == nil {
					continue
				}
				rk, err := reportKey(it.AgencyID, it.Year)
				if err != nil {
					return err
				}
				vb := vers.Get(versionKey(rk, it.N))
				if vb == nil {
					continue
				}
				var vv versionValue
				if err := json.Unmarshal(vb, &vv); err != nil {
					return fmt.Errorf("report %s %d version %d: decode: %w: %w", it.AgencyID, it.Year, it.N, ErrCorrupt, err)
				}
				r, err := db.versionReport(vv)
				if err != nil {
					return fmt.Errorf("report %s %d version %d: %w", it.AgencyID, it.Year, it.N, err)
				}
				nr := it.Report
				if r.Agency != nr.Agency || r.AgencySource != nr.AgencySource || r.Year != nr.Year || r.YearSource != nr.YearSource ||
					r.OrganCode != nr.OrganCode || r.Title != nr.Title {
					r.Agency, r.AgencySource, r.Year, r.YearSource = nr.Agency, nr.AgencySource, nr.Year, nr.YearSource
					r.OrganCode, r.Title = nr.OrganCode, nr.Title
					rj, err := json.Marshal(r)
					if err != nil {
						return err
					}
					vv.ReportZstd = db.codec.compress(rj)
					vv.V = SchemaVersion
					b, err := json.Marshal(vv)
					if err != nil {
						return err
					}
					if err := vers.Put(versionKey(rk, it.N), b); err != nil {
						return err
					}
					res.Updated++
				}
				if r.Year <= 0 {
					r.Year = it.Year
				}
				site, url := captureSite(tx, vv.Captures)
				url = firstOf(r.SourceURL, url)
				k, err := db.keyFor(tx, sighting{r: r, site: site, url: url, digest: vv.Digest}, now, keyOptions{noFold: true, noURLLink: true})
				if err != nil {
					return err
				}
				to, err := reportKey(k.id, r.Year)
				if err != nil {
					return err
				}
				targets = append(targets, target{from: rk, n: it.N, to: to, url: url, year: r.Year, identified: !IsUnidentifiedID(k.id)})
				touched[string(rk)] = true
				for _, id := range []string{it.AgencyID, k.id} {
					if strings.HasPrefix(id, organPrefix) {
						organs[id] = true
					}
				}
			}
			return nil
		})
		if err != nil {
			return res, fmt.Errorf("reidentify: %w", err)
		}
	}
	// An unidentified version joins the organ its page gave an identified
	// version to, for the same year.
	byPage := map[string][]byte{}
	for _, t := range targets {
		if t.identified && t.url != "" {
			byPage[t.url+"\x00"+fmt.Sprint(t.year)] = t.to
		}
	}
	var moves []move
	for _, t := range targets {
		if !t.identified {
			if to, ok := byPage[t.url+"\x00"+fmt.Sprint(t.year)]; ok {
				t.to = to
			}
		}
		if !bytes.Equal(t.from, t.to) {
			moves = append(moves, move{from: t.from, n: t.n, to: t.to})
			res.Moved++
		}
	}
	sortMoves(moves)
	groups := components(moves)
	moved := map[string]bool{}
	for _, m := range moves {
		moved[string(m.from)], moved[string(m.to)] = true, true
	}
	for i := 0; i < len(groups); {
		err := db.update(func(tx *bolt.Tx) error {
			for n := 0; n < migrateBatch && i < len(groups); n, i = n+1, i+1 {
				if err := db.regroup(tx, groups[i], now); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return res, fmt.Errorf("reidentify: %w", err)
		}
	}
	// Summaries of the reports whose versions changed in place, and the
	// organs' names.
	keys := make([]string, 0, len(touched))
	for k := range touched {
		if !moved[k] {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	ids := make([]string, 0, len(organs))
	for id := range organs {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	err := db.update(func(tx *bolt.Tx) error {
		for _, k := range keys {
			if err := db.resummarize(tx, []byte(k)); err != nil {
				return err
			}
		}
		for _, id := range ids {
			if err := db.refreshAgency(tx, id, now); err != nil {
				return err
			}
		}
		res.Organs = tx.Bucket(bucketAgencies).Stats().KeyN - before
		return nil
	})
	if err != nil {
		return res, fmt.Errorf("reidentify: %w", err)
	}
	return res, nil
}

// resummarize rewrites the summary of the report at rk from its latest
// version, and its index entries.
func (db *DB) resummarize(tx *bolt.Tx, rk []byte) error {
	reps := tx.Bucket(bucketReports)
	v := reps.Get(rk)
	if v == nil {
		return nil
	}
	var rv reportValue
	if err := json.Unmarshal(v, &rv); err != nil {
		return fmt.Errorf("report %s: decode: %w: %w", keyString(rk), ErrCorrupt, err)
	}
	old := rv
	vb := tx.Bucket(bucketVersions).Get(versionKey(rk, rv.Versions))
	if vb == nil {
		return fmt.Errorf("report %s: version %d missing: %w", keyString(rk), rv.Versions, ErrCorrupt)
	}
	var vv versionValue
	if err := json.Unmarshal(vb, &vv); err != nil {
		return fmt.Errorf("report %s: decode: %w: %w", keyString(rk), ErrCorrupt, err)
	}
	r, err := db.versionReport(vv)
	if err != nil {
		return err
	}
	c := firstCapture(tx, vv.Captures)
	rv.V = SchemaVersion
	rv.URL = firstOf(c.URL, rv.URL)
	rv.summarize(r, c)
	b, err := json.Marshal(rv)
	if err != nil {
		return err
	}
	if err := reps.Put(rk, b); err != nil {
		return err
	}
	return indexReport(tx, rk, &old, &rv)
}

// refreshAgency reads the organ's names, codes and sites again from every
// version of its reports (a version whose organ is only the fallback, and
// that is keyed here by its organ code, adds its code and site, not its
// name). Its rule, links, merges and creation time stay.
func (db *DB) refreshAgency(tx *bolt.Tx, id string, now time.Time) error {
	a, err := getAgency(tx, id)
	if err != nil || a == nil || a.MergedInto != "" {
		return err
	}
	old := *a
	a.Names, a.Codes, a.Sites = nil, nil, nil
	prefix := append([]byte(id), 0)
	c := tx.Bucket(bucketReports).Cursor()
	vers := tx.Bucket(bucketVersions)
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		var rv reportValue
		if err := json.Unmarshal(v, &rv); err != nil {
			return fmt.Errorf("report %s: decode: %w: %w", keyString(k), ErrCorrupt, err)
		}
		for n := 1; n <= rv.Versions; n++ {
			vb := vers.Get(versionKey(k, n))
			if vb == nil {
				continue
			}
			var vv versionValue
			if err := json.Unmarshal(vb, &vv); err != nil {
				return fmt.Errorf("report %s: decode: %w: %w", keyString(k), ErrCorrupt, err)
			}
			r, err := db.versionReport(vv)
			if err != nil {
				return err
			}
			site, _ := captureSite(tx, vv.Captures)
			name := r.Agency
			if !r.AgencyIdentified() {
				name = ""
			}
			a.see(name, rv.Year, r.AgencySource, r.OrganCode, site)
		}
	}
	if len(a.Names) == 0 {
		a.Names = old.Names // no report left: keep what it was known by
	}
	rules := db.agencyRules()
	a.canonicalize(rules.Rule(a.Rule))
	a.Updated = now
	return putAgency(tx, a, &old, rules)
}

// VersionCaptures calls fn for every stored version, in key order
// (agency_id, year, version), with the captures it was parsed from,
// without decoding the reports; ctx is checked between versions. fn must
// not write to db.
func (db *DB) VersionCaptures(ctx context.Context, fn func(agencyID string, year, n int, captures []string) error) error {
	return db.view(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketVersions).Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			if err := ctx.Err(); err != nil {
				return err
			}
			if len(k) < 4 {
				return fmt.Errorf("version key %q: %w", k, ErrCorrupt)
			}
			id, year, err := decodeReportKey(k[:len(k)-4])
			if err != nil {
				return err
			}
			var vv struct {
				N        int      `json:"n"`
				Captures []string `json:"captures"`
			}
			if err := json.Unmarshal(v, &vv); err != nil {
				return fmt.Errorf("report %s %d version: decode: %w: %w", id, year, ErrCorrupt, err)
			}
			if err := fn(id, year, vv.N, vv.Captures); err != nil {
				return err
			}
		}
		return nil
	})
}
