package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	bolt "go.etcd.io/bbolt"
)

// The report indexes (by year, by status, the names of unidentified
// reports) and the index of outcomes by report are written in the same
// transaction as the report or outcome they index, by the functions
// below. Check verifies them and RebuildIndexes rewrites them.

// indexReport updates the indexes of the report at rk from old (nil for a
// new report) to rv.
func indexReport(tx *bolt.Tx, rk []byte, old, rv *reportValue) error {
	if old != nil {
		if err := unindexChanged(tx, rk, old, rv); err != nil {
			return err
		}
	}
	id, year, err := decodeReportKey(rk)
	if err != nil {
		return err
	}
	if err := tx.Bucket(bucketReportYears).Put(yearKey(year, id), nil); err != nil {
		return err
	}
	if rv.Status != "" {
		if err := tx.Bucket(bucketReportStatus).Put(statusKey(rv.Status, rk), nil); err != nil {
			return err
		}
	}
	if IsUnidentifiedID(id) && rv.Agency != "" {
		if err := tx.Bucket(bucketAgencyNames).Put(indexKey(SearchForm(rv.Agency), id), nil); err != nil {
			return err
		}
	}
	return nil
}

// unindexChanged removes the index entries of old that rv no longer has.
func unindexChanged(tx *bolt.Tx, rk []byte, old, rv *reportValue) error {
	if old.Status != "" && old.Status != rv.Status {
		if err := tx.Bucket(bucketReportStatus).Delete(statusKey(old.Status, rk)); err != nil {
			return err
		}
	}
	id, _, err := decodeReportKey(rk)
	if err != nil {
		return err
	}
	if IsUnidentifiedID(id) && old.Agency != "" && SearchForm(old.Agency) != SearchForm(rv.Agency) {
		return tx.Bucket(bucketAgencyNames).Delete(indexKey(SearchForm(old.Agency), id))
	}
	return nil
}

// unindexReport removes every index entry of the report at rk, whose
// summary is rv. Call it after the report itself is deleted.
func unindexReport(tx *bolt.Tx, rk []byte, rv *reportValue) error {
	id, year, err := decodeReportKey(rk)
	if err != nil {
		return err
	}
	if err := tx.Bucket(bucketReportYears).Delete(yearKey(year, id)); err != nil {
		return err
	}
	if rv.Status != "" {
		if err := tx.Bucket(bucketReportStatus).Delete(statusKey(rv.Status, rk)); err != nil {
			return err
		}
	}
	if IsUnidentifiedID(id) && rv.Agency != "" && len(reportYears(tx, id)) == 0 {
		// The name stays while another year of the same source has it.
		return tx.Bucket(bucketAgencyNames).Delete(indexKey(SearchForm(rv.Agency), id))
	}
	return nil
}

// putOutcome writes outcome o of the body with raw hash sum at o.URL and
// keeps the index of outcomes by report in step: the entry of the outcome
// it replaces goes, the new one's comes.
func putOutcome(tx *bolt.Tx, sum []byte, o Outcome) error {
	ob, ix := tx.Bucket(bucketOutcomes), tx.Bucket(bucketOutcomeReports)
	key := outcomeKey(sum, o.URL)
	if old := ob.Get(key); old != nil {
		var prev Outcome
		if err := decodeOutcome(old, &prev); err == nil && prev.Result == ResultReport && prev.AgencyID != "" {
			if rk, err := reportKey(prev.AgencyID, prev.Year); err == nil {
				if err := ix.Delete(outcomeReportKey(rk, sum, o.URL)); err != nil {
					return err
				}
			}
		}
	}
	v, err := json.Marshal(outcomeValue{V: SchemaVersion, Outcome: o})
	if err != nil {
		return err
	}
	if err := ob.Put(key, v); err != nil {
		return fmt.Errorf("put outcome %s (%s): %w", o.URL, o.SHA256, err)
	}
	if o.Result == ResultReport && o.AgencyID != "" {
		rk, err := reportKey(o.AgencyID, o.Year)
		if err != nil {
			return err
		}
		return ix.Put(outcomeReportKey(rk, sum, o.URL), nil)
	}
	return nil
}

// checkIndexes compares the indexes with the reports (counts: report key →
// versions), the register and the outcomes.
func checkIndexes(ctx context.Context, tx *bolt.Tx, counts map[string]int) ([]Problem, error) {
	var probs []Problem
	bad := func(format string, args ...any) {
		probs = append(probs, Problem{Kind: ProblemIndex, Detail: fmt.Sprintf(format, args...)})
	}
	reps := tx.Bucket(bucketReports)
	years, status := tx.Bucket(bucketReportYears), tx.Bucket(bucketReportStatus)
	keys := make([]string, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	statuses := map[string]string{}
	for _, k := range keys {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		id, year, err := decodeReportKey([]byte(k))
		if err != nil {
			return nil, err
		}
		var rv reportValue
		if err := json.Unmarshal(reps.Get([]byte(k)), &rv); err != nil {
			return nil, fmt.Errorf("report %s: decode: %w: %w", keyString([]byte(k)), ErrCorrupt, err)
		}
		statuses[k] = rv.Status
		if years.Get(yearKey(year, id)) == nil {
			bad("report %s has no entry in the index by year", keyString([]byte(k)))
		}
		if rv.Status == "" || status.Get(statusKey(rv.Status, []byte(k))) == nil {
			bad("report %s has no entry in the index by status (%q)", keyString([]byte(k)), rv.Status)
		}
		if rv.AgencyID != id {
			bad("report %s says agency_id %q", keyString([]byte(k)), rv.AgencyID)
		}
		switch {
		case strings.HasPrefix(id, organPrefix):
			a, err := getAgency(tx, id)
			if err != nil {
				return nil, err
			}
			if a == nil || a.MergedInto != "" {
				bad("report %s is keyed by organ %s, which the register does not hold (or merged into another)", keyString([]byte(k)), id)
			}
		case !strings.HasPrefix(id, unidentifiedPrefix):
			bad("report %s is not keyed by an agency_id", keyString([]byte(k)))
		}
	}
	c := years.Cursor()
	for k, _ := c.First(); k != nil; k, _ = c.Next() {
		if len(k) < 5 {
			bad("index by year: malformed key %q", k)
			continue
		}
		rk, _ := reportKey(string(k[4:]), int(binary.BigEndian.Uint32(k)))
		if _, ok := counts[string(rk)]; !ok {
			bad("index by year names report %s, which does not exist", keyString(rk))
		}
	}
	c = status.Cursor()
	for k, _ := c.First(); k != nil; k, _ = c.Next() {
		i := bytes.IndexByte(k, 0)
		if i < 0 {
			bad("index by status: malformed key %q", k)
			continue
		}
		st, rk := string(k[:i]), k[i+1:]
		if got, ok := statuses[string(rk)]; !ok || got != st {
			bad("index by status puts report %s under %q (it is %q)", keyString(rk), st, got)
		}
	}
	for _, b := range [][]byte{bucketAgencyStems, bucketAgencyNames, bucketAgencyCodes} {
		c := tx.Bucket(b).Cursor()
		for k, _ := c.First(); k != nil; k, _ = c.Next() {
			i := bytes.IndexByte(k, 0)
			if i < 0 {
				bad("%s: malformed key %q", b, k)
				continue
			}
			id := string(k[i+1:])
			switch {
			case strings.HasPrefix(id, unidentifiedPrefix):
				if len(reportYears(tx, id)) == 0 {
					bad("%s: %q names %s, which has no report", b, k[:i], id)
				}
			default:
				if a, err := getAgency(tx, id); err != nil {
					return nil, err
				} else if a == nil || a.MergedInto != "" {
					bad("%s: %q names organ %s, which the register does not hold (or merged into another)", b, k[:i], id)
				}
			}
		}
	}
	ob := tx.Bucket(bucketOutcomes)
	c = tx.Bucket(bucketOutcomeReports).Cursor()
	for k, _ := c.First(); k != nil; k, _ = c.Next() {
		rk, sum, url, err := splitOutcomeReportKey(k)
		if err != nil {
			bad("index of outcomes: %v", err)
			continue
		}
		var o Outcome
		v := ob.Get(outcomeKey(sum, url))
		if v == nil || decodeOutcome(v, &o) != nil || o.Result != ResultReport {
			bad("index of outcomes names the outcome of %s (%x), which is not a report's", url, sum[:6])
			continue
		}
		if want, _ := reportKey(o.AgencyID, o.Year); !bytes.Equal(want, rk) {
			bad("index of outcomes puts the outcome of %s under report %s (it names %s %d)", url, keyString(rk), o.AgencyID, o.Year)
		}
	}
	return probs, nil
}

// RebuildIndexes rewrites every index (reports by year and by status, the
// register's stems, names and codes, outcomes by report) from the reports,
// the organs and the outcomes, in one transaction: what 'nianbao check
// --repair' does about a ProblemIndex.
func (db *DB) RebuildIndexes(ctx context.Context) error {
	if db.readOnly {
		return ErrReadOnly
	}
	err := db.update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketReportYears, bucketReportStatus, bucketAgencyStems, bucketAgencyNames,
			bucketAgencyCodes, bucketOutcomeReports} {
			if err := tx.DeleteBucket(b); err != nil {
				return err
			}
			if _, err := tx.CreateBucket(b); err != nil {
				return err
			}
		}
		rules := db.agencyRules()
		c := tx.Bucket(bucketAgencies).Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			if err := ctx.Err(); err != nil {
				return err
			}
			var av agencyValue
			if err := json.Unmarshal(v, &av); err != nil {
				return fmt.Errorf("agency %s: decode: %w: %w", k, ErrCorrupt, err)
			}
			if av.MergedInto != "" {
				continue
			}
			if err := putAgency(tx, &av.Agency, nil, rules); err != nil {
				return err
			}
		}
		c = tx.Bucket(bucketReports).Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			if err := ctx.Err(); err != nil {
				return err
			}
			var rv reportValue
			if err := json.Unmarshal(v, &rv); err != nil {
				return fmt.Errorf("report %s: decode: %w: %w", keyString(k), ErrCorrupt, err)
			}
			if err := indexReport(tx, bytes.Clone(k), nil, &rv); err != nil {
				return err
			}
		}
		ix := tx.Bucket(bucketOutcomeReports)
		c = tx.Bucket(bucketOutcomes).Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			var o Outcome
			if err := decodeOutcome(v, &o); err != nil {
				return err
			}
			if o.Result != ResultReport || o.AgencyID == "" {
				continue
			}
			rk, err := reportKey(o.AgencyID, o.Year)
			if err != nil {
				continue
			}
			if err := ix.Put(outcomeReportKey(rk, k[:32], string(k[32:])), nil); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("rebuild indexes: %w", err)
	}
	return nil
}
