package store

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"
)

// MaxRunFailures caps the per-URL failures kept with one run; the counts
// in Counts.Failures stay complete.
const MaxRunFailures = 10000

// Run is one crawl (or reparse) run.
type Run struct {
	// ID is assigned by BeginRun: the start time (UTC, second precision)
	// and a sequence number, e.g. "20261128T180102Z-7"; IDs sort by start.
	ID string `json:"id"`
	// Kind is "crawl" (default) or "reparse".
	Kind string `json:"kind"`
	// Sites are the site IDs the run covers.
	Sites []string `json:"sites"`
	// Started is set by BeginRun; Finished by FinishRun (zero while the
	// run is going or when it was interrupted).
	Started  time.Time `json:"started"`
	Finished time.Time `json:"finished"`
	// Counts are the run's totals.
	Counts Counts `json:"counts"`
	// Failures are the per-URL failures, at most MaxRunFailures of them.
	Failures []URLFailure `json:"failures"`
}

// Counts are the totals of a run.
type Counts struct {
	PagesFetched int `json:"pages_fetched"`
	NotModified  int `json:"not_modified"`
	NewCaptures  int `json:"new_captures"`
	NewReports   int `json:"new_reports"`
	NewVersions  int `json:"new_versions"`
	// Rendered counts the pages rendered in the browser, ChallengesPassed
	// the anti-bot challenges it passed (0 in runs of older builds).
	Rendered         int `json:"rendered,omitempty"`
	ChallengesPassed int `json:"challenges_passed,omitempty"`
	// Failures counts failed URLs by reason, e.g. "http 404", "timeout",
	// "parse".
	Failures map[string]int `json:"failures"`
}

// URLFailure is one URL that failed in a run.
type URLFailure struct {
	URL    string    `json:"url"`
	Site   string    `json:"site,omitempty"`
	Reason string    `json:"reason"`           // the key counted in Counts.Failures
	Status int       `json:"status,omitempty"` // HTTP status, 0 if none
	Error  string    `json:"error"`
	At     time.Time `json:"at"`
}

type runValue struct {
	V int `json:"v"`
	Run
}

// BeginRun records the start of a crawl run over sites and returns its ID.
func (db *DB) BeginRun(sites []string) (string, error) {
	return db.beginRun("crawl", sites)
}

// BeginRunKind is BeginRun for another kind of run, e.g. "reparse".
func (db *DB) BeginRunKind(kind string, sites []string) (string, error) {
	return db.beginRun(kind, sites)
}

func (db *DB) beginRun(kind string, sites []string) (string, error) {
	var id string
	err := db.update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketRuns)
		seq, err := b.NextSequence()
		if err != nil {
			return err
		}
		now := time.Now().UTC().Truncate(time.Second)
		id = fmt.Sprintf("%s-%d", now.Format("20060102T150405Z"), seq)
		r := runValue{V: SchemaVersion, Run: Run{ID: id, Kind: kind, Sites: slices.Clone(sites), Started: now,
			Counts: Counts{Failures: map[string]int{}}, Failures: []URLFailure{}}}
		if r.Sites == nil {
			r.Sites = []string{}
		}
		v, err := json.Marshal(r)
		if err != nil {
			return err
		}
		return b.Put([]byte(id), v)
	})
	if err != nil {
		return "", fmt.Errorf("begin run: %w", err)
	}
	return id, nil
}

// FinishRun stores the final state of run r.ID: its counts and failures
// (truncated to MaxRunFailures), its Kind and Sites when set, and Finished
// (now, when zero). Started is kept from BeginRun. It returns ErrNotFound
// for an unknown ID. A writer also refreshes the reader snapshot.
func (db *DB) FinishRun(r Run) error {
	if len(r.Failures) > MaxRunFailures {
		r.Failures = r.Failures[:MaxRunFailures]
	}
	if r.Finished.IsZero() {
		r.Finished = time.Now()
	}
	r.Finished = r.Finished.UTC()
	err := db.update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketRuns)
		v := b.Get([]byte(r.ID))
		if v == nil {
			return fmt.Errorf("run %q: %w", r.ID, ErrNotFound)
		}
		var old runValue
		if err := json.Unmarshal(v, &old); err != nil {
			return fmt.Errorf("run %s: decode: %w: %w", r.ID, ErrCorrupt, err)
		}
		r.Started = old.Started
		if r.Kind == "" {
			r.Kind = old.Kind
		}
		if r.Sites == nil {
			r.Sites = old.Sites
		}
		if r.Counts.Failures == nil {
			r.Counts.Failures = map[string]int{}
		}
		if r.Failures == nil {
			r.Failures = []URLFailure{}
		}
		nv, err := json.Marshal(runValue{V: SchemaVersion, Run: r})
		if err != nil {
			return err
		}
		return b.Put([]byte(r.ID), nv)
	})
	if err != nil {
		return fmt.Errorf("finish run %s: %w", r.ID, err)
	}
	if db.done != nil { // snapshots enabled
		return db.writeSnapshot()
	}
	return nil
}

// Run returns the run with the given ID, or ErrNotFound.
func (db *DB) Run(id string) (Run, error) {
	var rv runValue
	err := db.view(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketRuns).Get([]byte(id))
		if v == nil {
			return fmt.Errorf("run %q: %w", id, ErrNotFound)
		}
		if err := json.Unmarshal(v, &rv); err != nil {
			return fmt.Errorf("run %s: decode: %w: %w", id, ErrCorrupt, err)
		}
		return nil
	})
	return rv.Run, err
}

// Runs calls fn for every run, oldest first, checking ctx between runs.
// It stops at and returns the first error from fn or ctx. fn must not
// write to db.
func (db *DB) Runs(ctx context.Context, fn func(Run) error) error {
	return db.view(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketRuns).Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			if err := ctx.Err(); err != nil {
				return err
			}
			var rv runValue
			if err := json.Unmarshal(v, &rv); err != nil {
				return fmt.Errorf("run %s: decode: %w: %w", k, ErrCorrupt, err)
			}
			if err := fn(rv.Run); err != nil {
				return err
			}
		}
		return nil
	})
}

// LastRuns returns, for each site, the latest finished crawl run that
// covered it: what a scheduler needs to seed its last-run times.
func (db *DB) LastRuns(ctx context.Context) (map[string]Run, error) {
	last := map[string]Run{}
	err := db.Runs(ctx, func(r Run) error {
		if r.Finished.IsZero() || r.Kind != "crawl" {
			return nil
		}
		for _, s := range r.Sites {
			if old, ok := last[s]; !ok || !r.Started.Before(old.Started) {
				last[s] = r
			}
		}
		return nil
	})
	return last, err
}
