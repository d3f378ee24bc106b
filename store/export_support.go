package store

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"runtime"
	"sync"

	bolt "go.etcd.io/bbolt"

	"nianbao/parser"
)

// This file holds the read path that bulk exports need (nianbao export):
// the same iteration as ForEachReport with the decoding, which is most of
// an export's work, spread over several goroutines.

// ForEachReportParallel is ForEachReport with each record's versions
// decoded (decompressed and unmarshalled) by up to workers goroutines
// (runtime.GOMAXPROCS(0) when workers < 1). fn is still called in key
// order, from the calling goroutine, inside the read transaction, and must
// not write to db. At most 4 × workers records are decoded ahead of fn, so
// memory stays bounded whatever the archive's size. It stops at and
// returns the first error from fn, ctx or decoding.
func (db *DB) ForEachReportParallel(ctx context.Context, f Filter, workers int, fn func(*ReportRecord) error) error {
	return ForEachReportMapped(ctx, db, f, workers,
		func(r *ReportRecord) (*ReportRecord, error) { return r, nil }, fn)
}

// ForEachReportMapped is ForEachReportParallel with a step of the
// caller's run by the workers too: each decoded record goes through mapFn
// on a worker goroutine (so mapFn must be safe for concurrent use), and fn
// receives mapFn's results in key order on the calling goroutine. An export
// formats its rows in mapFn and only writes them in fn, so that formatting
// uses every core as well. An error from mapFn stops the iteration like
// one from fn.
func ForEachReportMapped[T any](ctx context.Context, db *DB, f Filter, workers int,
	mapFn func(*ReportRecord) (T, error), fn func(T) error) error {
	if workers < 1 {
		workers = runtime.GOMAXPROCS(0)
	}
	type job struct {
		raw  *rawReport
		done chan struct{} // closed when out or err is set
		out  T
		err  error
	}
	work := make(chan *job)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			in := new(interner) // this worker's own: no locking
			for j := range work {
				rec, err := db.decodeRaw(j.raw, in)
				if err == nil {
					j.out, j.err = mapFn(rec)
				} else {
					j.err = err
				}
				j.raw = nil // the bytes are no longer needed
				close(j.done)
			}
		}()
	}
	// Whatever happens, stop the workers before returning: no goroutine
	// outlives the call.
	defer func() {
		close(work)
		wg.Wait()
	}()

	var pending []*job // FIFO of records handed to the workers
	deliver := func() error {
		j := pending[0]
		pending = pending[1:]
		<-j.done
		if j.err != nil {
			return j.err
		}
		return fn(j.out)
	}
	return db.view(func(tx *bolt.Tx) error {
		vers := tx.Bucket(bucketVersions)
		read := 0
		err := eachReportKey(ctx, tx, f, func(k, v []byte) error {
			raw, err := readRaw(vers, k, v, f.LatestOnly, f.SummaryOnly)
			if err != nil {
				return err
			}
			j := &job{raw: raw, done: make(chan struct{})}
			pending = append(pending, j)
			work <- j
			if read++; read%releaseEvery == 0 {
				db.releaseMapped(tx)
			}
			if len(pending) >= 4*workers {
				return deliver()
			}
			return nil
		})
		if err != nil {
			return err
		}
		for len(pending) > 0 {
			if err := deliver(); err != nil {
				return err
			}
		}
		return nil
	})
}

// rawReport is one report's stored bytes, copied out of the transaction.
type rawReport struct {
	key      []byte
	value    reportValue
	versions [][]byte // from the first version read to the latest
	first    int      // number of versions[0]
}

// readRaw copies the report summary and the versions to decode (all, or
// the latest) out of the transaction.
func readRaw(vers *bolt.Bucket, rk, v []byte, latestOnly, summaryOnly bool) (*rawReport, error) {
	j := &rawReport{key: append([]byte(nil), rk...)}
	if err := json.Unmarshal(v, &j.value); err != nil {
		return nil, fmt.Errorf("report %q: decode: %w: %w", rk, ErrCorrupt, err)
	}
	if summaryOnly {
		return j, nil
	}
	j.first = 1
	if latestOnly {
		j.first = j.value.Versions
	}
	for n := j.first; n <= j.value.Versions; n++ {
		vb := vers.Get(versionKey(rk, n))
		if vb == nil {
			return nil, fmt.Errorf("report %s %d: version %d missing: %w", j.value.Agency, j.value.Year, n, ErrCorrupt)
		}
		j.versions = append(j.versions, append([]byte(nil), vb...))
	}
	return j, nil
}

// decodeRaw turns copied bytes into the record ForEachReport would give.
func (db *DB) decodeRaw(j *rawReport, in *interner) (*ReportRecord, error) {
	rv := j.value
	rec := rv.record()
	for i, vb := range j.versions {
		ver, err := db.decodeVersionFast(vb, in)
		if err != nil {
			return nil, fmt.Errorf("report %s %d: version %d: %w: %w", rv.Agency, rv.Year, j.first+i, ErrCorrupt, err)
		}
		rec.Versions = append(rec.Versions, ver)
	}
	return rec, nil
}

// decodeVersionFast is decodeVersion with the report's cells, which are
// nearly all of its bytes, read by decodeCells instead of encoding/json
// (about five times faster); everything else still goes through
// encoding/json, so the result is identical (see
// TestDecodeReportFast_MatchesEncodingJSON).
func (db *DB) decodeVersionFast(b []byte, in *interner) (Version, error) {
	var vv versionValue
	var z []byte
	// The compressed report is nearly all of the value: decode its base64
	// directly and let encoding/json read the few small fields around it.
	if start, end, ok := topLevelValue(b, "report_zstd"); ok && end-start >= 2 && b[start] == '"' {
		enc := b[start+1 : end-1]
		z = make([]byte, base64.StdEncoding.DecodedLen(len(enc)))
		n, err := base64.StdEncoding.Decode(z, enc)
		if err != nil {
			return Version{}, fmt.Errorf("decode report_zstd: %w", err)
		}
		z = z[:n]
		rest := make([]byte, 0, len(b)-(end-start)+4)
		rest = append(append(append(rest, b[:start]...), "null"...), b[end:]...)
		if err := json.Unmarshal(rest, &vv); err != nil {
			return Version{}, err
		}
		vv.ReportZstd = z
	} else if err := json.Unmarshal(b, &vv); err != nil {
		return Version{}, err
	}
	rj, err := db.codec.decompress(vv.ReportZstd, int64(len(vv.ReportZstd))*8)
	if err != nil {
		return Version{}, fmt.Errorf("decompress report: %w", err)
	}
	v := Version{N: vv.N, Captures: vv.Captures, ParserVersion: vv.ParserVersion, StoredAt: vv.StoredAt,
		RunID: vv.RunID, Digest: vv.Digest, Report: new(parser.Report)}
	if err := decodeReportFast(rj, v.Report, in); err != nil {
		return Version{}, fmt.Errorf("decode report: %w", err)
	}
	return v, nil
}

// topLevelValue returns where the value of key starts and ends in the JSON
// object b, or ok false when b is not an object holding key.
func topLevelValue(b []byte, key string) (start, end int, ok bool) {
	s := jsonScanner{b: b}
	if !s.expect('{') {
		return 0, 0, false
	}
	for {
		k, good := s.str()
		if !good || !s.expect(':') {
			return 0, 0, false
		}
		s.ws()
		start = s.i
		if !s.skip() {
			return 0, 0, false
		}
		if k == key {
			return start, s.i, true
		}
		if !s.expect(',') {
			return 0, 0, false
		}
	}
}

// decodeReportFast unmarshals the JSON of a parser.Report into r. It reads
// the top-level "cells" array itself and hands the rest of the object,
// with that array replaced by null, to encoding/json. Input it does not
// expect (a cell field that is not a string, an unknown cell key) makes it
// fall back to encoding/json for the whole report.
func decodeReportFast(b []byte, r *parser.Report, in *interner) error {
	start, end, cells, ok := scanCells(b, in)
	if !ok {
		return json.Unmarshal(b, r)
	}
	rest := make([]byte, 0, len(b)-(end-start)+4)
	rest = append(rest, b[:start]...)
	rest = append(rest, "null"...)
	rest = append(rest, b[end:]...)
	if err := json.Unmarshal(rest, r); err != nil {
		return err
	}
	r.Cells = cells
	return nil
}

// scanCells finds the value of the top-level key "cells" in the JSON
// object b and decodes it as []parser.Cell. start and end delimit the
// value's bytes. ok is false when b is not shaped as expected.
func scanCells(b []byte, in *interner) (start, end int, cells []parser.Cell, ok bool) {
	s := jsonScanner{b: b, in: in}
	if !s.expect('{') {
		return 0, 0, nil, false
	}
	for {
		s.ws()
		if s.peek() == '}' {
			return 0, 0, nil, false // no cells key
		}
		key, good := s.str()
		if !good || !s.expect(':') {
			return 0, 0, nil, false
		}
		s.ws()
		if key == "cells" {
			start = s.i
			cells, good = s.cells()
			if !good {
				return 0, 0, nil, false
			}
			return start, s.i, cells, true
		}
		if !s.skip() {
			return 0, 0, nil, false
		}
		s.ws()
		if s.peek() == ',' {
			s.i++
			continue
		}
		return 0, 0, nil, false
	}
}

// jsonScanner reads the JSON that encoding/json writes (no comments, valid
// UTF-8); any surprise makes a method report false.
type jsonScanner struct {
	b  []byte
	i  int
	in *interner // may be nil
}

// interner hands out one string per distinct short text, so that the
// thousands of cells that say "t3", "total" or "0" share their bytes
// instead of each allocating them. It is a direct-mapped cache of fixed
// size (a hash picks the slot, a miss replaces it), so memory stays flat
// and a lookup costs a hash and one comparison.
type interner struct {
	slots [4096]string
}

func (in *interner) get(b []byte) string {
	if in == nil || len(b) > 32 {
		return string(b)
	}
	h := uint32(2166136261) // FNV-1a
	for _, c := range b {
		h = (h ^ uint32(c)) * 16777619
	}
	slot := &in.slots[h%uint32(len(in.slots))]
	if *slot == string(b) { // no allocation for the comparison
		return *slot
	}
	*slot = string(b)
	return *slot
}

func (s *jsonScanner) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

func (s *jsonScanner) peek() byte {
	if s.i < len(s.b) {
		return s.b[s.i]
	}
	return 0
}

func (s *jsonScanner) expect(c byte) bool {
	s.ws()
	if s.peek() != c {
		return false
	}
	s.i++
	return true
}

// str reads a string token. Strings without escapes are copied as they
// are; the rare ones with escapes are decoded by encoding/json.
func (s *jsonScanner) str() (string, bool) {
	s.ws()
	if s.peek() != '"' {
		return "", false
	}
	j := s.i + 1
	escaped := false
	for ; j < len(s.b); j++ {
		c := s.b[j]
		if c == '\\' {
			escaped = true
			j++
			continue
		}
		if c == '"' {
			break
		}
		if c < 0x20 {
			return "", false
		}
	}
	if j >= len(s.b) {
		return "", false
	}
	tok := s.b[s.i : j+1]
	s.i = j + 1
	if !escaped {
		return s.in.get(tok[1 : len(tok)-1]), true
	}
	var out string
	if err := json.Unmarshal(tok, &out); err != nil {
		return "", false
	}
	return out, true
}

// key reads a string token without escapes (every key encoding/json
// writes for a Cell) and returns its bytes, which stay in s.b.
func (s *jsonScanner) key() ([]byte, bool) {
	s.ws()
	if s.peek() != '"' {
		return nil, false
	}
	j := bytes.IndexByte(s.b[s.i+1:], '"')
	if j < 0 {
		return nil, false
	}
	k := s.b[s.i+1 : s.i+1+j]
	if bytes.IndexByte(k, '\\') >= 0 {
		return nil, false
	}
	s.i += j + 2
	return k, true
}

// skip passes over one value of any kind.
func (s *jsonScanner) skip() bool {
	s.ws()
	switch c := s.peek(); c {
	case '"':
		_, ok := s.str()
		return ok
	case '{', '[':
		close := byte('}')
		if c == '[' {
			close = ']'
		}
		s.i++
		s.ws()
		if s.peek() == close {
			s.i++
			return true
		}
		for {
			if c == '{' {
				if _, ok := s.str(); !ok || !s.expect(':') {
					return false
				}
			}
			if !s.skip() {
				return false
			}
			s.ws()
			switch s.peek() {
			case ',':
				s.i++
			case close:
				s.i++
				return true
			default:
				return false
			}
		}
	default: // number, true, false, null
		j := s.i
		for j < len(s.b) {
			switch s.b[j] {
			case ',', '}', ']', ' ', '\t', '\n', '\r':
				goto done
			}
			j++
		}
	done:
		if j == s.i {
			return false
		}
		s.i = j
		return true
	}
}

// cells reads an array of cell objects (or null).
func (s *jsonScanner) cells() ([]parser.Cell, bool) {
	s.ws()
	if bytes.HasPrefix(s.b[s.i:], []byte("null")) {
		s.i += 4
		return nil, true
	}
	if !s.expect('[') {
		return nil, false
	}
	out := make([]parser.Cell, 0, 200)
	s.ws()
	if s.peek() == ']' {
		s.i++
		return out, true
	}
	for {
		if !s.expect('{') {
			return nil, false
		}
		var c parser.Cell
		s.ws()
		if s.peek() != '}' {
			for {
				key, ok := s.key()
				if !ok || !s.expect(':') {
					return nil, false
				}
				val, ok := s.str()
				if !ok {
					return nil, false
				}
				switch string(key) { // compared without allocating
				case "table":
					c.Table = val
				case "row":
					c.Row = val
				case "column":
					c.Column = val
				case "value":
					c.Value = val
				case "raw":
					c.Raw = val
				case "merged_with":
					c.MergedWith = val
				default:
					return nil, false
				}
				s.ws()
				if s.peek() == ',' {
					s.i++
					continue
				}
				break
			}
		}
		if !s.expect('}') {
			return nil, false
		}
		out = append(out, c)
		s.ws()
		switch s.peek() {
		case ',':
			s.i++
		case ']':
			s.i++
			return out, true
		default:
			return nil, false
		}
	}
}

// releaseEvery is how many records ForEachReportParallel reads between
// calls to releaseMapped.
const releaseEvery = 2048
