package crawler

import (
	"sort"
	"sync"
	"time"
)

// State is the persistent memory of the crawler between runs: what it
// recorded about each URL (validators, content hash, last outcome) and each
// site's pending queue. The nianbao command implements it on top of its
// store; MemState is an in-memory implementation for tests and one-shot use.
//
// The crawler calls State from several goroutines at once, so
// implementations must be safe for concurrent use. Keys are Item.Key() (the
// URL, plus the form for a POST). Calls are per URL and small; a disk-backed
// implementation may batch them (bbolt's DB.Batch) for speed.
type State interface {
	// Lookup returns what was recorded for key by Done, and ok=false if
	// nothing was.
	Lookup(key string) (rec Record, ok bool, err error)
	// Enqueue adds items to site's pending queue, replacing items with the
	// same Key().
	Enqueue(site string, items []Item) error
	// Done records rec for rec.Key and removes that key from site's pending
	// queue, in one step if the implementation can. It is called once for
	// every URL handled: fetched, not modified (304) or failed. A failed URL
	// worth retrying in the next run is enqueued again right after, with
	// Item.Failure set.
	Done(site string, rec Record) error
	// Queue returns site's pending items, in any order.
	Queue(site string) ([]Item, error)
	// Drop removes keys from site's pending queue without recording
	// anything for them; unknown keys are ignored. The crawler drops the
	// queue of a run that exhausted its budget.
	Drop(site string, keys []string) error
}

// Item is one pending URL of a site's queue: everything needed to fetch it
// again in a later run.
type Item struct {
	// URL is the absolute URL to fetch.
	URL string
	// Method is "GET" or "POST"; "" means GET.
	Method string
	// Form is the url-encoded body of a POST ("" for GET).
	Form string
	// Kind is what the URL is expected to be.
	Kind Kind
	// Parent is the URL of the page that linked it ("" for start pages).
	Parent string
	// LinkText is the anchor text or list-API title that led to it.
	LinkText string
	// Published is the publication date hint from the list, if any.
	Published string
	// Run is the start time of the crawl run that queued the item. On resume,
	// URLs recorded (Record.FetchedAt) at or after it are not fetched again.
	Run time.Time
	// Attempts counts the consecutive runs in which the item has failed; an
	// item that failed in 5 runs is no longer queued for retry.
	Attempts int
	// Failure is the reason of the item's last failure; "" for an item that
	// has not failed. Items with a Failure are retries from an earlier run.
	Failure string
	// Depth is the number of pagination links followed from the first page
	// of the item's column to reach it (0 for a column's first page and for
	// everything that is not a list page); Stale counts the consecutive
	// pages before it in the column that brought no new report. Both feed
	// the Budget.
	Depth int
	Stale int
}

// Key identifies the item in State: the URL for a GET, "POST " + URL + "\n"
// + Form for a POST.
func (it Item) Key() string {
	if it.Method == "" || it.Method == "GET" {
		return it.URL
	}
	return it.Method + " " + it.URL + "\n" + it.Form
}

// Record is what the crawler remembers about one URL after fetching it.
type Record struct {
	// Key is the Item.Key() of the URL.
	Key string
	// URL is the URL.
	URL string
	// Kind is what the URL was.
	Kind Kind
	// FetchedAt is when it was last handled (fetched, found not modified, or
	// failed).
	FetchedAt time.Time
	// Status is the last HTTP status (0 when there was no response).
	Status int
	// ETag and LastModified are the validators of the last good response;
	// they are kept across failures and 304s.
	ETag         string
	LastModified string
	// SHA256 is the hex SHA-256 of the last good body; kept across failures
	// and 304s.
	SHA256 string
	// Failure is the reason of the last failure; "" when the last fetch
	// succeeded (or was not modified).
	Failure string
	// Attachments are the attachment URLs linked from the last good body of
	// a report page. When the page answers 304 they are re-validated
	// (conditionally) without the body. A State that does not keep them only
	// loses that re-validation.
	Attachments []string
}

// MemState is an in-memory State. The zero value is not usable; call
// NewMemState. It is safe for concurrent use.
type MemState struct {
	mu sync.Mutex // protects records and queues
	// records maps Item.Key() to the last Record.
	records map[string]Record
	// queues maps a site name to its pending items by Item.Key().
	queues map[string]map[string]Item
}

// NewMemState returns an empty MemState.
func NewMemState() *MemState {
	return &MemState{records: map[string]Record{}, queues: map[string]map[string]Item{}}
}

var _ State = (*MemState)(nil)

// Lookup implements State.
func (m *MemState) Lookup(key string) (Record, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.records[key]
	return r, ok, nil
}

// Enqueue implements State.
func (m *MemState) Enqueue(site string, items []Item) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	q := m.queues[site]
	if q == nil {
		q = map[string]Item{}
		m.queues[site] = q
	}
	for _, it := range items {
		q[it.Key()] = it
	}
	return nil
}

// Done implements State.
func (m *MemState) Done(site string, rec Record) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.records[rec.Key] = rec
	delete(m.queues[site], rec.Key)
	return nil
}

// Drop implements State.
func (m *MemState) Drop(site string, keys []string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, k := range keys {
		delete(m.queues[site], k)
	}
	return nil
}

// Queue implements State. Items come sorted by key.
func (m *MemState) Queue(site string) ([]Item, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	q := m.queues[site]
	out := make([]Item, 0, len(q))
	for _, it := range q {
		out = append(out, it)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key() < out[j].Key() })
	return out, nil
}
