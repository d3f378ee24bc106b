package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"nianbao/crawler"
	"nianbao/store"
)

// storeState implements crawler.State on the store: URL records become
// store.URLStates, and queue items become entries of the store's per-site
// queue. One entry holds the items of one crawler Enqueue call (a list
// page's links, up to maxEntryBytes of JSON), so that a resumed run knows
// each URL's kind, parent and link text, and so that an entry is written
// once and removed once per list page rather than per URL: each store write
// is an fsync'd transaction. An entry is removed when its last item is
// done; the items of a partly done entry that come back on resume are
// skipped by the crawler, whose records say they were fetched in the run.
//
// Writes are buffered and written in batches (at most flushEvery apart, or
// flushCount changes), in the order the crawler made them: queue additions,
// then URL records, then queue removals. An entry added and removed within
// one batch never reaches the file. A crash loses at most the last batch,
// which only means that some URLs are fetched again on resume: an entry is
// removed only together with, or after, the entries its pages added. Flush
// writes the buffer now; the crawl command calls it after every site.
//
// A URL's record (validators, body hash) reaches the store only after the
// pipeline committed what its body produced (the crawler calls Done after
// Sink.Handle returned), so a stored record always names a body with an
// outcome; a 304 can be trusted. For records written by older versions,
// Done checks every 304 (notModified).
type storeState struct {
	db *store.DB
	// notModified, when set, is called by Done for every URL that answered
	// 304, before its record is buffered: the pipeline makes sure the body
	// the record names has its outcome (pipeline.settleURL).
	notModified func(site string, rec crawler.Record) error
	// hook, when set (tests only), is called with "flushed" after each
	// batch reached the store.
	hook func(point string)

	mu sync.Mutex // protects the fields below
	// queues holds each loaded site's queue: Item.Key() → entry.
	queues map[string]map[string]queueEntry
	// records are URL records not yet written, by key.
	records map[string]store.URLState
	// flushing are the records of the batch being written, consulted by
	// Lookup until the write is done.
	flushing map[string]store.URLState
	// adds and removes are the queue entries not yet written, per site, by
	// encoded entry.
	adds    map[string]map[string]bool
	removes map[string]map[string]bool
	changes int
	last    time.Time

	flushMu sync.Mutex // serialises flushes, so batches land in order
}

// queueEntry is one queued item, its JSON encoding and the store entry
// that holds it.
type queueEntry struct {
	item  crawler.Item
	enc   string
	entry *storeEntry
}

// storeEntry is one entry of the store's queue: a JSON array of items.
type storeEntry struct {
	enc  string
	live int // items of the entry not yet done or replaced
}

const (
	flushEvery = 500 * time.Millisecond
	flushCount = 512
	// maxEntryBytes keeps an entry well below bbolt's 32 KiB key limit
	// (the store indexes queue entries by value).
	maxEntryBytes = 16 << 10
)

var _ crawler.State = (*storeState)(nil)

func newStoreState(db *store.DB) *storeState {
	return &storeState{db: db, queues: map[string]map[string]queueEntry{}, records: map[string]store.URLState{},
		adds: map[string]map[string]bool{}, removes: map[string]map[string]bool{}, last: time.Now()}
}

// storedItem is the JSON form of a crawler.Item in the store's queue.
type storedItem struct {
	URL       string       `json:"u"`
	Method    string       `json:"m,omitempty"`
	Form      string       `json:"f,omitempty"`
	Kind      crawler.Kind `json:"k,omitempty"`
	Parent    string       `json:"p,omitempty"`
	LinkText  string       `json:"t,omitempty"`
	Published string       `json:"d,omitempty"`
	Run       time.Time    `json:"r"`
	Attempts  int          `json:"a,omitempty"`
	Failure   string       `json:"e,omitempty"`
	Depth     int          `json:"pd,omitempty"`
	Stale     int          `json:"ps,omitempty"`
}

func encodeItem(it crawler.Item) (string, error) {
	b, err := json.Marshal(storedItem{it.URL, it.Method, it.Form, it.Kind, it.Parent, it.LinkText, it.Published, it.Run.UTC(), it.Attempts, it.Failure, it.Depth, it.Stale})
	return string(b), err
}

func decodeItem(s string) (crawler.Item, error) {
	var si storedItem
	if !strings.HasPrefix(s, "{") {
		// A plain URL queued by another tool: a list page to fetch.
		return crawler.Item{URL: s, Kind: crawler.KindList}, nil
	}
	if err := json.Unmarshal([]byte(s), &si); err != nil {
		return crawler.Item{}, err
	}
	return crawler.Item{URL: si.URL, Method: si.Method, Form: si.Form, Kind: si.Kind, Parent: si.Parent,
		LinkText: si.LinkText, Published: si.Published, Run: si.Run, Attempts: si.Attempts, Failure: si.Failure,
		Depth: si.Depth, Stale: si.Stale}, nil
}

// decodeEntry reads a store queue entry: a JSON array of items, one JSON
// item, or a plain URL queued by another tool (a list page to fetch).
func decodeEntry(s string) ([]crawler.Item, error) {
	switch {
	case strings.HasPrefix(s, "["):
		var raw []json.RawMessage
		if err := json.Unmarshal([]byte(s), &raw); err != nil {
			return nil, err
		}
		items := make([]crawler.Item, 0, len(raw))
		for _, r := range raw {
			it, err := decodeItem(string(r))
			if err != nil {
				return nil, err
			}
			items = append(items, it)
		}
		return items, nil
	case strings.HasPrefix(s, "{"):
		it, err := decodeItem(s)
		return []crawler.Item{it}, err
	}
	return []crawler.Item{{URL: s, Kind: crawler.KindList}}, nil
}

// queue returns site's queue, loading it from the store on first use;
// s.mu must be held.
func (s *storeState) queue(site string) (map[string]queueEntry, error) {
	if q, ok := s.queues[site]; ok {
		return q, nil
	}
	pending, err := s.db.Pending(site)
	if err != nil {
		return nil, fmt.Errorf("read queue of %s: %w", site, err)
	}
	q := map[string]queueEntry{}
	s.queues[site] = q
	for _, enc := range pending {
		items, err := decodeEntry(enc)
		if err != nil {
			// Unreadable entry: drop it from the store, keep going.
			s.remove(site, enc)
			continue
		}
		e := &storeEntry{enc: enc}
		for _, it := range items {
			ienc, err := encodeItem(it)
			if err != nil {
				continue
			}
			s.release(site, q, it.Key()) // a later entry replaces an earlier one
			q[it.Key()] = queueEntry{item: it, enc: ienc, entry: e}
			e.live++
		}
		if e.live == 0 {
			s.remove(site, enc)
		}
	}
	return q, nil
}

// release drops key from q, removing its store entry when that was the
// entry's last live item; s.mu must be held.
func (s *storeState) release(site string, q map[string]queueEntry, key string) {
	old, ok := q[key]
	if !ok {
		return
	}
	delete(q, key)
	old.entry.live--
	if old.entry.live == 0 {
		s.remove(site, old.entry.enc)
	}
}

// add and remove record queue changes; s.mu must be held. Removing an entry
// whose addition is still buffered cancels both.
func (s *storeState) add(site, enc string) {
	if s.removes[site][enc] {
		delete(s.removes[site], enc)
	}
	if s.adds[site] == nil {
		s.adds[site] = map[string]bool{}
	}
	s.adds[site][enc] = true
	s.changes++
}

func (s *storeState) remove(site, enc string) {
	if s.adds[site][enc] {
		delete(s.adds[site], enc)
		return
	}
	if s.removes[site] == nil {
		s.removes[site] = map[string]bool{}
	}
	s.removes[site][enc] = true
	s.changes++
}

// Lookup implements crawler.State.
func (s *storeState) Lookup(key string) (crawler.Record, bool, error) {
	s.mu.Lock()
	us, ok := s.records[key]
	if !ok {
		us, ok = s.flushing[key]
	}
	s.mu.Unlock()
	if !ok {
		var err error
		us, err = s.db.URLState(key)
		if errors.Is(err, store.ErrNotFound) {
			return crawler.Record{}, false, nil
		}
		if err != nil {
			return crawler.Record{}, false, err
		}
	}
	return crawler.Record{Key: key, URL: urlOfKey(key), Kind: crawler.Kind(us.Kind), FetchedAt: us.LastFetched, Status: us.LastStatus,
		ETag: us.ETag, LastModified: us.LastModified, SHA256: us.SHA256, Failure: us.LastError, Attachments: us.Attachments}, true, nil
}

// urlOfKey returns the URL of an Item.Key ("POST url\nform" for a POST).
func urlOfKey(key string) string {
	if rest, ok := strings.CutPrefix(key, "POST "); ok {
		u, _, _ := strings.Cut(rest, "\n")
		return u
	}
	return key
}

// Enqueue implements crawler.State.
func (s *storeState) Enqueue(site string, items []crawler.Item) error {
	s.mu.Lock()
	q, err := s.queue(site)
	if err != nil {
		s.mu.Unlock()
		return err
	}
	var chunk []queueEntry
	size := 0
	cut := func() {
		if len(chunk) == 0 {
			return
		}
		encs := make([]string, len(chunk))
		for i, c := range chunk {
			encs[i] = c.enc
		}
		e := &storeEntry{enc: "[" + strings.Join(encs, ",") + "]", live: len(chunk)}
		for _, c := range chunk {
			c.entry = e
			q[c.item.Key()] = c
		}
		s.add(site, e.enc)
		chunk, size = chunk[:0], 0
	}
	seen := map[string]bool{}
	for _, it := range items {
		enc, err := encodeItem(it)
		if err != nil {
			s.mu.Unlock()
			return fmt.Errorf("queue %s: %w", it.URL, err)
		}
		k := it.Key()
		if old, ok := q[k]; (ok && old.enc == enc) || seen[k] {
			continue
		}
		seen[k] = true
		s.release(site, q, k)
		if size+len(enc) > maxEntryBytes {
			cut()
		}
		chunk = append(chunk, queueEntry{item: it, enc: enc})
		size += len(enc) + 1
	}
	cut()
	due := s.dueLocked()
	s.mu.Unlock()
	if due {
		return s.Flush()
	}
	return nil
}

// Done implements crawler.State.
func (s *storeState) Done(site string, rec crawler.Record) error {
	if rec.Status == http.StatusNotModified && s.notModified != nil {
		if err := s.notModified(site, rec); err != nil {
			return err
		}
	}
	s.mu.Lock()
	q, err := s.queue(site)
	if err != nil {
		s.mu.Unlock()
		return err
	}
	s.release(site, q, rec.Key)
	attempts := 0
	if rec.Failure != "" {
		prev, ok := s.records[rec.Key]
		if !ok {
			prev, ok = s.flushing[rec.Key]
		}
		if !ok {
			prev, _ = s.db.URLState(rec.Key) // zero when not found
		}
		attempts = prev.Attempts + 1
	}
	s.records[rec.Key] = store.URLState{URL: rec.Key, Site: site, Kind: string(rec.Kind), ETag: rec.ETag, LastModified: rec.LastModified,
		SHA256: rec.SHA256, LastStatus: rec.Status, LastError: rec.Failure, Attempts: attempts, LastFetched: rec.FetchedAt,
		Attachments: rec.Attachments}
	s.changes++
	due := s.dueLocked()
	s.mu.Unlock()
	if due {
		return s.Flush()
	}
	return nil
}

// Drop implements crawler.State.
func (s *storeState) Drop(site string, keys []string) error {
	s.mu.Lock()
	q, err := s.queue(site)
	if err != nil {
		s.mu.Unlock()
		return err
	}
	for _, k := range keys {
		s.release(site, q, k)
	}
	due := s.dueLocked()
	s.mu.Unlock()
	if due {
		return s.Flush()
	}
	return nil
}

// Queue implements crawler.State.
func (s *storeState) Queue(site string) ([]crawler.Item, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	q, err := s.queue(site)
	if err != nil {
		return nil, err
	}
	out := make([]crawler.Item, 0, len(q))
	for _, e := range q {
		out = append(out, e.item)
	}
	return out, nil
}

// dueLocked reports whether the buffer should be written; s.mu must be
// held.
func (s *storeState) dueLocked() bool {
	return s.changes >= flushCount || (s.changes > 0 && time.Since(s.last) >= flushEvery)
}

// Flush writes the buffered changes to the store.
func (s *storeState) Flush() error {
	s.flushMu.Lock()
	defer s.flushMu.Unlock()
	s.mu.Lock()
	adds, removes, recs := s.adds, s.removes, s.records
	s.adds, s.removes, s.records = map[string]map[string]bool{}, map[string]map[string]bool{}, map[string]store.URLState{}
	s.flushing = recs
	s.changes = 0
	s.last = time.Now()
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.flushing = nil
		s.mu.Unlock()
	}()

	for site, set := range adds {
		if len(set) == 0 {
			continue
		}
		encs := make([]string, 0, len(set))
		for enc := range set {
			encs = append(encs, enc)
		}
		if _, err := s.db.Enqueue(site, encs...); err != nil {
			return err
		}
	}
	if len(recs) > 0 {
		states := make([]store.URLState, 0, len(recs))
		for _, us := range recs {
			states = append(states, us)
		}
		if err := s.db.SetURLStates(states); err != nil {
			return err
		}
	}
	for site, set := range removes {
		for enc := range set {
			if err := s.db.Done(site, enc); err != nil {
				return err
			}
		}
	}
	if s.hook != nil {
		s.hook("flushed")
	}
	return nil
}
