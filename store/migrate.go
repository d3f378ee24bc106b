package store

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"time"

	bolt "go.etcd.io/bbolt"

	"nianbao/parser"
)

// UnrecordedSource is the identity source recorded in the register for a
// name read by a parser that did not record where it read names (reports
// archived before issue 12). 'nianbao reparse' replaces it.
const UnrecordedSource parser.IdentitySource = "unrecorded"

// migrateBatch is how many reports one migration transaction rewrites.
const migrateBatch = 500

// MigrationInfo records a migration from an older schema.
type MigrationInfo struct {
	From, To int
	At       time.Time
	Reports  int // version 1 reports read
	Organs   int // organs registered
	Stacked  int // version 1 reports split because they stacked several pages under the site's name
}

// migrate brings a file of schema version from up to SchemaVersion. It is
// called by a read-write Open; every step is a transaction of its own and
// the schema is stamped last, so an interrupted migration is taken up
// again by the next Open.
//
// From version 1: reports were keyed by the printed agency name. Each is
// given to the register (keyFor) as the parser then read it: its printed
// name is taken as identified (the parser did not record where it read
// it; the register lists the source as "unrecorded"), except for a report
// whose versions come from two or more URLs and whose name is the site's
// own configured name — the crawl's fallback stacked under one key, which
// is split into an unidentified report per URL. Versions are then regrouped
// under their new keys (regroup), the outcomes naming them rewritten, and
// the indexes built. 'nianbao reparse' re-derives every report's identity
// with the current parser afterwards.
func (db *DB) migrate(from int) error {
	if from != 1 {
		return fmt.Errorf("open %s: %w: no migration from schema version %d", db.path, ErrCorrupt, from)
	}
	start := time.Now()
	info := MigrationInfo{From: from, To: SchemaVersion, At: start.UTC()}
	var moves []move
	err := db.bolt.Update(func(tx *bolt.Tx) error {
		// The outcomes that name a report, by its version 1 key.
		reps := tx.Bucket(bucketReports)
		ix := tx.Bucket(bucketOutcomeReports)
		c := tx.Bucket(bucketOutcomes).Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			var o Outcome
			if err := decodeOutcome(v, &o); err != nil {
				return err
			}
			if o.Result != ResultReport || o.Agency == "" || o.AgencyID != "" {
				continue
			}
			rk, err := reportKey(o.Agency, o.Year)
			if err != nil || reps.Get(rk) == nil {
				continue
			}
			if err := ix.Put(outcomeReportKey(rk, k[:32], string(k[32:])), nil); err != nil {
				return err
			}
		}
		// Where each version goes.
		var old [][]byte
		rc := reps.Cursor()
		for k, _ := rc.First(); k != nil; k, _ = rc.Next() {
			if !bytes.HasPrefix(k, []byte(organPrefix)) && !bytes.HasPrefix(k, []byte(unidentifiedPrefix)) {
				old = append(old, bytes.Clone(k))
			}
		}
		before := tx.Bucket(bucketAgencies).Stats().KeyN
		for _, k := range old {
			ms, stacked, err := db.migrateReport(tx, k, start)
			if err != nil {
				return err
			}
			info.Reports++
			if stacked {
				info.Stacked++
			}
			moves = append(moves, ms...)
		}
		info.Organs = tx.Bucket(bucketAgencies).Stats().KeyN - before
		return nil
	})
	if err != nil {
		return fmt.Errorf("open %s: migrate schema %d to %d: %w", db.path, from, SchemaVersion, err)
	}
	// Regroup, a batch of independent groups per transaction.
	groups := components(moves)
	for i := 0; i < len(groups); {
		err := db.bolt.Update(func(tx *bolt.Tx) error {
			for n := 0; n < migrateBatch && i < len(groups); n, i = n+1, i+1 {
				if err := db.regroup(tx, groups[i], start); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("open %s: migrate schema %d to %d: %w", db.path, from, SchemaVersion, err)
		}
	}
	err = db.bolt.Update(func(tx *bolt.Tx) error {
		b, err := json.Marshal(info)
		if err != nil {
			return err
		}
		m := tx.Bucket(bucketMeta)
		if err := m.Put(keyMetaMigrated, b); err != nil {
			return err
		}
		return m.Put(keyMetaSchema, []byte(strconv.Itoa(SchemaVersion)))
	})
	if err != nil {
		return fmt.Errorf("open %s: migrate schema %d to %d: %w", db.path, from, SchemaVersion, err)
	}
	db.mu.Lock()
	db.dirty = true
	db.mu.Unlock()
	db.log.Info("migrated database", "path", db.path, "from", from, "to", SchemaVersion, "reports", info.Reports,
		"organs", info.Organs, "stacked", info.Stacked, "took", time.Since(start))
	return nil
}

// migrateReport registers the organ of each version of the version 1
// report at k and returns where the versions go.
func (db *DB) migrateReport(tx *bolt.Tx, k []byte, now time.Time) ([]move, bool, error) {
	var rv reportValue
	if err := json.Unmarshal(tx.Bucket(bucketReports).Get(k), &rv); err != nil {
		return nil, false, fmt.Errorf("report %q: decode: %w: %w", k, ErrCorrupt, err)
	}
	type ver struct {
		r         *parser.Report
		captures  []string
		digest    string
		site, url string
	}
	vs := make([]ver, 0, rv.Versions)
	urls := map[string]bool{}
	stacked := true // every version a sourceless report named after its site
	for n := 1; n <= rv.Versions; n++ {
		vb := tx.Bucket(bucketVersions).Get(versionKey(k, n))
		if vb == nil {
			return nil, false, fmt.Errorf("report %s %d: version %d missing: %w", rv.Agency, rv.Year, n, ErrCorrupt)
		}
		var vv versionValue
		if err := json.Unmarshal(vb, &vv); err != nil {
			return nil, false, fmt.Errorf("report %s %d version %d: decode: %w: %w", rv.Agency, rv.Year, n, ErrCorrupt, err)
		}
		r, err := db.versionReport(vv)
		if err != nil {
			return nil, false, fmt.Errorf("report %s %d version %d: %w", rv.Agency, rv.Year, n, err)
		}
		site, url := captureSite(tx, vv.Captures)
		url = firstOf(r.SourceURL, url)
		urls[url] = true
		fallbackName := r.Agency == site || r.Agency == captureAgency(tx, vv.Captures)
		if r.AgencySource != "" || !fallbackName {
			stacked = false
		}
		vs = append(vs, ver{r: r, captures: vv.Captures, digest: vv.Digest, site: site, url: url})
	}
	legacyStack := stacked && len(urls) > 1
	targets := map[string]bool{}
	var moves []move
	for i, v := range vs {
		rr := *v.r
		switch {
		case legacyStack:
			rr.AgencySource = parser.IdentityConfig
		case rr.AgencySource == "" && rr.Agency != "":
			rr.AgencySource = UnrecordedSource
		}
		if rr.Year <= 0 {
			rr.Year = rv.Year
		}
		sha := ""
		if len(v.captures) > 0 {
			sha = v.captures[0]
		}
		key, err := db.keyFor(tx, sighting{r: &rr, site: v.site, url: v.url, sha: sha, digest: v.digest}, now,
			keyOptions{noFold: true, noURLLink: true})
		if err != nil {
			return nil, false, fmt.Errorf("register report %s %d: %w", rv.Agency, rv.Year, err)
		}
		to, err := reportKey(key.id, rv.Year)
		if err != nil {
			return nil, false, err
		}
		moves = append(moves, move{from: k, n: i + 1, to: to})
		targets[string(to)] = true
	}
	// Stacked: versions of several pages that the old key held together
	// now go to several reports.
	return moves, len(targets) > 1 && len(urls) > 1, nil
}

// captureAgency returns the Agency hint (the configured site name) of the
// first stored capture of captures.
func captureAgency(tx *bolt.Tx, captures []string) string {
	for _, c := range captures {
		key, err := shaKey(c)
		if err != nil {
			continue
		}
		if v := tx.Bucket(bucketCaptures).Get(key); v != nil {
			var cv captureValue
			if json.Unmarshal(v, &cv) == nil {
				return cv.Agency
			}
		}
	}
	return ""
}

func firstOf(ss ...string) string {
	if i := slices.IndexFunc(ss, func(s string) bool { return s != "" }); i >= 0 {
		return ss[i]
	}
	return ""
}

// Migration returns what the last migration from an older schema did, or
// nil when the file was created with this schema.
func (db *DB) Migration() (*MigrationInfo, error) {
	var info *MigrationInfo
	err := db.view(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketMeta).Get(keyMetaMigrated)
		if v == nil {
			return nil
		}
		info = new(MigrationInfo)
		return json.Unmarshal(v, info)
	})
	return info, err
}
