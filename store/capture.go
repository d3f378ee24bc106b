package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"runtime"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Capture is the provenance of one fetched body, stored once per distinct
// body (by SHA-256). When the same bytes are fetched again, from the same
// or another URL, the first Capture is kept; the URL's crawl state
// (URLState.SHA256) records the later fetch.
type Capture struct {
	// SHA256 is the lower-case hex SHA-256 of the body. PutCapture computes
	// it; a non-empty value given to PutCapture must match.
	SHA256 string `json:"sha256"`
	// URL is the URL requested; FinalURL the URL after redirects ("" when
	// the same).
	URL      string `json:"url"`
	FinalURL string `json:"final_url,omitempty"`
	// Status is the HTTP status of the response.
	Status int `json:"status"`
	// ContentType, ETag and LastModified are the response headers.
	ContentType  string `json:"content_type,omitempty"`
	ETag         string `json:"etag,omitempty"`
	LastModified string `json:"last_modified,omitempty"`
	// FetchedAt is when the response was received.
	FetchedAt time.Time `json:"fetched_at"`
	// RunID is the run that fetched it ("" for imports).
	RunID string `json:"run_id,omitempty"`
	// Site is the configured site ID that fetched it, if any.
	Site string `json:"site,omitempty"`
	// Agency, Title, LinkText and Published are the hints the parser was
	// given with the body (parser.Source: the configured site name, the
	// page's or its report page's title, the text of the list link that
	// led to it, the listing's date); reparse and check --repair hand them
	// back to the parser. Captures archived before LinkText was kept apart
	// have the link text in Title when the page had no title of its own.
	Agency    string `json:"agency,omitempty"`
	Title     string `json:"title,omitempty"`
	LinkText  string `json:"link_text,omitempty"`
	Published string `json:"published,omitempty"`
	// Rendered is set when the body is a page as rendered by the crawler's
	// browser (its DOM after the scripts ran), not bytes a server sent;
	// RawSHA256 then names the capture of the bytes the server sent for
	// it, "" if none was kept.
	Rendered  bool   `json:"rendered,omitempty"`
	RawSHA256 string `json:"raw_sha256,omitempty"`
	// Size is the body length in bytes and StoredSize its compressed
	// length; both are set by PutCapture.
	Size       int64 `json:"size"`
	StoredSize int64 `json:"stored_size"`
}

// captureValue is the JSON stored in bucketCaptures.
type captureValue struct {
	V int `json:"v"`
	Capture
	Chunks int `json:"chunks"`
}

// CaptureItem is one body and its provenance for PutCaptures.
type CaptureItem struct {
	Capture Capture
	Body    []byte
}

// prepared is a capture ready to be written: hashed and compressed
// outside any transaction.
type prepared struct {
	key []byte // raw SHA-256
	val []byte // captureValue JSON
	z   []byte // compressed body
}

// hash sets p.key and c's SHA256 and Size, and checks a given SHA256.
func (p *prepared) hash(c *Capture, body []byte) error {
	sum := sha256.Sum256(body)
	sha := hex.EncodeToString(sum[:])
	if c.SHA256 != "" && c.SHA256 != sha {
		return fmt.Errorf("put capture %s: %w: body hashes to %s, not %s", c.URL, ErrInvalid, sha, c.SHA256)
	}
	c.SHA256 = sha
	c.Size = int64(len(body))
	p.key = sum[:]
	return nil
}

// compress sets p.z and p.val.
func (p *prepared) compress(cd *codec, c Capture, body []byte) error {
	p.z = cd.compress(body)
	c.StoredSize = int64(len(p.z))
	c.FetchedAt = c.FetchedAt.UTC()
	val, err := json.Marshal(captureValue{V: SchemaVersion, Capture: c, Chunks: max(1, (len(p.z)+chunkSize-1)/chunkSize)})
	if err != nil {
		return fmt.Errorf("put capture %s: %w", c.URL, err)
	}
	p.val = val
	return nil
}

// put writes p unless its key exists; it reports whether it wrote.
func (p prepared) put(tx *bolt.Tx) (bool, error) {
	caps := tx.Bucket(bucketCaptures)
	if caps.Get(p.key) != nil {
		return false, nil
	}
	bodies := tx.Bucket(bucketBodies)
	for i := 0; i*chunkSize < len(p.z) || i == 0; i++ {
		chunk := p.z[i*chunkSize : min(len(p.z), (i+1)*chunkSize)]
		if err := bodies.Put(chunkKey(p.key, i), chunk); err != nil {
			return false, err
		}
	}
	return true, caps.Put(p.key, p.val)
}

// parallel calls fn(i) for every i in idx on up to GOMAXPROCS goroutines
// and returns the first error.
func parallel(idx []int, fn func(i int) error) error {
	var wg sync.WaitGroup
	errs := make([]error, len(idx))
	next := make(chan int)
	for range min(runtime.GOMAXPROCS(0), len(idx)) {
		wg.Go(func() {
			for k := range next {
				errs[k] = fn(idx[k])
			}
		})
	}
	for k := range idx {
		next <- k
	}
	close(next)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// PutCapture stores body, compressed, under its SHA-256 with provenance c,
// in one transaction. If the body is already stored it writes nothing and
// returns isNew false. It returns ErrInvalid if c.SHA256 is set and does
// not match the body.
func (db *DB) PutCapture(c Capture, body []byte) (isNew bool, err error) {
	res, err := db.PutCaptures([]CaptureItem{{Capture: c, Body: body}})
	if err != nil {
		return false, err
	}
	return res[0], nil
}

// PutCaptures stores many bodies in one transaction (one fsync). It
// records no outcome; a crawl writes its bodies with PutDocuments, which
// stores each body with its report and outcome. Bodies are hashed and
// compressed in parallel before the transaction starts, and bodies already
// stored are not compressed again. isNew[i] reports whether items[i] was
// new (an item repeating an earlier one in the same call is not new).
func (db *DB) PutCaptures(items []CaptureItem) (isNew []bool, err error) {
	if db.readOnly {
		return nil, ErrReadOnly
	}
	isNew = make([]bool, len(items))
	preps := make([]prepared, len(items))
	caps := make([]Capture, len(items))
	all := make([]int, len(items))
	for i, it := range items {
		all[i], caps[i] = i, it.Capture
	}
	// Hash everything, then look up which bodies are already stored, then
	// compress only the new ones.
	if err := parallel(all, func(i int) error { return preps[i].hash(&caps[i], items[i].Body) }); err != nil {
		return nil, err
	}
	var fresh []int
	err = db.view(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketCaptures)
		for i := range preps {
			if b.Get(preps[i].key) == nil {
				fresh = append(fresh, i)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("put captures: %w", err)
	}
	if err := parallel(fresh, func(i int) error { return preps[i].compress(db.codec, caps[i], items[i].Body) }); err != nil {
		return nil, err
	}
	err = db.update(func(tx *bolt.Tx) error {
		for _, i := range fresh {
			ok, err := preps[i].put(tx)
			if err != nil {
				return fmt.Errorf("put capture %s (%s): %w", caps[i].URL, caps[i].SHA256, err)
			}
			isNew[i] = ok
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return isNew, nil
}

// HasCapture reports whether a body with the given hex SHA-256 is stored.
func (db *DB) HasCapture(sha string) (bool, error) {
	key, err := shaKey(sha)
	if err != nil {
		return false, err
	}
	var ok bool
	err = db.view(func(tx *bolt.Tx) error {
		ok = tx.Bucket(bucketCaptures).Get(key) != nil
		return nil
	})
	return ok, err
}

// Capture returns the provenance of the body with the given hex SHA-256,
// or ErrNotFound.
func (db *DB) Capture(sha string) (Capture, error) {
	key, err := shaKey(sha)
	if err != nil {
		return Capture{}, err
	}
	var cv captureValue
	err = db.view(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketCaptures).Get(key)
		if v == nil {
			return fmt.Errorf("capture %s: %w", sha, ErrNotFound)
		}
		return decodeCapture(sha, v, &cv)
	})
	return cv.Capture, err
}

func decodeCapture(sha string, v []byte, cv *captureValue) error {
	if err := json.Unmarshal(v, cv); err != nil {
		return fmt.Errorf("capture %s: decode: %w: %w", sha, ErrCorrupt, err)
	}
	return nil
}

// CaptureBody returns the body with the given hex SHA-256, decompressed
// and verified against its hash. It returns ErrNotFound if no such body is
// stored and ErrCorrupt if the stored bytes do not decompress to it.
func (db *DB) CaptureBody(sha string) ([]byte, error) {
	key, err := shaKey(sha)
	if err != nil {
		return nil, err
	}
	var z []byte
	var size int64
	err = db.view(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketCaptures).Get(key)
		if v == nil {
			return fmt.Errorf("capture body %s: %w", sha, ErrNotFound)
		}
		var cv captureValue
		if err := decodeCapture(sha, v, &cv); err != nil {
			return err
		}
		size = cv.Size
		bodies := tx.Bucket(bucketBodies)
		z = make([]byte, 0, cv.StoredSize)
		for i := range max(cv.Chunks, 1) {
			chunk := bodies.Get(chunkKey(key, i))
			if chunk == nil {
				return fmt.Errorf("capture body %s: chunk %d of %d missing: %w", sha, i, cv.Chunks, ErrCorrupt)
			}
			z = append(z, chunk...) // copies: no slice escapes the transaction
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	body, err := db.codec.decompress(z, size)
	if err != nil {
		return nil, fmt.Errorf("capture body %s: decompress: %w: %w", sha, ErrCorrupt, err)
	}
	if sum := sha256.Sum256(body); !bytes.Equal(sum[:], key) {
		return nil, fmt.Errorf("capture body %s: %w: stored body hashes to %x", sha, ErrCorrupt, sum)
	}
	return body, nil
}

// Captures calls fn for every capture's provenance in SHA-256 order,
// checking ctx between items. It stops at and returns the first error
// from fn or ctx. fn must not write to db (it runs inside a read
// transaction); collect and write afterwards.
func (db *DB) Captures(ctx context.Context, fn func(Capture) error) error {
	return db.view(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketCaptures).Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			if err := ctx.Err(); err != nil {
				return err
			}
			var cv captureValue
			if err := decodeCapture(hex.EncodeToString(k), v, &cv); err != nil {
				return err
			}
			if err := fn(cv.Capture); err != nil {
				return err
			}
		}
		return nil
	})
}
