package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// URLState is what the crawler knows about one URL across runs: the
// validators for conditional requests and the last outcome.
type URLState struct {
	URL  string `json:"url"`
	Site string `json:"site,omitempty"`
	// Kind is what the URL was to the crawl when last handled: "list",
	// "report" or "attachment" ("" in files written before it was kept).
	Kind string `json:"kind,omitempty"`
	// ETag and LastModified are the validators of the last 200 response,
	// sent back as If-None-Match / If-Modified-Since.
	ETag         string `json:"etag,omitempty"`
	LastModified string `json:"last_modified,omitempty"`
	// SHA256 is the body of the last 200 response (a capture key).
	SHA256 string `json:"sha256,omitempty"`
	// LastStatus is the last HTTP status (304 included); 0 when the last
	// attempt got no response. LastError is its error, "" on success.
	LastStatus int    `json:"last_status,omitempty"`
	LastError  string `json:"last_error,omitempty"`
	// Attempts counts consecutive failed attempts; the crawler resets it
	// to 0 on success.
	Attempts int `json:"attempts,omitempty"`
	// FirstSeen is when the URL was first stored (kept by SetURLState);
	// LastFetched when it was last requested.
	FirstSeen   time.Time `json:"first_seen"`
	LastFetched time.Time `json:"last_fetched"`
	// Attachments are the attachment URLs the last good body linked, so a
	// report page that answers 304 can still have its attachments checked.
	Attachments []string `json:"attachments,omitempty"`
}

type urlValue struct {
	V int `json:"v"`
	URLState
}

// URLState returns the stored state of url, or ErrNotFound for a URL
// never seen.
func (db *DB) URLState(url string) (URLState, error) {
	var uv urlValue
	err := db.view(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketURLs).Get([]byte(url))
		if v == nil {
			return fmt.Errorf("url state %s: %w", url, ErrNotFound)
		}
		if err := json.Unmarshal(v, &uv); err != nil {
			return fmt.Errorf("url state %s: decode: %w: %w", url, ErrCorrupt, err)
		}
		return nil
	})
	return uv.URLState, err
}

// SetURLState stores s as the state of url (s.URL is set to url). The
// FirstSeen of an existing state is kept; for a new one it defaults to now.
func (db *DB) SetURLState(url string, s URLState) error {
	s.URL = url
	return db.SetURLStates([]URLState{s})
}

// SetURLStates stores many states (keyed by their URL fields) in one
// transaction.
func (db *DB) SetURLStates(states []URLState) error {
	err := db.update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketURLs)
		for _, s := range states {
			if s.URL == "" {
				return fmt.Errorf("url state: %w: empty URL", ErrInvalid)
			}
			k := []byte(s.URL)
			if old := b.Get(k); old != nil {
				var ov urlValue
				if json.Unmarshal(old, &ov) == nil && !ov.FirstSeen.IsZero() {
					s.FirstSeen = ov.FirstSeen
				}
			}
			if s.FirstSeen.IsZero() {
				s.FirstSeen = time.Now()
			}
			s.FirstSeen = s.FirstSeen.UTC()
			s.LastFetched = s.LastFetched.UTC()
			v, err := json.Marshal(urlValue{V: SchemaVersion, URLState: s})
			if err != nil {
				return err
			}
			if err := b.Put(k, v); err != nil {
				return fmt.Errorf("url state %s: %w", s.URL, err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("set url states: %w", err)
	}
	return nil
}

// ForEachURL calls fn for every URL state in URL order, checking ctx
// between items. fn must not write to db.
func (db *DB) ForEachURL(ctx context.Context, fn func(URLState) error) error {
	return db.view(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketURLs).Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			if err := ctx.Err(); err != nil {
				return err
			}
			var uv urlValue
			if err := json.Unmarshal(v, &uv); err != nil {
				return fmt.Errorf("url state %s: decode: %w: %w", k, ErrCorrupt, err)
			}
			if err := fn(uv.URLState); err != nil {
				return err
			}
		}
		return nil
	})
}

// Enqueue appends urls to site's persistent queue, skipping those already
// queued for the site, and returns how many it added. The queue survives
// restarts: a crawl that is interrupted resumes from Pending.
func (db *DB) Enqueue(site string, urls ...string) (added int, err error) {
	sk, err := siteKey(site)
	if err != nil {
		return 0, err
	}
	err = db.update(func(tx *bolt.Tx) error {
		q, idx := tx.Bucket(bucketQueue), tx.Bucket(bucketQueued)
		added = 0
		for _, u := range urls {
			if u == "" {
				return fmt.Errorf("enqueue %s: %w: empty URL", site, ErrInvalid)
			}
			ik := append(bytes.Clone(sk), u...)
			if idx.Get(ik) != nil {
				continue
			}
			seq, err := q.NextSequence()
			if err != nil {
				return err
			}
			sb := binary.BigEndian.AppendUint64(nil, seq)
			if err := q.Put(append(bytes.Clone(sk), sb...), []byte(u)); err != nil {
				return err
			}
			if err := idx.Put(ik, sb); err != nil {
				return err
			}
			added++
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("enqueue %s: %w", site, err)
	}
	return added, nil
}

// Pending returns site's queued URLs in the order they were enqueued.
func (db *DB) Pending(site string) ([]string, error) {
	sk, err := siteKey(site)
	if err != nil {
		return nil, err
	}
	var urls []string
	err = db.view(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketQueue).Cursor()
		for k, v := c.Seek(sk); k != nil && bytes.HasPrefix(k, sk); k, v = c.Next() {
			urls = append(urls, string(v))
		}
		return nil
	})
	return urls, err
}

// Done removes url from site's queue. Removing a URL that is not queued
// is not an error.
func (db *DB) Done(site, url string) error {
	sk, err := siteKey(site)
	if err != nil {
		return err
	}
	err = db.update(func(tx *bolt.Tx) error {
		q, idx := tx.Bucket(bucketQueue), tx.Bucket(bucketQueued)
		ik := append(bytes.Clone(sk), url...)
		sb := idx.Get(ik)
		if sb == nil {
			return nil
		}
		qk := append(bytes.Clone(sk), sb...)
		if err := q.Delete(qk); err != nil {
			return err
		}
		return idx.Delete(ik)
	})
	if err != nil {
		return fmt.Errorf("done %s %s: %w", site, url, err)
	}
	return nil
}
