package store

import (
	"bytes"
	"cmp"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"nianbao/parser"
)

// Result says what a fetched body produced at one URL.
type Result string

// The results an Outcome records. Every one but ResultDeferred is final.
const (
	// ResultReport: the body was parsed into a report and stored as a
	// version of it, or found equal to the latest version (Outcome.Version
	// names the version either way).
	ResultReport Result = "report"
	// ResultDeferred: a report page without tables, waiting for its
	// attachments; the end of the crawl run stores it as a report (if no
	// attachment gave one) or marks it ResultSuperseded. After an
	// interrupted run the next crawl settles it.
	ResultDeferred Result = "deferred"
	// ResultSuperseded: not stored because another body gave the report: a
	// page without tables whose attachment did, or a body that is no
	// longer its URL's current one.
	ResultSuperseded Result = "superseded"
	// ResultArchived: an attachment of a report page with tables of its
	// own; archived, not parsed.
	ResultArchived Result = "archived"
	// ResultDuplicate: the same bytes were already handled at another URL
	// (Outcome.Of).
	ResultDuplicate Result = "duplicate"
	// ResultNotReport: the parser does not recognise the bytes as a report.
	ResultNotReport Result = "not-report"
	// ResultNoYear: parsed, but the report's year could not be determined.
	ResultNoYear Result = "no-year"
	// ResultNoTables: parsed without tables and not stored, because the
	// report is archived from another body.
	ResultNoTables Result = "no-tables"
	// ResultParseError: the parser failed (Outcome.Detail says why).
	ResultParseError Result = "parse-error"
)

// valid reports whether r is one of the results above.
func (r Result) valid() bool {
	switch r {
	case ResultReport, ResultDeferred, ResultSuperseded, ResultArchived, ResultDuplicate,
		ResultNotReport, ResultNoYear, ResultNoTables, ResultParseError:
		return true
	}
	return false
}

// Final reports whether the result is settled (everything but
// ResultDeferred).
func (r Result) Final() bool { return r != ResultDeferred }

// Outcome is what one stored body produced when fetched from one URL: the
// report version it made, or the reason it made none. A crawl records it
// in the same transaction as the capture (PutDocuments), before the URL's
// crawl state names the body, so a URL whose validators are stored always
// has the outcome of its body.
type Outcome struct {
	// URL is the URL the body was fetched from; SHA256 the body's hash.
	URL    string `json:"url"`
	SHA256 string `json:"sha256"`
	// Result is what became of the body.
	Result Result `json:"result"`
	// Kind is what the URL was to the crawl ("report", "attachment");
	// Parent the report page an attachment was linked from, if any.
	Kind   string `json:"kind,omitempty"`
	Parent string `json:"parent,omitempty"`
	// AgencyID and Year key the report the body made or matched
	// (ResultReport only: the register's agency_id, "u:…" for an
	// unidentified report); Agency is the organ as the body prints it
	// (also for ResultDeferred/ResultSuperseded, a page without tables).
	// Version is the version it made or matched (ResultReport only), Cells
	// the number of cells parsed.
	AgencyID string `json:"agency_id,omitempty"`
	Agency   string `json:"agency,omitempty"`
	Year     int    `json:"year,omitempty"`
	Version  int    `json:"version,omitempty"`
	Cells    int    `json:"cells,omitempty"`
	// Of is, for ResultDuplicate, the URL whose outcome stands for the
	// body.
	Of string `json:"of,omitempty"`
	// Detail explains a result without a report (the parse error, …).
	Detail string `json:"detail,omitempty"`
	// ParserVersion is the parser that decided; RunID the run.
	ParserVersion string `json:"parser_version,omitempty"`
	RunID         string `json:"run_id,omitempty"`
	// At is when the outcome was recorded.
	At time.Time `json:"at"`
}

type outcomeValue struct {
	V int `json:"v"`
	Outcome
}

// Document is one fetched body at one URL and everything that became of
// it, for PutDocuments.
type Document struct {
	// Capture is the body's provenance. When Body is nil only its SHA256
	// is used, and the body must be stored already (or come earlier in the
	// same call).
	Capture Capture
	// Body is the body; nil when it is already stored.
	Body []byte
	// Report, when set, is the report parsed from the body. It is stored
	// by PutReport's rule (a new version only when its numbers changed),
	// made from this capture, under the organ the register decides (with
	// the capture's site and URL as evidence), and the outcome becomes
	// ResultReport.
	Report *parser.Report
	// Outcome is the body's outcome. URL defaults to Capture.URL and RunID
	// to Capture.RunID; SHA256 is the body's. With a Report, Result,
	// Agency, Year, Version and Cells are filled in; without one, Result
	// must be set.
	Outcome Outcome
}

// DocumentResult says what PutDocuments did with one Document.
type DocumentResult struct {
	// NewCapture is set when the body was stored by this call.
	NewCapture bool
	// Report is what became of Document.Report (zero without one).
	Report PutResult
	// Outcome is the outcome as stored.
	Outcome Outcome
}

// PutDocuments writes docs in one transaction (one fsync): each body with
// its provenance (unless stored already), its report version, and its
// outcome. Either all of it is committed or none: there is no moment at
// which a body is stored and its report or outcome is not. Bodies are
// hashed and compressed, and reports encoded, before the transaction
// starts. Documents are applied in order, so two documents of the same
// report behave as two PutReport calls.
//
// It returns ErrInvalid for a document without a URL, with an unknown
// Result, a report without agency or year, a malformed SHA-256 or a body
// that hashes otherwise, or no body for a capture that is not stored.
func (db *DB) PutDocuments(docs []Document) ([]DocumentResult, error) {
	if db.readOnly {
		return nil, ErrReadOnly
	}
	n := len(docs)
	caps := make([]Capture, n)
	preps := make([]prepared, n)
	reps := make([]preparedReport, n)
	keys := make([][]byte, n)
	outs := make([]Outcome, n)
	var withBody, all []int
	for i, d := range docs {
		all = append(all, i)
		caps[i] = d.Capture
		o := d.Outcome
		if o.URL == "" {
			o.URL = d.Capture.URL
		}
		if o.RunID == "" {
			o.RunID = d.Capture.RunID
		}
		if o.URL == "" {
			return nil, fmt.Errorf("put documents: %w: document %d has no URL", ErrInvalid, i)
		}
		if d.Report == nil && !o.Result.valid() {
			return nil, fmt.Errorf("put documents: %s: %w: result %q", o.URL, ErrInvalid, o.Result)
		}
		outs[i] = o
		if d.Body != nil {
			withBody = append(withBody, i)
			continue
		}
		k, err := shaKey(d.Capture.SHA256)
		if err != nil {
			return nil, fmt.Errorf("put documents: %s: %w", o.URL, err)
		}
		keys[i] = k
	}
	if err := parallel(withBody, func(i int) error {
		if err := preps[i].hash(&caps[i], docs[i].Body); err != nil {
			return err
		}
		keys[i] = preps[i].key
		return nil
	}); err != nil {
		return nil, err
	}
	// Which bodies are new, and are the others stored?
	fresh := map[int]bool{}
	err := db.view(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketCaptures)
		inBatch := map[string]bool{}
		for i := range docs {
			stored := b.Get(keys[i]) != nil
			switch {
			case docs[i].Body != nil && !stored:
				fresh[i] = !inBatch[string(keys[i])]
				inBatch[string(keys[i])] = true
			case docs[i].Body == nil && !stored && !inBatch[string(keys[i])]:
				return fmt.Errorf("%s: %w: capture %s is not stored and no body was given", outs[i].URL, ErrInvalid, docs[i].Capture.SHA256)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("put documents: %w", err)
	}
	// Compress the new bodies and encode the reports, in parallel.
	if err := parallel(all, func(i int) error {
		if fresh[i] {
			if err := preps[i].compress(db.codec, caps[i], docs[i].Body); err != nil {
				return err
			}
		}
		if docs[i].Report != nil {
			pr, err := db.prepareReport(docs[i].Report, []string{hex.EncodeToString(keys[i])})
			if err != nil {
				return err
			}
			pr.cap = caps[i]
			pr.cap.URL = cmp.Or(caps[i].URL, outs[i].URL)
			reps[i] = pr
		}
		return nil
	}); err != nil {
		return nil, err
	}
	res := make([]DocumentResult, n)
	now := time.Now().UTC()
	err = db.update(func(tx *bolt.Tx) error {
		for i := range docs {
			if fresh[i] {
				ok, err := preps[i].put(tx)
				if err != nil {
					return fmt.Errorf("put capture %s (%s): %w", caps[i].URL, caps[i].SHA256, err)
				}
				res[i].NewCapture = ok
			}
			o := outs[i]
			o.SHA256 = hex.EncodeToString(keys[i])
			if r := docs[i].Report; r != nil {
				pr, err := db.putReport(tx, &reps[i], o.RunID, now, keyOptions{})
				if err != nil {
					return fmt.Errorf("put report %s %d from %s: %w", r.Agency, r.Year, o.URL, err)
				}
				res[i].Report = pr
				o.Result, o.AgencyID, o.Agency, o.Year, o.Version, o.Cells = ResultReport, pr.AgencyID, r.Agency, r.Year, pr.Version, len(r.Cells)
				o.ParserVersion = reps[i].pv
			}
			if o.ParserVersion == "" {
				o.ParserVersion = parser.Version
			}
			o.At = now
			if err := putOutcome(tx, keys[i], o); err != nil {
				return err
			}
			res[i].Outcome = o
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("put documents: %w", err)
	}
	return res, nil
}

// PutOutcome records o (o.URL and o.SHA256 must be set, and the body
// stored), replacing the outcome recorded for the body at o.URL. It is
// PutDocuments for a body without a report.
func (db *DB) PutOutcome(o Outcome) (Outcome, error) {
	res, err := db.PutDocuments([]Document{{Capture: Capture{SHA256: o.SHA256, URL: o.URL}, Outcome: o}})
	if err != nil {
		return Outcome{}, err
	}
	return res[0].Outcome, nil
}

// Outcome returns the outcome recorded for the body with the given hex
// SHA-256 at url, or ErrNotFound.
func (db *DB) Outcome(sha, url string) (Outcome, error) {
	key, err := shaKey(sha)
	if err != nil {
		return Outcome{}, err
	}
	var o Outcome
	err = db.view(func(tx *bolt.Tx) error {
		var v []byte
		if b := tx.Bucket(bucketOutcomes); b != nil {
			v = b.Get(outcomeKey(key, url))
		}
		if v == nil {
			return fmt.Errorf("outcome of %s at %s: %w", sha, url, ErrNotFound)
		}
		return decodeOutcome(v, &o)
	})
	return o, err
}

func decodeOutcome(v []byte, o *Outcome) error {
	var ov outcomeValue
	if err := json.Unmarshal(v, &ov); err != nil {
		return fmt.Errorf("outcome: decode: %w: %w", ErrCorrupt, err)
	}
	*o = ov.Outcome
	return nil
}

// Outcomes returns the outcomes recorded for the body with the given hex
// SHA-256, at every URL it was fetched from (in URL order), and whether
// the body itself is stored; one read transaction.
func (db *DB) Outcomes(sha string) (outs []Outcome, stored bool, err error) {
	key, err := shaKey(sha)
	if err != nil {
		return nil, false, err
	}
	err = db.view(func(tx *bolt.Tx) error {
		stored = tx.Bucket(bucketCaptures).Get(key) != nil
		b := tx.Bucket(bucketOutcomes)
		if b == nil {
			return nil
		}
		c := b.Cursor()
		for k, v := c.Seek(key); k != nil && bytes.HasPrefix(k, key); k, v = c.Next() {
			var o Outcome
			if err := decodeOutcome(v, &o); err != nil {
				return err
			}
			outs = append(outs, o)
		}
		return nil
	})
	return outs, stored, err
}

// ForEachOutcome calls fn for every outcome, by body hash and then URL,
// checking ctx between items. fn must not write to db.
func (db *DB) ForEachOutcome(ctx context.Context, fn func(Outcome) error) error {
	return db.view(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketOutcomes)
		if b == nil {
			return nil
		}
		c := b.Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			if err := ctx.Err(); err != nil {
				return err
			}
			var o Outcome
			if err := decodeOutcome(v, &o); err != nil {
				return fmt.Errorf("outcome %x: %w", k[:min(len(k), 32)], err)
			}
			if err := fn(o); err != nil {
				return err
			}
		}
		return nil
	})
}
