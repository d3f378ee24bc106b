package store

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"nianbao/parser"
)

// Regrouping moves stored versions between reports without changing them:
// when the register learns that two reports are one organ's year (a
// configuration rule, an unidentified page now identified), that a stored
// report stacked several organs' reports (an archive written before the
// register), or when reparse re-derives a report's identity. The moved
// versions keep their numbers' history, capture lists, times and runs.

// move is one regrouping instruction: version n (or, with all, every
// version) of the report at from goes to the report at to.
type move struct {
	from []byte
	n    int
	all  bool
	to   []byte
}

// movedVersion is a stored version on its way to its report.
type movedVersion struct {
	origin string // the report key it came from
	vv     versionValue
}

// verRef names a version of a report: its key and number.
type verRef struct {
	key string
	n   int
}

// regroup applies moves inside tx. Every report a move takes versions from
// or brings versions to is rewritten: its versions, from all sources, are
// ordered by the time they were stored; a version whose numbers (digest)
// equal the one before it is folded into it, its captures joining that
// version's; the versions are numbered from 1 again; the report's summary
// and index entries are rewritten, and a report left without versions is
// deleted. Every outcome that named a moved or renumbered version names
// its new place (through bucketOutcomeReports).
func (db *DB) regroup(tx *bolt.Tx, moves []move, now time.Time) error {
	reps, vers := tx.Bucket(bucketReports), tx.Bucket(bucketVersions)
	all := map[string]string{}    // origin key → destination of all its versions
	one := map[verRef]string{}    // (origin, n) → destination
	affected := map[string]bool{} // report keys read or written
	for _, m := range moves {
		if bytes.Equal(m.from, m.to) {
			continue
		}
		if m.all {
			all[string(m.from)] = string(m.to)
		} else {
			one[verRef{string(m.from), m.n}] = string(m.to)
		}
		affected[string(m.from)], affected[string(m.to)] = true, true
	}
	if len(affected) == 0 {
		return nil
	}
	keys := make([]string, 0, len(affected))
	for k := range affected {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	olds := map[string]*reportValue{}
	final := map[string][]movedVersion{}
	for _, k := range keys {
		v := reps.Get([]byte(k))
		if v == nil {
			continue
		}
		var rv reportValue
		if err := json.Unmarshal(v, &rv); err != nil {
			return fmt.Errorf("report %q: decode: %w: %w", k, ErrCorrupt, err)
		}
		olds[k] = &rv
		for n := 1; n <= rv.Versions; n++ {
			vb := vers.Get(versionKey([]byte(k), n))
			if vb == nil {
				return fmt.Errorf("report %q: version %d missing: %w", k, n, ErrCorrupt)
			}
			var vv versionValue
			if err := json.Unmarshal(vb, &vv); err != nil {
				return fmt.Errorf("report %q version %d: decode: %w: %w", k, n, ErrCorrupt, err)
			}
			vv.N = n
			to := k
			if d, ok := one[verRef{k, n}]; ok {
				to = d
			} else if d, ok := all[k]; ok {
				to = d
			}
			final[to] = append(final[to], movedVersion{origin: k, vv: vv})
		}
	}
	// The outcomes naming the affected reports.
	type outRef struct {
		origin string
		sum    []byte
		url    string
	}
	var outs []outRef
	ix := tx.Bucket(bucketOutcomeReports)
	for _, k := range keys {
		var dead [][]byte
		c := ix.Cursor()
		for ik, _ := c.Seek([]byte(k)); ik != nil && bytes.HasPrefix(ik, []byte(k)); ik, _ = c.Next() {
			rk, sum, url, err := splitOutcomeReportKey(ik)
			if err != nil {
				return err
			}
			if string(rk) != k {
				continue // a longer key sharing the prefix
			}
			outs = append(outs, outRef{origin: k, sum: bytes.Clone(sum), url: url})
			dead = append(dead, bytes.Clone(ik))
		}
		for _, d := range dead {
			if err := ix.Delete(d); err != nil {
				return err
			}
		}
	}
	// Take the affected reports down.
	for _, k := range keys {
		rv := olds[k]
		if rv == nil {
			continue
		}
		for n := 1; n <= rv.Versions; n++ {
			if err := vers.Delete(versionKey([]byte(k), n)); err != nil {
				return err
			}
		}
		if err := reps.Delete([]byte(k)); err != nil {
			return err
		}
	}
	for _, k := range keys {
		if rv := olds[k]; rv != nil {
			if err := unindexReport(tx, []byte(k), rv); err != nil {
				return err
			}
		}
	}
	// Put them up again, regrouped.
	renum := map[verRef]verRef{}
	targets := make([]string, 0, len(final))
	for k := range final {
		targets = append(targets, k)
	}
	slices.Sort(targets)
	for _, fk := range targets {
		items := final[fk]
		slices.SortStableFunc(items, func(a, b movedVersion) int { return a.vv.StoredAt.Compare(b.vv.StoredAt) })
		var out []movedVersion
		for _, it := range items {
			if n := len(out); n > 0 && out[n-1].vv.Digest == it.vv.Digest {
				last := &out[n-1]
				for _, c := range it.vv.Captures {
					if !slices.Contains(last.vv.Captures, c) {
						last.vv.Captures = append(last.vv.Captures, c)
					}
				}
				renum[verRef{it.origin, it.vv.N}] = verRef{fk, n}
				continue
			}
			out = append(out, it)
			renum[verRef{it.origin, it.vv.N}] = verRef{fk, len(out)}
		}
		for i := range out {
			vv := out[i].vv
			vv.N, vv.V = i+1, SchemaVersion
			b, err := json.Marshal(vv)
			if err != nil {
				return err
			}
			if err := vers.Put(versionKey([]byte(fk), i+1), b); err != nil {
				return err
			}
		}
		rv, err := db.summaryOf(tx, []byte(fk), out)
		if err != nil {
			return err
		}
		b, err := json.Marshal(rv)
		if err != nil {
			return err
		}
		if err := reps.Put([]byte(fk), b); err != nil {
			return err
		}
		if err := indexReport(tx, []byte(fk), nil, rv); err != nil {
			return err
		}
	}
	// Point the outcomes at the versions' new places.
	ob := tx.Bucket(bucketOutcomes)
	for _, r := range outs {
		ov := ob.Get(outcomeKey(r.sum, r.url))
		if ov == nil {
			continue
		}
		var o Outcome
		if err := decodeOutcome(ov, &o); err != nil {
			return err
		}
		if to, ok := renum[verRef{r.origin, o.Version}]; ok {
			id, year, err := decodeReportKey([]byte(to.key))
			if err != nil {
				return err
			}
			o.AgencyID, o.Year, o.Version = id, year, to.n
		} else if id, year, err := decodeReportKey([]byte(r.origin)); err == nil && o.AgencyID == "" {
			o.AgencyID, o.Year = id, year // a version that did not exist: Check reports it
		}
		if err := putOutcome(tx, r.sum, o); err != nil {
			return err
		}
	}
	return nil
}

// summaryOf builds the summary of the report at rk from its versions (in
// order; not empty): the latest one's report, its capture's site.
func (db *DB) summaryOf(tx *bolt.Tx, rk []byte, out []movedVersion) (*reportValue, error) {
	id, year, err := decodeReportKey(rk)
	if err != nil {
		return nil, err
	}
	latest := out[len(out)-1].vv
	r, err := db.versionReport(latest)
	if err != nil {
		return nil, fmt.Errorf("report %s %d: %w", id, year, err)
	}
	rv := &reportValue{V: SchemaVersion, AgencyID: id, Year: year, Identified: !IsUnidentifiedID(id), Versions: len(out),
		Digest: latest.Digest, Created: out[0].vv.StoredAt, Updated: latest.StoredAt}
	c := firstCapture(tx, latest.Captures)
	rv.URL = c.URL
	rv.summarize(r, c)
	return rv, nil
}

// versionReport decodes the report of a stored version.
func (db *DB) versionReport(vv versionValue) (*parser.Report, error) {
	rj, err := db.codec.decompress(vv.ReportZstd, int64(len(vv.ReportZstd))*8)
	if err != nil {
		return nil, fmt.Errorf("decompress report: %w: %w", ErrCorrupt, err)
	}
	r := new(parser.Report)
	if err := json.Unmarshal(rj, r); err != nil {
		return nil, fmt.Errorf("decode report: %w: %w", ErrCorrupt, err)
	}
	return r, nil
}

// captureSite returns the site and URL of the first of captures that is
// stored.
func captureSite(tx *bolt.Tx, captures []string) (site, url string) {
	c := firstCapture(tx, captures)
	return c.Site, c.URL
}

// firstCapture returns the provenance of the first of captures that is
// stored (zero when none is).
func firstCapture(tx *bolt.Tx, captures []string) Capture {
	for _, c := range captures {
		key, err := shaKey(c)
		if err != nil {
			continue
		}
		if v := tx.Bucket(bucketCaptures).Get(key); v != nil {
			var cv captureValue
			if json.Unmarshal(v, &cv) == nil {
				return cv.Capture
			}
		}
	}
	return Capture{}
}

// components splits moves into independent groups (no report key shared
// between groups), so that a long list can be applied a group at a time.
func components(moves []move) [][]move {
	parent := map[string]string{}
	var find func(string) string
	find = func(k string) string {
		p, ok := parent[k]
		if !ok || p == k {
			parent[k] = k
			return k
		}
		r := find(p)
		parent[k] = r
		return r
	}
	for _, m := range moves {
		a, b := find(string(m.from)), find(string(m.to))
		if a != b {
			parent[a] = b
		}
	}
	groups := map[string][]move{}
	var order []string
	for _, m := range moves {
		r := find(string(m.from))
		if _, ok := groups[r]; !ok {
			order = append(order, r)
		}
		groups[r] = append(groups[r], m)
	}
	out := make([][]move, 0, len(order))
	for _, r := range order {
		out = append(out, groups[r])
	}
	return out
}

// keyString renders a report key for messages: "a:…/2023".
func keyString(k []byte) string {
	i := bytes.IndexByte(k, 0)
	if i < 0 || len(k) != i+5 {
		return fmt.Sprintf("%q", k)
	}
	return string(k[:i]) + "/" + fmt.Sprint(binary.BigEndian.Uint32(k[i+1:]))
}

// sortMoves orders moves by source key, so that batches touch the file in
// key order.
func sortMoves(moves []move) {
	slices.SortStableFunc(moves, func(a, b move) int {
		return cmp.Or(bytes.Compare(a.from, b.from), cmp.Compare(a.n, b.n), strings.Compare(string(a.to), string(b.to)))
	})
}
