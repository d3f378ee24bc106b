package store

import (
	"bytes"
	"cmp"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"
)

// ProblemKind names one kind of inconsistency found by Check.
type ProblemKind string

// The kinds of problems Check reports.
const (
	// ProblemFile: bbolt's own consistency check (Tx.Check) failed, or the
	// queue and its index disagree. Nothing above the file can be trusted.
	ProblemFile ProblemKind = "file"
	// ProblemMissingCapture: a report version names a capture that is not
	// stored. Nothing can repair it: the bytes are gone.
	ProblemMissingCapture ProblemKind = "missing-capture"
	// ProblemBadOutcome: an outcome names a report version that does not
	// exist.
	ProblemBadOutcome ProblemKind = "bad-outcome"
	// ProblemNoOutcome: a URL's current body (the SHA-256 of its crawl
	// state) is stored but has no outcome at that URL: what a crash
	// between a capture and its report left in archives written before
	// outcomes were recorded. A crawl would trust the URL's 304 and never
	// parse it again.
	ProblemNoOutcome ProblemKind = "no-outcome"
	// ProblemDeferred: a report page's outcome is still ResultDeferred (a
	// crawl was interrupted before it decided between the page and its
	// attachments).
	ProblemDeferred ProblemKind = "deferred"
	// ProblemUnaccounted: a stored body that is no URL's current body, has
	// no outcome at any URL and that no report version names.
	ProblemUnaccounted ProblemKind = "unaccounted"
	// ProblemIndex: an index disagrees with what it indexes (a report
	// without its year or status entry, an entry naming a report or organ
	// that does not exist, a report keyed by an organ the register does not
	// hold). RebuildIndexes repairs it.
	ProblemIndex ProblemKind = "index"
)

// Problem is one inconsistency found by Check or Unsettled.
type Problem struct {
	Kind ProblemKind
	// URL and SHA256 name the body concerned ("" for ProblemFile).
	URL    string
	SHA256 string
	// Site is the URL's site, from its crawl state or capture.
	Site string
	// Current is set when SHA256 is the body the URL's crawl state names,
	// or the URL has no crawl state.
	Current bool
	// DocKind is what the URL is to the crawl: from its crawl state or
	// outcome when recorded, else "attachment" when a report page's crawl
	// state links it (Parent), else "report".
	DocKind string
	Parent  string
	// AgencyID, Year and Version name the report involved: the version
	// that names a missing capture, a bad outcome's, or, for
	// ProblemNoOutcome, the version made from the body (an archive written
	// before outcomes were recorded: AdoptVersions records it without
	// parsing). Agency is the organ's name as printed, when known.
	AgencyID string
	Agency   string
	Year     int
	Version  int
	// Detail says more, in words.
	Detail string
}

func (p Problem) String() string {
	switch p.Kind {
	case ProblemFile:
		return fmt.Sprintf("file: %s", p.Detail)
	case ProblemMissingCapture:
		return fmt.Sprintf("missing capture: report %s %d version %d names capture %s, which is not stored", p.report(), p.Year, p.Version, p.SHA256)
	case ProblemBadOutcome:
		return fmt.Sprintf("bad outcome: %s (%s) says report %s %d version %d, which does not exist", p.URL, short(p.SHA256), p.report(), p.Year, p.Version)
	case ProblemNoOutcome:
		s := fmt.Sprintf("no outcome: %s (%s, %s) was archived but no report or reason was recorded for it", p.URL, p.DocKind, short(p.SHA256))
		if p.Version > 0 {
			s += fmt.Sprintf(" (report %s %d version %d was made from it)", p.report(), p.Year, p.Version)
		}
		return s
	case ProblemIndex:
		return "index: " + p.Detail
	case ProblemDeferred:
		s := fmt.Sprintf("deferred: %s (%s) is a report page without tables whose attachments were not settled (an interrupted crawl)", p.URL, short(p.SHA256))
		if !p.Current {
			s += "; the URL has since served another body"
		}
		return s
	case ProblemUnaccounted:
		return fmt.Sprintf("unaccounted: %s (%s), an older body of the URL, has no outcome and no report names it", p.URL, short(p.SHA256))
	}
	return fmt.Sprintf("%s: %s %s %s", p.Kind, p.URL, p.SHA256, p.Detail)
}

// report names the problem's report: its printed name, else its
// agency_id.
func (p Problem) report() string { return cmp.Or(p.Agency, p.AgencyID) }

func short(sha string) string { return sha[:min(len(sha), 12)] }

// Check verifies the archive and returns its problems, ordered by kind and
// URL; none means consistent. It runs bbolt's own check (Tx.Check) over
// the whole file, then checks that every report version's captures are
// stored, that every outcome names a version that exists, and that every
// stored body is accounted for: each URL's current body has an outcome
// there (ProblemNoOutcome), no outcome is left deferred (ProblemDeferred),
// and every other body has an outcome or a report version
// (ProblemUnaccounted). It reads one transaction; run it while nothing
// else writes to db (bbolt's check of a read transaction assumes so).
func (db *DB) Check(ctx context.Context) ([]Problem, error) {
	var probs []Problem
	err := db.view(func(tx *bolt.Tx) error {
		for err := range tx.Check() { // drain: the check runs on its own goroutine
			probs = append(probs, Problem{Kind: ProblemFile, Detail: err.Error()})
		}
		if len(probs) > 0 {
			return nil
		}
		if q, idx := tx.Bucket(bucketQueue).Stats().KeyN, tx.Bucket(bucketQueued).Stats().KeyN; q != idx {
			probs = append(probs, Problem{Kind: ProblemFile, Detail: fmt.Sprintf("the queue has %d entries and its index %d", q, idx)})
		}
		refs, vprobs, err := versionRefs(ctx, tx)
		if err != nil {
			return err
		}
		probs = append(probs, vprobs...)
		counts := map[string]int{} // reportID → versions
		if err := eachReportKey(ctx, tx, Filter{}, func(k, v []byte) error {
			var rv reportValue
			if err := json.Unmarshal(v, &rv); err != nil {
				return fmt.Errorf("report %q: decode: %w: %w", k, ErrCorrupt, err)
			}
			counts[string(k)] = rv.Versions
			return nil
		}); err != nil {
			return err
		}
		iprobs, err := checkIndexes(ctx, tx, counts)
		if err != nil {
			return err
		}
		probs = append(probs, iprobs...)
		us, err := unsettled(ctx, tx, refs)
		if err != nil {
			return err
		}
		probs = append(probs, us.probs...)
		// Every outcome: a report outcome's version exists; remember which
		// bodies have one.
		hasOutcome := map[string]bool{} // raw sha
		if b := tx.Bucket(bucketOutcomes); b != nil {
			c := b.Cursor()
			for k, v := c.First(); k != nil; k, v = c.Next() {
				if err := ctx.Err(); err != nil {
					return err
				}
				var o Outcome
				if err := decodeOutcome(v, &o); err != nil {
					return err
				}
				hasOutcome[string(k[:32])] = true
				if o.Result != ResultReport {
					continue
				}
				rk, err := reportKey(o.AgencyID, o.Year)
				if err != nil || o.Version < 1 || counts[string(rk)] < o.Version {
					cur, ok := us.states[o.URL]
					probs = append(probs, Problem{Kind: ProblemBadOutcome, URL: o.URL, SHA256: o.SHA256, AgencyID: o.AgencyID, Agency: o.Agency,
						Year: o.Year, Version: o.Version, Current: !ok || cur == "" || cur == o.SHA256, DocKind: cmp.Or(o.Kind, "report"), Parent: o.Parent})
					continue
				}
				if tx.Bucket(bucketOutcomeReports).Get(outcomeReportKey(rk, k[:32], o.URL)) == nil {
					probs = append(probs, Problem{Kind: ProblemIndex, URL: o.URL, SHA256: o.SHA256, AgencyID: o.AgencyID, Year: o.Year,
						Detail: fmt.Sprintf("the outcome of %s (%s) for report %s %d is not in the index of outcomes by report", o.URL, short(o.SHA256), o.AgencyID, o.Year)})
				}
			}
		}
		// Bodies that are no URL's current one.
		c := tx.Bucket(bucketCaptures).Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			if err := ctx.Err(); err != nil {
				return err
			}
			if hasOutcome[string(k)] || us.current[string(k)] || refs[string(k)].n > 0 {
				continue
			}
			var cv captureValue
			if err := decodeCapture(hex.EncodeToString(k), v, &cv); err != nil {
				return err
			}
			p := Problem{Kind: ProblemUnaccounted, URL: cv.URL, SHA256: cv.SHA256, Site: cv.Site, DocKind: "report"}
			if parent := us.parents[cv.URL]; parent != "" {
				p.DocKind, p.Parent = "attachment", parent
			}
			probs = append(probs, p)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("check %s: %w", db.path, err)
	}
	slices.SortStableFunc(probs, func(a, b Problem) int {
		return cmp.Or(cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.URL, b.URL), cmp.Compare(a.SHA256, b.SHA256))
	})
	return probs, nil
}

// versionRef is the latest report version made from one body.
type versionRef struct {
	rk     []byte
	id     string // agency_id
	agency string // the report's printed agency
	year   int
	n      int
	stored time.Time
}

// versionRefs reads every report version's captures (without decoding the
// reports) and returns, by raw SHA-256, the latest version made from each
// body, plus a ProblemMissingCapture for every capture named but not
// stored.
func versionRefs(ctx context.Context, tx *bolt.Tx) (map[string]versionRef, []Problem, error) {
	refs := map[string]versionRef{}
	var probs []Problem
	caps := tx.Bucket(bucketCaptures)
	names := map[string]string{} // report key → printed agency
	printed := func(rk []byte) string {
		n, ok := names[string(rk)]
		if !ok {
			var rv reportValue
			if v := tx.Bucket(bucketReports).Get(rk); v != nil && json.Unmarshal(v, &rv) == nil {
				n = rv.Agency
			}
			names[string(rk)] = n
		}
		return n
	}
	c := tx.Bucket(bucketVersions).Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		if err := ctx.Err(); err != nil {
			return nil, nil, err
		}
		if len(k) < 4 {
			return nil, nil, fmt.Errorf("version key %q: %w", k, ErrCorrupt)
		}
		rk := k[:len(k)-4]
		id, year, err := decodeReportKey(rk)
		if err != nil {
			return nil, nil, err
		}
		var vv struct {
			N        int       `json:"n"`
			Captures []string  `json:"captures"`
			StoredAt time.Time `json:"stored_at"`
		}
		if err := json.Unmarshal(v, &vv); err != nil {
			return nil, nil, fmt.Errorf("report %s %d version: decode: %w: %w", id, year, ErrCorrupt, err)
		}
		for _, s := range vv.Captures {
			key, err := shaKey(s)
			if err != nil || caps.Get(key) == nil {
				probs = append(probs, Problem{Kind: ProblemMissingCapture, SHA256: s, AgencyID: id, Agency: printed(rk), Year: year, Version: vv.N})
				continue
			}
			if old, ok := refs[string(key)]; !ok || !vv.StoredAt.Before(old.stored) {
				refs[string(key)] = versionRef{rk: bytes.Clone(rk), id: id, agency: printed(rk), year: year, n: vv.N, stored: vv.StoredAt}
			}
		}
	}
	return refs, probs, nil
}

// unsettledScan is what unsettled found.
type unsettledScan struct {
	probs []Problem
	// current holds the raw SHA-256 of every URL's current body.
	current map[string]bool
	// parents maps an attachment URL to the report page whose crawl state
	// links it.
	parents map[string]string
	// states maps every URL with a crawl state to the body it names.
	states map[string]string
}

// unsettled scans the crawl states for current bodies that are stored
// without an outcome (ProblemNoOutcome, with the version made from the
// body when refs knows one) and the outcomes for deferred ones
// (ProblemDeferred).
func unsettled(ctx context.Context, tx *bolt.Tx, refs map[string]versionRef) (unsettledScan, error) {
	scan := unsettledScan{current: map[string]bool{}, parents: map[string]string{}, states: map[string]string{}}
	caps, ob := tx.Bucket(bucketCaptures), tx.Bucket(bucketOutcomes)
	var states []URLState
	c := tx.Bucket(bucketURLs).Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		if err := ctx.Err(); err != nil {
			return scan, err
		}
		var uv urlValue
		if err := json.Unmarshal(v, &uv); err != nil {
			return scan, fmt.Errorf("url state %s: decode: %w: %w", k, ErrCorrupt, err)
		}
		scan.states[uv.URL] = uv.SHA256
		for _, a := range uv.Attachments {
			if _, ok := scan.parents[a]; !ok {
				scan.parents[a] = uv.URL
			}
		}
		if uv.SHA256 != "" && uv.Kind != "list" {
			states = append(states, uv.URLState)
		}
	}
	for _, s := range states {
		key, err := shaKey(s.SHA256)
		if err != nil || caps.Get(key) == nil {
			continue // a list page, or a body never archived
		}
		scan.current[string(key)] = true
		p := Problem{URL: s.URL, SHA256: s.SHA256, Site: s.Site, Current: true, DocKind: s.Kind, Parent: scan.parents[s.URL]}
		if p.DocKind == "" {
			p.DocKind = "report"
			if p.Parent != "" {
				p.DocKind = "attachment"
			}
		}
		var v []byte
		if ob != nil {
			v = ob.Get(outcomeKey(key, s.URL))
		}
		if v == nil {
			p.Kind = ProblemNoOutcome
			if r, ok := refs[string(key)]; ok {
				p.AgencyID, p.Agency, p.Year, p.Version = r.id, r.agency, r.year, r.n
			}
			scan.probs = append(scan.probs, p)
		}
	}
	if ob == nil {
		return scan, nil
	}
	// Deferred outcomes, current or not. The result is matched as bytes
	// first: almost none are deferred.
	oc := ob.Cursor()
	for k, v := oc.First(); k != nil; k, v = oc.Next() {
		if err := ctx.Err(); err != nil {
			return scan, err
		}
		if !bytes.Contains(v, []byte(`"result":"deferred"`)) {
			continue
		}
		var o Outcome
		if err := decodeOutcome(v, &o); err != nil {
			return scan, err
		}
		if o.Result != ResultDeferred {
			continue
		}
		// Current unless the URL's crawl state names another body (a crawl
		// interrupted before it recorded the URL's state left none).
		current := true
		if uv := tx.Bucket(bucketURLs).Get([]byte(o.URL)); uv != nil {
			var s urlValue
			current = json.Unmarshal(uv, &s) != nil || s.SHA256 == "" || s.SHA256 == o.SHA256
		}
		var site string
		if cv := caps.Get(k[:32]); cv != nil {
			var c captureValue
			if json.Unmarshal(cv, &c) == nil {
				site = c.Site
			}
		}
		scan.probs = append(scan.probs, Problem{Kind: ProblemDeferred, URL: o.URL, SHA256: o.SHA256, Site: site, Current: current,
			DocKind: cmp.Or(o.Kind, "report"), Parent: o.Parent, AgencyID: o.AgencyID, Agency: o.Agency, Year: o.Year})
	}
	return scan, nil
}

// Unsettled returns what a crawl must settle before it trusts its crawl
// state: every URL whose current body is stored without an outcome there
// (ProblemNoOutcome) and every deferred outcome (ProblemDeferred). It is
// the cheap part of Check: one pass over the crawl states and the
// outcomes, no version or file checks. Call AdoptVersions first, so that
// bodies a report version was made from need no parsing.
func (db *DB) Unsettled(ctx context.Context) ([]Problem, error) {
	var probs []Problem
	err := db.view(func(tx *bolt.Tx) error {
		scan, err := unsettled(ctx, tx, nil)
		probs = scan.probs
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("unsettled: %w", err)
	}
	return probs, nil
}

// AdoptVersions records a ResultReport outcome for every URL whose
// current body is stored without an outcome there but made a report
// version: what an archive written before outcomes existed knows without
// saying. The outcome names the latest version made from the body. No
// body is parsed. It returns how many outcomes it recorded; when every
// current body has an outcome it only reads the crawl states.
func (db *DB) AdoptVersions(ctx context.Context) (int, error) {
	if db.readOnly {
		return 0, ErrReadOnly
	}
	var missing []Problem
	refs := map[string]versionRef{}
	err := db.view(func(tx *bolt.Tx) error {
		scan, err := unsettled(ctx, tx, nil)
		if err != nil {
			return err
		}
		for _, p := range scan.probs {
			if p.Kind == ProblemNoOutcome {
				missing = append(missing, p)
			}
		}
		if len(missing) == 0 {
			return nil
		}
		refs, _, err = versionRefs(ctx, tx)
		return err
	})
	if err != nil || len(missing) == 0 {
		return 0, err
	}
	// Count the cells of each version adopted (decoding only those).
	type adopted struct {
		ref    versionRef
		agency string
		cells  int
		pv     string
		run    string
	}
	vers := map[string]*adopted{} // raw sha → version
	err = db.view(func(tx *bolt.Tx) error {
		vb := tx.Bucket(bucketVersions)
		for _, p := range missing {
			key, _ := shaKey(p.SHA256)
			r, ok := refs[string(key)]
			if !ok || vers[string(key)] != nil {
				continue
			}
			v := vb.Get(versionKey(r.rk, r.n))
			if v == nil {
				continue
			}
			ver, err := db.decodeVersion(v)
			if err != nil {
				return fmt.Errorf("report %s %d version %d: %w: %w", r.id, r.year, r.n, ErrCorrupt, err)
			}
			vers[string(key)] = &adopted{ref: r, agency: ver.Report.Agency, cells: len(ver.Report.Cells), pv: ver.ParserVersion, run: ver.RunID}
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	n := 0
	now := time.Now().UTC()
	err = db.update(func(tx *bolt.Tx) error {
		ob := tx.Bucket(bucketOutcomes)
		for _, p := range missing {
			key, _ := shaKey(p.SHA256)
			a := vers[string(key)]
			if a == nil || ob.Get(outcomeKey(key, p.URL)) != nil {
				continue
			}
			o := Outcome{URL: p.URL, SHA256: p.SHA256, Result: ResultReport, Kind: p.DocKind, Parent: p.Parent,
				AgencyID: a.ref.id, Agency: a.agency, Year: a.ref.year, Version: a.ref.n, Cells: a.cells, ParserVersion: a.pv, RunID: a.run, At: now,
				Detail: "recorded from the report version made from this body (archive written before outcomes)"}
			if err := putOutcome(tx, key, o); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("adopt versions: %w", err)
	}
	return n, nil
}
