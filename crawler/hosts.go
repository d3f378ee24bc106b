package crawler

import (
	"context"
	"math/rand/v2"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
)

// Politeness per host (issue 11). Every request of a Crawler — page and
// attachment requests, their retries and redirect hops, robots.txt, the
// requests of pages rendered in the browser — passes the Crawler's
// hostGate before it is sent, whichever Fetch (site) makes it:
//
//   - per host: the request waits until the host has fewer requests in
//     flight than its site's parallelism, and until its site's delay
//     (plus a jitter drawn for the request, uniformly in [0,
//     RandomDelay)) has passed since the start of the host's previous
//     request. A host's waiters go in arrival order, so a site with a
//     short delay cannot starve one with a long delay on a shared host;
//   - over all hosts: at most MaxInFlight requests are in flight, and at
//     most MaxDocuments page and attachment bodies are in flight or in
//     hand (read, not yet handled by the Sink), so that memory stays
//     bounded however many sites run. robots.txt and the browser's
//     requests do not count as documents: a rendered page waits for them
//     while it holds its own document slot.
//
// A request is in flight from the moment it passes the gate until its
// response body is read (or the attempt fails). Its delay is measured
// between starts, as Scrapy's DOWNLOAD_DELAY is per domain, and a request
// starts when it has been written to its connection (httptrace
// WroteRequest), not when it passes the gate: a request that must first
// dial a slow server would otherwise reach it less than a delay before the
// next one. Until a request to a host has started, the host's next request
// (with a delay) waits.
//
// Waiting holds nothing: a request that waits for its host keeps no global
// slot, so a slow host never holds back the others. The gate holds no
// goroutine: a timer per waiting host wakes it when its delay is over.

// hostKey is the politeness key of a URL: its host name in lower case,
// without the port (two ports of one host are one server to be polite
// to, as Scrapy's per-domain slots).
func hostKey(u *url.URL) string { return strings.ToLower(u.Hostname()) }

// Hosts returns the politeness keys of the site's start URLs: their host
// names in lower case, without ports, each once, in order. Requests to
// one such host share its delay and parallelism across all the sites of a
// Crawler. Invalid start URLs are left out.
func (s Site) Hosts() []string {
	var out []string
	for _, raw := range s.Start {
		u, err := url.Parse(raw)
		if err != nil || u.Host == "" {
			continue
		}
		if k := hostKey(u); !slices.Contains(out, k) {
			out = append(out, k)
		}
	}
	return out
}

// HostStats is a snapshot of the requests of a Crawler, over all its
// Fetch calls.
type HostStats struct {
	// Active counts the hosts with a request in flight; Waiting counts the
	// hosts with requests waiting (for their delay, their parallelism or
	// a global slot) and none in flight.
	Active  int
	Waiting int
	// InFlight is the number of requests in flight; Queued the number of
	// requests waiting at the gate.
	InFlight int
	Queued   int
	// Documents is the number of page and attachment bodies in flight or
	// in hand (read and not yet handled by the Sink).
	Documents int
	// Connections is the number of open connections of the Crawler's own
	// transport (0 with Options.Transport).
	Connections int
	// PeakInFlight, PeakDocuments and PeakConnections are the largest
	// values seen since the Crawler was made.
	PeakInFlight    int
	PeakDocuments   int
	PeakConnections int
}

// policy is what a request asks of its host: the site's parallelism,
// delay and jitter.
type policy struct {
	par    int
	delay  time.Duration
	jitter time.Duration
}

// hostGate schedules the requests of a Crawler by host (see above). Its
// methods are safe for concurrent use.
type hostGate struct {
	maxInFlight int
	maxDocs     int
	conns       *connGate // nil with Options.Transport

	mu sync.Mutex // protects the fields below and every hostQueue
	// hosts are by hostKey; a host is kept while the Crawler lives, since
	// its last start matters to the next request.
	hosts map[string]*hostQueue
	// inflight counts requests granted and not released; docs counts the
	// document bodies granted or kept and not released.
	inflight int
	docs     int
	// blocked are the hosts whose next request waits for a global slot,
	// in the order they blocked; each is woken when one frees.
	blocked []*hostQueue
	// active and waiting count the hosts in each state (see HostStats).
	active, waiting, queued int
	peakInFlight, peakDocs  int
}

// hostQueue is the state of one host.
type hostQueue struct {
	key      string
	inflight int
	// starting counts the requests granted and not yet started (written
	// to their connection); a request with a delay waits for them.
	starting int
	// last is the start of the host's latest request (when it was
	// granted, then when it was written).
	last    time.Time
	waiters []*gateWaiter // in arrival order
	timer   *time.Timer   // wakes the host when its head's delay is over
	timerAt time.Time
	blocked bool // in hostGate.blocked
	state   int  // hostIdle, hostActive or hostWaiting
}

const (
	hostIdle = iota
	hostActive
	hostWaiting
)

// gateWaiter is one request waiting at the gate.
type gateWaiter struct {
	pol   policy
	gap   time.Duration // delay plus this request's jitter
	doc   bool
	ready chan struct{} // closed when granted
	// granted is set, under hostGate.mu, with the grant.
	granted bool
}

func newHostGate(maxInFlight, maxDocs int, conns *connGate) *hostGate {
	return &hostGate{maxInFlight: maxInFlight, maxDocs: maxDocs, conns: conns, hosts: map[string]*hostQueue{}}
}

// acquire waits until a request to host may be sent under pol, and
// returns its slot; doc says whether the response body is a document
// (counted against MaxDocuments). It returns ctx's error if ctx ends
// first. The slot must be closed (gateSlot.close) when the attempt is
// over.
func (g *hostGate) acquire(ctx context.Context, host string, pol policy, doc bool) (*gateSlot, error) {
	w := &gateWaiter{pol: pol, gap: pol.delay, doc: doc, ready: make(chan struct{})}
	if pol.jitter > 0 {
		w.gap += time.Duration(rand.Int64N(int64(pol.jitter)))
	}
	g.mu.Lock()
	h := g.hosts[host]
	if h == nil {
		h = &hostQueue{key: host}
		g.hosts[host] = h
	}
	h.waiters = append(h.waiters, w)
	g.queued++
	g.pumpLocked(h, time.Now())
	g.mu.Unlock()

	select {
	case <-w.ready:
	case <-ctx.Done():
		g.mu.Lock()
		if !w.granted {
			if i := slices.Index(h.waiters, w); i >= 0 {
				h.waiters = slices.Delete(h.waiters, i, i+1)
				g.queued--
			}
			// The waiter may have held back the others.
			g.pumpLocked(h, time.Now())
			g.mu.Unlock()
			return nil, ctx.Err()
		}
		g.mu.Unlock()
		s := &gateSlot{g: g, h: h, wire: true, doc: doc, starting: true}
		s.close()
		return nil, ctx.Err()
	}
	return &gateSlot{g: g, h: h, wire: true, doc: doc, starting: true}, nil
}

// pumpLocked grants what it can to h's waiters, in order, and arranges
// to be called again when that changes: a timer for the head's delay, or
// a place in g.blocked for a global slot. g.mu must be held.
func (g *hostGate) pumpLocked(h *hostQueue, now time.Time) {
	defer g.updateLocked(h)
	for i := 0; i < len(h.waiters); {
		w := h.waiters[i]
		if w.doc && g.docs >= g.maxDocs {
			// Documents are full; a request that is none (robots.txt, a
			// rendered page's request) may go ahead of it.
			g.blockLocked(h)
			i++
			continue
		}
		if h.inflight >= w.pol.par {
			return // the host's next release pumps again
		}
		if w.gap > 0 && h.starting > 0 {
			return // its start (gateSlot.started) pumps again
		}
		if !h.last.IsZero() {
			if at := h.last.Add(w.gap); now.Before(at) {
				g.wakeLocked(h, at)
				return
			}
		}
		if g.inflight >= g.maxInFlight {
			g.blockLocked(h)
			return
		}
		h.waiters = slices.Delete(h.waiters, i, i+1)
		g.queued--
		h.inflight++
		h.starting++
		h.last = now
		g.inflight++
		g.peakInFlight = max(g.peakInFlight, g.inflight)
		if w.doc {
			g.docs++
			g.peakDocs = max(g.peakDocs, g.docs)
		}
		w.granted = true
		close(w.ready)
		i = 0 // with a zero delay, the next one may go too
	}
}

// blockLocked puts h in the list of hosts waiting for a global slot.
func (g *hostGate) blockLocked(h *hostQueue) {
	if !h.blocked {
		h.blocked = true
		g.blocked = append(g.blocked, h)
	}
}

// wakeLocked arranges for h to be pumped at at.
func (g *hostGate) wakeLocked(h *hostQueue, at time.Time) {
	if h.timer != nil {
		if !h.timerAt.After(at) {
			return
		}
		h.timer.Stop()
	}
	h.timerAt = at
	h.timer = time.AfterFunc(time.Until(at), func() {
		g.mu.Lock()
		defer g.mu.Unlock()
		h.timer = nil
		g.pumpLocked(h, time.Now())
	})
}

// updateLocked recounts h's state for HostStats.
func (g *hostGate) updateLocked(h *hostQueue) {
	st := hostIdle
	switch {
	case h.inflight > 0:
		st = hostActive
	case len(h.waiters) > 0:
		st = hostWaiting
	}
	if st == h.state {
		return
	}
	for _, d := range []struct {
		s int
		n int
	}{{h.state, -1}, {st, 1}} {
		switch d.s {
		case hostActive:
			g.active += d.n
		case hostWaiting:
			g.waiting += d.n
		}
	}
	h.state = st
}

// releaseLocked gives back a slot's shares and wakes whoever waits for
// them.
func (g *hostGate) releaseLocked(h *hostQueue, wire, doc bool) {
	now := time.Now()
	if wire {
		h.inflight--
		g.inflight--
		g.pumpLocked(h, now)
	}
	if doc {
		g.docs--
	}
	if len(g.blocked) == 0 || (g.inflight >= g.maxInFlight && g.docs >= g.maxDocs) {
		return
	}
	blocked := g.blocked
	g.blocked = nil
	for _, b := range blocked {
		b.blocked = false
	}
	for _, b := range blocked {
		if g.inflight >= g.maxInFlight {
			g.blockLocked(b) // still no room: keep its place
			continue
		}
		g.pumpLocked(b, now)
	}
}

// stats returns a snapshot.
func (g *hostGate) stats() HostStats {
	g.mu.Lock()
	st := HostStats{Active: g.active, Waiting: g.waiting, InFlight: g.inflight, Queued: g.queued, Documents: g.docs,
		PeakInFlight: g.peakInFlight, PeakDocuments: g.peakDocs}
	g.mu.Unlock()
	if g.conns != nil {
		st.Connections, st.PeakConnections = g.conns.stats()
	}
	return st
}

// gateSlot is a granted request: its share of its host's parallelism and
// of the global in-flight count (wire), and its document share (doc),
// which outlives the wire when the body is kept for the Sink.
type gateSlot struct {
	g *hostGate
	h *hostQueue

	// The fields below are protected by g.mu.
	wire, doc bool
	kept      bool // the document share is released by releaseDoc, not close
	starting  bool // granted, not yet written to a connection
}

// started marks the request written to its connection: the host's next
// delay counts from now. It is idempotent and safe on a nil slot.
func (s *gateSlot) started() {
	if s == nil {
		return
	}
	s.g.mu.Lock()
	defer s.g.mu.Unlock()
	s.startedLocked()
}

func (s *gateSlot) startedLocked() {
	if !s.starting {
		return
	}
	s.starting = false
	s.h.starting--
	if now := time.Now(); now.After(s.h.last) {
		s.h.last = now
	}
	s.g.pumpLocked(s.h, time.Now())
}

// keep hands the slot's document share over to the body just read: close
// then ends only the wire, and releaseDoc the document. It is safe on a
// nil slot.
func (s *gateSlot) keep() {
	if s == nil {
		return
	}
	s.g.mu.Lock()
	s.kept = true
	s.g.mu.Unlock()
}

// close ends the request: the response is read or dropped. The document
// share goes too unless it was kept. It is idempotent and safe on a nil
// slot.
func (s *gateSlot) close() {
	if s == nil {
		return
	}
	s.g.mu.Lock()
	defer s.g.mu.Unlock()
	// An attempt that failed before it was written (a dial error) counts
	// as started now: the host may have seen its connection.
	s.startedLocked()
	doc := s.doc && !s.kept
	if doc {
		s.doc = false
	}
	if s.wire || doc {
		s.g.releaseLocked(s.h, s.wire, doc)
		s.wire = false
	}
}

// releaseDoc releases a kept document share, once the Sink has handled
// the body (or it was dropped). It is idempotent and safe on a nil slot.
func (s *gateSlot) releaseDoc() {
	if s == nil {
		return
	}
	s.g.mu.Lock()
	defer s.g.mu.Unlock()
	if s.doc {
		s.doc = false
		s.g.releaseLocked(s.h, false, true)
	}
}
