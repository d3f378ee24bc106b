package crawler

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// arrivals records, server side, when each request reached a host and
// how many were being handled at once.
type arrivals struct {
	mu       sync.Mutex // protects the fields below
	times    []time.Time
	paths    []string
	inflight int
	peak     int
}

// wrap returns h recording into a; each request is held for hold before
// it is answered, to make parallelism visible.
func (a *arrivals) wrap(h http.Handler, hold time.Duration) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.mu.Lock()
		a.times = append(a.times, time.Now())
		a.paths = append(a.paths, r.URL.Path)
		a.inflight++
		a.peak = max(a.peak, a.inflight)
		a.mu.Unlock()
		defer func() {
			a.mu.Lock()
			a.inflight--
			a.mu.Unlock()
		}()
		time.Sleep(hold)
		h.ServeHTTP(w, r)
	})
}

// gaps returns the times between consecutive arrivals, in order.
func (a *arrivals) gaps() []time.Duration {
	a.mu.Lock()
	defer a.mu.Unlock()
	ts := slices.Clone(a.times)
	sort.Slice(ts, func(i, j int) bool { return ts[i].Before(ts[j]) })
	var out []time.Duration
	for i := 1; i < len(ts); i++ {
		out = append(out, ts[i].Sub(ts[i-1]))
	}
	return out
}

// sendTimes is a transport that records when each request is handed to
// it: right after the gate let it go.
type sendTimes struct {
	base http.RoundTripper

	mu    sync.Mutex // protects times
	times []time.Time
}

func (s *sendTimes) RoundTrip(r *http.Request) (*http.Response, error) {
	s.mu.Lock()
	s.times = append(s.times, time.Now())
	s.mu.Unlock()
	return s.base.RoundTrip(r)
}

// gaps returns the times between consecutive sends, in order.
func (s *sendTimes) gaps() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	ts := slices.Clone(s.times)
	sort.Slice(ts, func(i, j int) bool { return ts[i].Before(ts[j]) })
	var out []time.Duration
	for i := 1; i < len(ts); i++ {
		out = append(out, ts[i].Sub(ts[i-1]))
	}
	return out
}

// newSendTimes returns a recording transport over a fresh http.Transport.
func newSendTimes(t *testing.T) *sendTimes {
	base := &http.Transport{}
	t.Cleanup(base.CloseIdleConnections)
	return &sendTimes{base: base}
}

// checkGaps checks that the requests were sent (exactly: the gate's own
// guarantee) and reached the host (with wireSlack) at least delay apart.
func checkGaps(t *testing.T, sent *sendTimes, got *arrivals, delay time.Duration) {
	t.Helper()
	for i, g := range sent.gaps() {
		if g < delay {
			t.Errorf("requests %d and %d were sent %v apart, want >= %v", i, i+1, g, delay)
		}
	}
	for i, g := range got.gaps() {
		if g < delay-wireSlack {
			t.Errorf("requests %d and %d reached the host %v apart, want >= %v", i, i+1, g, delay)
		}
	}
}

// wireSlack is the timer and scheduling slack allowed between when the
// gate lets a request go and when the server sees it: on a loaded
// machine two consecutive requests may reach the handler a few
// milliseconds closer than they were sent.
const wireSlack = 25 * time.Millisecond

// TestCrawler_Fetch_DelayPerHost: delay is the least time between any two
// requests to a host (Scrapy's per-domain DOWNLOAD_DELAY), robots.txt
// included, and parallelism bounds the requests in flight; colly's
// LimitRule gave a host with parallelism 2 two requests per delay, and each
// site its own delay on a shared host (issue 11).
func TestCrawler_Fetch_DelayPerHost(t *testing.T) {
	const delay = 200 * time.Millisecond
	t.Run("Parallelism2", func(t *testing.T) {
		p, _, _ := conditionalPortal(t, 6)
		var a arrivals
		// Each answer takes longer than the delay, so two requests
		// overlap and a third must wait for one of them.
		p.srv.Config.Handler = a.wrap(p.srv.Config.Handler, 450*time.Millisecond)
		opts := testOptions(nil)
		opts.Parallelism = 2
		opts.Delay, opts.RandomDelay = delay, -1
		sent := newSendTimes(t)
		opts.Transport = sent
		st := mustFetch(t, New(opts), Site{Name: "d", Start: []string{p.url("/nb/index.html")}}, &collect{})
		if st.Reports != 6 {
			t.Fatalf("reports = %d, want 6", st.Reports)
		}
		if n := len(a.gaps()); n != 9-1 { // robots.txt, 2 list pages, 6 reports
			t.Fatalf("%d requests, want 9", n+1)
		}
		checkGaps(t, sent, &a, delay)
		a.mu.Lock()
		peak := a.peak
		a.mu.Unlock()
		if peak != 2 {
			t.Errorf("peak requests in flight = %d, want 2 (the parallelism, reached since answers take longer than the delay)", peak)
		}
	})
	t.Run("Jitter", func(t *testing.T) {
		p, _, _ := conditionalPortal(t, 4)
		var a arrivals
		p.srv.Config.Handler = a.wrap(p.srv.Config.Handler, 0)
		opts := testOptions(nil)
		opts.Parallelism = 4
		opts.Delay, opts.RandomDelay = delay, 100*time.Millisecond
		mustFetch(t, New(opts), Site{Name: "j", Start: []string{p.url("/nb/index.html")}}, &collect{})
		gaps := a.gaps()
		if len(gaps) != 6-1 {
			t.Fatalf("%d requests, want 6", len(gaps)+1)
		}
		for i, g := range gaps {
			// Between delay and delay+jitter after the previous start,
			// with a generous upper bound for a loaded machine.
			if g < delay-wireSlack || g > delay+100*time.Millisecond+150*time.Millisecond {
				t.Errorf("gap %d = %v, want in [%v, %v)", i, g, delay, delay+100*time.Millisecond)
			}
		}
	})
	t.Run("SlowDial", func(t *testing.T) {
		// The delay counts from when a request is written, not from when
		// it may go: a request that dials a slow server first must not
		// reach it less than a delay before the next one.
		p, _, _ := conditionalPortal(t, 4)
		var a arrivals
		p.srv.Config.Handler = a.wrap(p.srv.Config.Handler, 450*time.Millisecond)
		var dials atomic.Int32
		base := &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			if dials.Add(1) == 2 {
				time.Sleep(300 * time.Millisecond) // the second connection is slow to open
			}
			var d net.Dialer
			return d.DialContext(ctx, network, addr)
		}}
		t.Cleanup(base.CloseIdleConnections)
		opts := testOptions(nil)
		opts.Parallelism = 3
		opts.Delay, opts.RandomDelay = delay, -1
		opts.IgnoreRobots = true
		opts.Transport = base
		st := mustFetch(t, New(opts), Site{Name: "s", Start: []string{p.url("/nb/index.html")}}, &collect{})
		if st.Reports != 4 || dials.Load() < 2 {
			t.Fatalf("reports %d, dials %d; want 4 and at least 2", st.Reports, dials.Load())
		}
		for i, g := range a.gaps() {
			if g < delay-wireSlack {
				t.Errorf("requests %d and %d reached the host %v apart, want >= %v", i, i+1, g, delay)
			}
		}
	})
	t.Run("TwoSitesOneHost", func(t *testing.T) {
		// Two sites on one host, fetched at once by one Crawler, share
		// the host's delay and parallelism.
		p, _, _ := conditionalPortal(t, 4)
		p.report("/other/1.html", "第九局2024年政府信息公开工作年度报告")
		p.report("/other/2.html", "第十局2024年政府信息公开工作年度报告")
		p.html("/other/", listPage("年报", [][2]string{{"/other/1.html", "第九局2024年政府信息公开工作年度报告"}, {"/other/2.html", "第十局2024年政府信息公开工作年度报告"}}, ""))
		var a arrivals
		p.srv.Config.Handler = a.wrap(p.srv.Config.Handler, 300*time.Millisecond)
		opts := testOptions(nil)
		opts.Parallelism = 2
		opts.Delay, opts.RandomDelay = delay, -1
		sent := newSendTimes(t)
		opts.Transport = sent
		c := New(opts)
		var wg sync.WaitGroup
		stats := make([]Stats, 2)
		for i, s := range []Site{{Name: "a", Start: []string{p.url("/nb/index.html")}}, {Name: "b", Start: []string{p.url("/other/")}}} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				st, err := c.Fetch(context.Background(), s, &collect{})
				if err != nil {
					t.Errorf("site %s: %v", s.Name, err)
				}
				stats[i] = st
			}()
		}
		wg.Wait()
		if stats[0].Reports != 4 || stats[1].Reports != 2 {
			t.Fatalf("reports %d and %d, want 4 and 2", stats[0].Reports, stats[1].Reports)
		}
		// robots.txt once for both runs (the Crawler keeps it), 1 list + 4
		// reports, 1 list + 2 reports.
		if n := len(a.gaps()); n != 9-1 || p.hit("/robots.txt") != 1 {
			t.Fatalf("%d requests, robots.txt %d times; want 9 and once", n+1, p.hit("/robots.txt"))
		}
		checkGaps(t, sent, &a, delay)
		a.mu.Lock()
		peak := a.peak
		a.mu.Unlock()
		if peak > 2 {
			t.Errorf("peak requests in flight on the shared host = %d, want <= 2", peak)
		}
	})
}

// TestHostGate drives the gate alone: hosts are keys, nothing is sent.
func TestHostGate(t *testing.T) {
	ctx := context.Background()
	t.Run("MaxInFlight", func(t *testing.T) {
		// 10 hosts, 4 requests each, no delay: at most 3 in flight in all,
		// and the cap is reached.
		g := newHostGate(3, 100, nil)
		var cur, peak atomic.Int32
		var wg sync.WaitGroup
		for h := range 10 {
			for range 4 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					s, err := g.acquire(ctx, fmt.Sprintf("host%d", h), policy{par: 2}, true)
					if err != nil {
						t.Error(err)
						return
					}
					n := cur.Add(1)
					for {
						old := peak.Load()
						if n <= old || peak.CompareAndSwap(old, n) {
							break
						}
					}
					time.Sleep(5 * time.Millisecond)
					cur.Add(-1)
					s.close()
				}()
			}
		}
		wg.Wait()
		if got := peak.Load(); got != 3 {
			t.Errorf("peak in flight = %d, want 3", got)
		}
		if st := g.stats(); st.InFlight != 0 || st.Documents != 0 || st.Queued != 0 || st.Active != 0 || st.Waiting != 0 || st.PeakInFlight != 3 {
			t.Errorf("stats after = %+v", st)
		}
	})
	t.Run("DocumentsKept", func(t *testing.T) {
		// A kept document holds its place after its wire ends; a request
		// that is no document (robots.txt, the browser's) still goes.
		g := newHostGate(10, 2, nil)
		var kept []*gateSlot
		for i := range 2 {
			s, err := g.acquire(ctx, fmt.Sprintf("h%d", i), policy{par: 1}, true)
			if err != nil {
				t.Fatal(err)
			}
			s.keep()
			s.close()
			kept = append(kept, s)
		}
		if st := g.stats(); st.InFlight != 0 || st.Documents != 2 {
			t.Fatalf("after two kept documents: %+v", st)
		}
		if s, err := g.acquire(ctx, "h0", policy{par: 1}, false); err != nil {
			t.Fatal(err)
		} else {
			s.close()
		}
		third := make(chan *gateSlot)
		go func() {
			s, err := g.acquire(ctx, "h3", policy{par: 1}, true)
			if err != nil {
				t.Error(err)
			}
			third <- s
		}()
		// The third document waits (and its host counts as waiting) …
		waitFor(t, func() bool { st := g.stats(); return st.Queued == 1 && st.Waiting == 1 })
		select {
		case <-third:
			t.Fatal("a third document went past MaxDocuments 2")
		case <-time.After(50 * time.Millisecond):
		}
		// … until a kept one is released.
		kept[0].releaseDoc()
		s := <-third
		s.close()
		kept[1].releaseDoc()
		if st := g.stats(); st.InFlight != 0 || st.Documents != 0 || st.Queued != 0 {
			t.Errorf("stats after = %+v", st)
		}
	})
	t.Run("Cancel", func(t *testing.T) {
		// A waiter whose context ends leaves the queue and lets the next
		// one go.
		g := newHostGate(10, 10, nil)
		first, err := g.acquire(ctx, "h", policy{par: 1}, true)
		if err != nil {
			t.Fatal(err)
		}
		cctx, cancel := context.WithCancel(ctx)
		errc := make(chan error)
		go func() {
			_, err := g.acquire(cctx, "h", policy{par: 1}, true)
			errc <- err
		}()
		waitFor(t, func() bool { return g.stats().Queued == 1 })
		cancel()
		if err := <-errc; err != context.Canceled {
			t.Errorf("err = %v, want context.Canceled", err)
		}
		first.close()
		if st := g.stats(); st.InFlight != 0 || st.Documents != 0 || st.Queued != 0 || st.Active != 0 || st.Waiting != 0 {
			t.Errorf("stats after = %+v", st)
		}
	})
	t.Run("Order", func(t *testing.T) {
		// A host's requests go in arrival order, whatever their sites'
		// delays: a site with no delay does not starve one with a delay.
		g := newHostGate(10, 10, nil)
		var mu sync.Mutex
		var order []string
		var wg sync.WaitGroup
		acquire := func(name string, pol policy) {
			defer wg.Done()
			s, err := g.acquire(ctx, "h", pol, true)
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			order = append(order, name)
			mu.Unlock()
			s.close()
		}
		s0, _ := g.acquire(ctx, "h", policy{par: 1}, true)
		wg.Add(1)
		go acquire("slow", policy{par: 1, delay: 100 * time.Millisecond})
		waitFor(t, func() bool { return g.stats().Queued == 1 })
		for i := range 3 {
			wg.Add(1)
			go acquire(fmt.Sprint("fast", i), policy{par: 1})
			waitFor(t, func() bool { return g.stats().Queued == 2+i })
		}
		s0.close()
		wg.Wait()
		if len(order) != 4 || order[0] != "slow" {
			t.Errorf("order = %v, want slow first", order)
		}
	})
}

// waitFor polls cond for up to 5 s.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for end := time.Now().Add(5 * time.Second); time.Now().Before(end); time.Sleep(time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatal("condition not reached in 5s")
}

// TestCrawler_Fetch_SinkOffFetchPath: a slow sink does not hold back the
// fetching; the documents it has not handled are bounded by MaxDocuments.
func TestCrawler_Fetch_SinkOffFetchPath(t *testing.T) {
	t.Run("Decoupled", func(t *testing.T) {
		// Parallelism 1 and a sink that handles nothing until the host has
		// seen every request: before issue 11, a run let 2 items (per
		// host and parallel slot) be fetched or handled at once, so the
		// sink held the fetching and this never ended.
		p, paths, _ := conditionalPortal(t, 10)
		var a arrivals
		p.srv.Config.Handler = a.wrap(p.srv.Config.Handler, 0)
		all := make(chan struct{})
		go func() {
			for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(time.Millisecond) {
				a.mu.Lock()
				n := len(a.times)
				a.mu.Unlock()
				if n == 1+3+len(paths) { // robots.txt, 3 lists, 10 reports
					close(all)
					return
				}
			}
		}()
		var handled atomic.Int32
		sink := SinkFunc(func(ctx context.Context, d Document) error {
			select {
			case <-all:
			case <-time.After(10 * time.Second):
				t.Errorf("%s: the sink waited 10s and the host has not seen every request", d.URL)
			}
			handled.Add(1)
			return nil
		})
		opts := testOptions(nil)
		opts.Parallelism = 1
		st := mustFetch(t, New(opts), Site{Name: "s", Start: []string{p.url("/nb/index.html")}}, sink)
		if st.Reports != 10 || handled.Load() != 13 {
			t.Errorf("reports %d, handled %d; want 10, 13", st.Reports, handled.Load())
		}
	})
	t.Run("MaxDocuments", func(t *testing.T) {
		// With a sink that blocks, the host sees no more page requests
		// than MaxDocuments until the sink moves.
		p, _, _ := conditionalPortal(t, 8)
		var a arrivals
		p.srv.Config.Handler = a.wrap(p.srv.Config.Handler, 0)
		release := make(chan struct{})
		var entered atomic.Int32
		sink := SinkFunc(func(ctx context.Context, d Document) error {
			entered.Add(1)
			<-release
			return nil
		})
		opts := testOptions(nil)
		opts.Parallelism = 4
		opts.MaxDocuments = 3
		c := New(opts)
		done := make(chan Stats)
		go func() {
			st, err := c.Fetch(context.Background(), Site{Name: "m", Start: []string{p.url("/nb/index.html")}}, sink)
			if err != nil {
				t.Error(err)
			}
			done <- st
		}()
		waitFor(t, func() bool { return entered.Load() == 3 })
		time.Sleep(100 * time.Millisecond) // room for a request that should not come
		a.mu.Lock()
		docs := 0
		for _, path := range a.paths {
			if path != "/robots.txt" {
				docs++
			}
		}
		a.mu.Unlock()
		if docs != 3 || c.HostStats().Documents != 3 {
			t.Errorf("%d page requests and %d documents in hand while the sink holds 3, want 3 and 3", docs, c.HostStats().Documents)
		}
		close(release)
		if st := <-done; st.Reports != 8 {
			t.Errorf("reports = %d, want 8", st.Reports)
		}
		if hs := c.HostStats(); hs.Documents != 0 || hs.InFlight != 0 || hs.PeakDocuments != 3 {
			t.Errorf("host stats after = %+v", hs)
		}
	})
}

// TestCrawler_MaxConnections: the Crawler's own transport never holds more
// connections open than MaxConnections, over hosts and sites.
func TestCrawler_MaxConnections(t *testing.T) {
	var portals []*portal
	for range 3 {
		p, _, _ := conditionalPortal(t, 6)
		p.delay = 20 * time.Millisecond // so that the three sites overlap
		portals = append(portals, p)
	}
	opts := testOptions(nil)
	opts.Parallelism = 4
	opts.MaxConnections = 2
	c := New(opts)
	var wg sync.WaitGroup
	for i, p := range portals {
		wg.Add(1)
		go func() {
			defer wg.Done()
			st, err := c.Fetch(context.Background(), Site{Name: fmt.Sprint("c", i), Start: []string{p.url("/nb/index.html")}}, &collect{})
			if err != nil || st.Reports != 6 {
				t.Errorf("site %d: reports %d, err %v", i, st.Reports, err)
			}
		}()
	}
	wg.Wait()
	// Counted where the transport dials and closes (a server sees a
	// closed connection a moment after the client dialled the next one).
	if hs := c.HostStats(); hs.PeakConnections != 2 || hs.Connections > 2 {
		t.Errorf("peak connections = %d (%d open now), want 2", hs.PeakConnections, hs.Connections)
	}
}

func TestSite_Hosts(t *testing.T) {
	s := Site{Start: []string{"https://WWW.zhanjiang.gov.cn/a/", "http://www.zhanjiang.gov.cn:8080/b/", "https://cghzf.zhanjiang.gov.cn/", "::bad"}}
	if got, want := s.Hosts(), []string{"www.zhanjiang.gov.cn", "cghzf.zhanjiang.gov.cn"}; !slices.Equal(got, want) {
		t.Errorf("Hosts() = %q, want %q", got, want)
	}
}

// countingTransport records, per host, when each request was handed to
// it, and the peak of requests in flight (until their body is closed).
type countingTransport struct {
	base http.RoundTripper

	mu       sync.Mutex // protects the fields below
	sends    map[string][]time.Time
	inflight int
	peak     int
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.mu.Lock()
	c.sends[r.URL.Hostname()] = append(c.sends[r.URL.Hostname()], time.Now())
	c.inflight++
	c.peak = max(c.peak, c.inflight)
	c.mu.Unlock()
	resp, err := c.base.RoundTrip(r)
	if err != nil {
		c.done()
		return nil, err
	}
	resp.Body = &doneBody{ReadCloser: resp.Body, done: sync.OnceFunc(c.done)}
	return resp, nil
}

func (c *countingTransport) done() {
	c.mu.Lock()
	c.inflight--
	c.mu.Unlock()
}

type doneBody struct {
	io.ReadCloser
	done func()
}

func (b *doneBody) Close() error { err := b.ReadCloser.Close(); b.done(); return err }

// TestCrawler_Fetch_ManyHosts: 40 sites on 40 hosts (names mapped to one
// server) crawled at once by one Crawler: every host's requests are sent
// at least its delay apart, no more than MaxInFlight are in flight over
// all hosts, and the hosts are crawled side by side (the whole takes about
// one host's time, not forty).
func TestCrawler_Fetch_ManyHosts(t *testing.T) {
	const hosts, delay = 40, 100 * time.Millisecond
	p, _, _ := conditionalPortal(t, 3)
	p.delay = 5 * time.Millisecond
	addr := p.srv.Listener.Addr().String()
	_, port, _ := net.SplitHostPort(addr)
	base := &http.Transport{DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, addr) // every host is the portal
	}}
	t.Cleanup(base.CloseIdleConnections)
	ct := &countingTransport{base: base, sends: map[string][]time.Time{}}
	opts := testOptions(nil)
	opts.Parallelism = 2
	opts.Delay, opts.RandomDelay = delay, -1
	opts.MaxInFlight = 5
	opts.Transport = ct
	c := New(opts)
	var wg sync.WaitGroup
	start := time.Now()
	for i := range hosts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			site := Site{Name: fmt.Sprint("site", i), Start: []string{fmt.Sprintf("http://h%d.example:%s/nb/index.html", i, port)}}
			if st, err := c.Fetch(context.Background(), site, &collect{}); err != nil || st.Reports != 3 {
				t.Errorf("%s: reports %d, err %v", site.Name, st.Reports, err)
			}
		}()
	}
	wg.Wait()
	took := time.Since(start)
	ct.mu.Lock()
	defer ct.mu.Unlock()
	if len(ct.sends) != hosts {
		t.Fatalf("%d hosts requested, want %d", len(ct.sends), hosts)
	}
	for h, ts := range ct.sends {
		if len(ts) != 5 { // robots.txt, the list, 3 reports
			t.Errorf("%s: %d requests, want 5", h, len(ts))
		}
		for i := 1; i < len(ts); i++ {
			if g := ts[i].Sub(ts[i-1]); g < delay {
				t.Errorf("%s: requests %d and %d sent %v apart, want >= %v", h, i-1, i, g, delay)
			}
		}
	}
	if ct.peak > 5 || ct.peak < 2 {
		t.Errorf("peak requests in flight = %d, want 2..5 (MaxInFlight)", ct.peak)
	}
	// One host needs 4 delays (0.4 s); 40 hosts one after another would
	// need 16 s.
	if took > 8*time.Second {
		t.Errorf("40 hosts took %v; they should be crawled side by side", took)
	}
}

// TestCrawler_Fetch_RobotsShared: the sites of a Crawler that share a host
// read its robots.txt once (it is one more request under the host's
// delay); a robots.txt that was unreachable is asked for again by the next
// run, and a new Crawler (the next crawl) reads the file again.
func TestCrawler_Fetch_RobotsShared(t *testing.T) {
	var down atomic.Bool
	p := newPortal(t)
	p.mux.HandleFunc("/robots.txt", func(w http.ResponseWriter, r *http.Request) {
		if down.Load() {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprint(w, "User-agent: *\nDisallow: /private/\n")
	})
	for _, col := range []string{"/a/", "/b/", "/c/"} {
		p.html(col, listPage("年报", [][2]string{{col + "2024.html", col + "2024年政府信息公开工作年度报告"}}, ""))
		p.report(col+"2024.html", col+"2024年政府信息公开工作年度报告")
	}
	opts := testOptions(nil)
	opts.Retries = 0
	c := New(opts)
	down.Store(true)
	if _, err := c.Fetch(context.Background(), Site{Name: "a", Start: []string{p.url("/a/")}}, &collect{}); !errors.Is(err, ErrRobotsUnreachable) {
		t.Fatalf("err = %v, want ErrRobotsUnreachable", err)
	}
	down.Store(false)
	for _, col := range []string{"/a/", "/b/", "/c/"} {
		mustFetch(t, c, Site{Name: col, Start: []string{p.url(col)}}, &collect{})
	}
	if got := p.hit("/robots.txt"); got != 2 {
		t.Errorf("robots.txt requested %d times, want 2 (unreachable once, then read once for three sites)", got)
	}
	mustFetch(t, New(opts), Site{Name: "a", Start: []string{p.url("/a/")}}, &collect{})
	if got := p.hit("/robots.txt"); got != 3 {
		t.Errorf("robots.txt requested %d times after a new Crawler, want 3", got)
	}
}
