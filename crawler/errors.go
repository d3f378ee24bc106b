package crawler

import (
	"errors"
	"fmt"
)

// Sentinel errors. A *FetchError wraps one of them (or a network error) as its
// Err, so callers test the cause with errors.Is.
var (
	// ErrRobotsDisallowed means robots.txt disallows the URL; it was never
	// requested.
	ErrRobotsDisallowed = errors.New("crawler: disallowed by robots.txt")

	// ErrRobotsUnreachable means the host's robots.txt could not be read
	// (a 5xx answer, a network error or timeout, more than five redirects):
	// RFC 9309 §2.3.1.4 asks to assume complete disallow, so no URL of the
	// host is requested in this run. The URLs fail with reason
	// "robots: unreachable" and are retried by the next run.
	ErrRobotsUnreachable = errors.New("crawler: robots.txt unreachable, host disallowed for this run")

	// ErrBlocked means the server answered with an anti-bot challenge or a
	// block page (瑞数 $_ts, 加速乐 __jsluid, 网站卫士, a 403 wall, a tiny
	// JS-only page…). Such a response is never delivered as a document.
	ErrBlocked = errors.New("crawler: blocked by the site")

	// ErrTruncated means the body was longer than Options.MaxBodySize, or
	// shorter than its Content-Length; it is never delivered as complete.
	ErrTruncated = errors.New("crawler: body truncated")

	// ErrOffsiteRedirect means a redirect pointed outside the site's allowed
	// domains and was not followed.
	ErrOffsiteRedirect = errors.New("crawler: redirect leaves the allowed domains")

	// ErrStatus means the final response had an unexpected HTTP status (after
	// retries for 429 and 5xx); FetchError.Status holds it.
	ErrStatus = errors.New("crawler: unexpected HTTP status")

	// ErrBudget means a limit of the crawl budget (Budget) was reached: the
	// run, or one column's pagination, stopped there. FetchError.Reason
	// names the limit ("budget: max_pages 3000 reached").
	ErrBudget = errors.New("crawler: crawl budget reached")

	// ErrInvalidSite means a Site failed validation (no name, no start URL,
	// a bad URL or pattern).
	ErrInvalidSite = errors.New("crawler: invalid site")
)

// FetchError is the failure of one URL. Fetch returns these, joined, for
// every URL that finally failed.
type FetchError struct {
	// URL is the URL that failed.
	URL string
	// Status is the final HTTP status, 0 when no response was received.
	Status int
	// Reason is the short failure class also used in Stats.Failures and
	// Event.Reason: "robots", "robots: unreachable", "blocked: <kind>",
	// "http <status>", "budget: <limit> reached", and for transfers that
	// got no usable response what happened on the wire: "truncated",
	// "reset", "timeout", "bad encoding", "dns", "refused", "tls",
	// "redirects", "offsite redirect", "network"; "invalid url" for a URL
	// that cannot be requested.
	Reason string
	// Err is the cause: one of the sentinels above or a network error.
	Err error
}

// Error implements error.
func (e *FetchError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("crawler: fetch %s: %s", e.URL, e.Reason)
	}
	return fmt.Sprintf("crawler: fetch %s: %s: %v", e.URL, e.Reason, e.Err)
}

// Unwrap returns the cause.
func (e *FetchError) Unwrap() error { return e.Err }
