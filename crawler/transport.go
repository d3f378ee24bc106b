package crawler

import (
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptrace"
	"strconv"
	"strings"
	"time"
)

// origContentType is the header under which retryTransport keeps the
// Content-Type as served when it removes the charset parameter. colly
// transcodes a body whose Content-Type names a charset before any callback
// sees it; with the parameter removed (and DetectCharset off) colly leaves
// the body raw, so the crawler can deliver the bytes as served and decode
// them itself.
const origContentType = "X-Nianbao-Content-Type"

// retryTransport is the http.RoundTripper under colly. Per attempt it waits
// for the host's turn at the Crawler's gate (hosts.go) and applies the
// timeout; it retries timeouts, network errors, 408, 429 and 5xx (except
// 501 and the 521 challenge) with exponential backoff or the server's
// Retry-After, both capped. A backoff holds no place at the gate.
type retryTransport struct {
	base http.RoundTripper
	// gate and pol schedule every attempt by host: the site's delay,
	// jitter and parallelism, shared with every other Fetch of the
	// Crawler on the same host. A nil gate sends at once (tests).
	gate    *hostGate
	pol     policy
	retries int
	backoff time.Duration
	maxWait time.Duration
	timeout time.Duration
	// onAttempt is called before every attempt of a page request.
	onAttempt func(req *http.Request)
	// runCtx bounds requests made without a context (colly fetches
	// robots.txt with http.NewRequest), so that they stop on cancel.
	runCtx context.Context
	// onRetry is called before waiting for a retry.
	onRetry func(req *http.Request, reason string, status int, wait time.Duration)
	// readBody, when set, reads the body of a final response that is not
	// a redirect, within the attempt's time (see body.go); its error fails
	// the request, without a retry. A body it keeps for the Sink keeps
	// the attempt's document share of the gate (gateSlot.keep).
	readBody func(req *http.Request, resp *http.Response, slot *gateSlot) error
}

// retryable reports whether a status is worth another attempt.
func retryable(status int) bool {
	return status == http.StatusRequestTimeout || status == http.StatusTooManyRequests ||
		(status >= 500 && status != http.StatusNotImplemented && status != 521 && status < 600)
}

// RoundTrip implements http.RoundTripper.
func (t *retryTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	parent := req.Context()
	if parent == context.Background() && t.runCtx != nil {
		parent = t.runCtx
	}
	// A document is a page or attachment whose body goes to the Sink;
	// robots.txt and the browser's requests are none.
	doc := req.Context().Value(noReadKey{}) == nil && req.Header.Get(browserMarker) == ""
	for attempt := 0; ; attempt++ {
		var slot *gateSlot
		if t.gate != nil {
			var err error
			if slot, err = t.gate.acquire(parent, hostKey(req.URL), t.pol, doc); err != nil {
				return nil, err
			}
		}
		if t.onAttempt != nil && req.URL.Path != "/robots.txt" {
			t.onAttempt(req)
		}
		// The attempt's time starts when it may be sent, not while it
		// waits for its host.
		ctx, cancel := context.WithTimeout(parent, t.timeout)
		if slot != nil {
			// The host's next delay counts from when this request was
			// written, after any dial.
			ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{WroteRequest: func(httptrace.WroteRequestInfo) { slot.started() }})
		}
		r := req.Clone(ctx)
		r.Header.Del(browserMarker) // for the redirect handler only
		if attempt > 0 && req.Body != nil && req.GetBody != nil {
			b, err := req.GetBody()
			if err != nil {
				cancel()
				slot.close()
				return nil, err
			}
			r.Body = b
		}
		resp, err := t.base.RoundTrip(r)
		last := attempt >= t.retries || (req.Body != nil && req.GetBody == nil)
		var reason string
		var wait time.Duration
		status := 0
		if err != nil {
			cancel()
			slot.close()
			if parent.Err() != nil || last {
				return nil, err
			}
			reason = "network"
			var ne net.Error
			if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
				reason = "timeout"
			}
		} else {
			if !retryable(resp.StatusCode) || last {
				keepContentType(resp.Header)
				// The attempt ends when its body is closed: read by
				// readBody, or by its caller (robots.txt, a redirect).
				resp.Body = &cancelBody{ReadCloser: resp.Body, cancel: cancel, slot: slot}
				if t.readBody != nil && !isRedirect(resp) {
					if err := t.readBody(r, resp, slot); err != nil {
						resp.Body.Close()
						return nil, err
					}
				}
				return resp, nil
			}
			status = resp.StatusCode
			reason = "http " + strconv.Itoa(status)
			wait = retryAfter(resp.Header.Get("Retry-After"), time.Now())
			// Drain a little so the connection can be reused, then drop it.
			_, _ = io.CopyN(io.Discard, resp.Body, 64<<10)
			resp.Body.Close()
			cancel()
			slot.close()
		}
		if wait <= 0 {
			wait = t.backoff << attempt
			wait += time.Duration(rand.Int64N(int64(wait)/4 + 1))
		}
		wait = min(wait, t.maxWait)
		if t.onRetry != nil {
			t.onRetry(req, reason, status, wait)
		}
		tm := time.NewTimer(wait)
		select {
		case <-parent.Done():
			tm.Stop()
			return nil, parent.Err()
		case <-tm.C:
		}
	}
}

// isRedirect reports whether the client will follow resp (or refuse to).
func isRedirect(resp *http.Response) bool {
	switch resp.StatusCode {
	case http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther, http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
		return resp.Header.Get("Location") != ""
	}
	return false
}

// retryAfter parses a Retry-After value (seconds or an HTTP date); zero when
// absent or invalid.
func retryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil {
		if s < 0 {
			return 0
		}
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d
		}
	}
	return 0
}

// keepContentType moves a Content-Type with a charset parameter aside (see
// origContentType) and leaves only the media type in Content-Type.
func keepContentType(h http.Header) {
	ct := h.Get("Content-Type")
	if !strings.Contains(strings.ToLower(ct), "charset") {
		return
	}
	mt := ct
	if i := strings.IndexByte(ct, ';'); i >= 0 {
		mt = strings.TrimSpace(ct[:i])
	}
	h.Set(origContentType, ct)
	h.Set("Content-Type", mt)
}

// cancelBody releases the attempt's context and its place at the gate
// when the body is closed.
type cancelBody struct {
	io.ReadCloser
	cancel context.CancelFunc
	slot   *gateSlot // nil without a gate
}

func (b *cancelBody) Close() error {
	err := b.ReadCloser.Close()
	b.cancel()
	b.slot.close()
	return err
}
