package crawler

import (
	"maps"
	"time"
)

// EventType says what happened in an Event.
type EventType string

// The event types.
const (
	// EventStart is sent once when Fetch starts on a site (Stats.Resumed
	// says whether it resumes an interrupted run).
	EventStart EventType = "start"
	// EventDocument is sent after a document was handed to the Sink.
	EventDocument EventType = "document"
	// EventNotModified is sent when a report page or attachment answered 304.
	EventNotModified EventType = "not-modified"
	// EventFailure is sent when a URL finally failed (after retries) or was
	// skipped (robots); Reason and Err say why.
	EventFailure EventType = "failure"
	// EventRetry is sent before a retry of a URL after a timeout, 429 or 5xx.
	EventRetry EventType = "retry"
	// EventDone is sent once when Fetch returns, with the final Stats.
	EventDone EventType = "done"
)

// Event is a progress report. Options.OnEvent receives them one at a time
// (calls are serialised), from the crawler's goroutines; it must not block
// for long.
type Event struct {
	Type EventType
	// Site is the Site.Name.
	Site string
	// URL and Kind are the URL concerned ("" for EventStart and EventDone).
	URL  string
	Kind Kind
	// Status is the HTTP status, if any.
	Status int
	// Reason is the failure or retry reason ("robots", "blocked: ruishu",
	// "http 503", "timeout"…), "" otherwise.
	Reason string
	// Err is the failure's error (a *FetchError for EventFailure).
	Err error
	// Document is the delivered document for EventDocument, without its
	// Body (nil) so that progress consumers never retain bodies.
	Document *Document
	// Stats are the running totals of the site at the time of the event.
	Stats Stats
	// Hosts is the state of the Crawler's requests over all sites at the
	// time of the event: hosts active and waiting, requests in flight.
	Hosts HostStats
}

// Stats are the counters of one Fetch.
type Stats struct {
	// Site is the Site.Name.
	Site string
	// Resumed is true when the run resumed an interrupted run's queue instead
	// of starting from the start pages.
	Resumed bool
	// Requests counts HTTP exchanges for pages (attempts included, robots.txt
	// excluded), the requests of pages rendered in the browser included.
	Requests int
	// Retries counts retried attempts (included in Requests).
	Retries int
	// Bytes is the total size of the bodies received.
	Bytes int64
	// Lists counts list pages and list API responses fetched.
	Lists int
	// Reports counts report pages delivered; Attachments counts attachments
	// delivered.
	Reports     int
	Attachments int
	// New, Changed and Unchanged split the delivered reports and attachments
	// by their hash against State: first capture, different hash, same hash.
	New       int
	Changed   int
	Unchanged int
	// NotModified counts reports and attachments that answered 304.
	NotModified int
	// Failed counts URLs that finally failed; Failures counts them by
	// reason ("robots", "blocked: ruishu", "truncated", "http 404"…).
	Failed   int
	Failures map[string]int
	// Rendered counts the pages rendered in the browser (Options.Browser);
	// Challenges counts the anti-bot challenges the browser passed.
	Rendered   int
	Challenges int
	// Pending is the number of items left in the site's queue when Fetch
	// returned: non-zero after an interruption; they are resumed by the
	// next Fetch. After a run-wide budget limit (MaxPages, MaxDuration) the
	// queue is dropped and Pending is 0.
	Pending int
	// Started and Finished bound the run (Finished is zero while it runs).
	Started  time.Time
	Finished time.Time
}

// clone returns a copy of s that shares no map with it.
func (s Stats) clone() Stats {
	s.Failures = maps.Clone(s.Failures)
	return s
}
