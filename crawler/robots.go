package crawler

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/temoto/robotstxt"
)

// robots.txt by RFC 9309. colly's own check is not used: it ignores the
// verdict of a robots.txt that answers 5xx (temoto/robotstxt returns
// "disallow all" and colly asks only the agent's group, which is empty),
// reads the file without a size limit, retries an unreachable file for
// every URL of the host and fails every page of a host whose file has a
// syntax error. Here, per host and per Fetch:
//
//   - 2xx: the file is parsed, its first robotsMaxSize bytes only (§2.5);
//     lines with invalid syntax are ignored (§2.2);
//   - 4xx: "unavailable", every URL is allowed (§2.3.1.3);
//   - 5xx, a network error, a timeout: "unreachable", every URL of the host
//     is disallowed for this run (§2.3.1.4); the URLs fail with reason
//     "robots: unreachable" and are retried by the next run;
//   - redirects are followed, to any host, up to robotsMaxRedirects hops
//     (§2.3.1.2); a longer chain counts as unreachable.
//
// A file read (2xx) or found unavailable (4xx) is also kept by the Crawler
// for robotsTTL (§2.4 allows a day), so that the sites sharing a host read
// its robots.txt once per crawl, not once each: it is one more request to a
// host whose delay they share. An unreachable verdict stays the run's own:
// the next run (of any site) asks again.

const (
	// robotsMaxSize is how much of a robots.txt is read: RFC 9309 §2.5
	// asks crawlers to parse at least 500 KiB and allows ignoring the rest.
	robotsMaxSize = 500 << 10
	// robotsMaxRedirects is the number of redirects followed for
	// robots.txt (RFC 9309 §2.3.1.2: at least five).
	robotsMaxRedirects = 5
	// robotsTTL is how long a Crawler keeps a robots.txt it read (RFC
	// 9309 §2.4: no more than 24 hours).
	robotsTTL = 24 * time.Hour
)

// robotsCache holds the robots.txt files a Crawler's runs read, by
// scheme://host[:port], and the reads in progress, so that two runs on one
// host read it once. It is safe for concurrent use.
type robotsCache struct {
	mu    sync.Mutex // protects files and the fields of its entries
	files map[string]*robotsFile
}

// robotsFile is a robots.txt read (or found unavailable), or being read.
type robotsFile struct {
	done chan struct{} // closed when the read is over
	data *robotstxt.RobotsData
	at   time.Time
}

func newRobotsCache() *robotsCache { return &robotsCache{files: map[string]*robotsFile{}} }

// lookup returns origin's file when one was read less than robotsTTL ago
// (done is closed) or is being read (wait for done, then look up again).
// Otherwise it returns a new entry and mine: the caller reads the file and
// must call settle.
func (c *robotsCache) lookup(origin string) (f *robotsFile, mine bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if f := c.files[origin]; f != nil && (f.at.IsZero() || time.Since(f.at) < robotsTTL) {
		return f, false
	}
	f = &robotsFile{done: make(chan struct{})}
	c.files[origin] = f
	return f, true
}

// settle ends the read of f: with data, the file is kept; without (the
// file is unreachable, or the run stopped), it is forgotten, so that the
// next lookup reads it again.
func (c *robotsCache) settle(origin string, f *robotsFile, data *robotstxt.RobotsData) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if data != nil {
		f.data, f.at = data, time.Now()
	} else if c.files[origin] == f {
		delete(c.files, origin)
	}
	close(f.done)
}

// read returns origin's robots.txt from the cache, or reads it with fetch
// (once for all the runs asking at the same time).
func (c *robotsCache) read(ctx context.Context, origin string, fetch func() (*robotstxt.RobotsData, error)) (*robotstxt.RobotsData, error) {
	for {
		f, mine := c.lookup(origin)
		if mine {
			data, err := fetch()
			if err != nil {
				data = nil
			}
			c.settle(origin, f, data)
			return data, err
		}
		select {
		case <-f.done:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		c.mu.Lock()
		data := f.data
		c.mu.Unlock()
		if data != nil {
			return data, nil
		}
		// The other run found it unreachable, or stopped: this run asks
		// for itself.
	}
}

// robots holds the robots.txt verdicts of one Fetch, per host.
type robots struct {
	client *http.Client
	agent  string
	cache  *robotsCache // the Crawler's; nil keeps nothing

	mu    sync.Mutex // protects hosts
	hosts map[string]*robotsHost
}

// robotsHost is the robots.txt of one scheme://host[:port].
type robotsHost struct {
	once sync.Once
	data *robotstxt.RobotsData // nil when unreachable
	err  error                 // wraps ErrRobotsUnreachable when unreachable
}

func newRobots(rt http.RoundTripper, agent string, cache *robotsCache) *robots {
	client := &http.Client{
		Transport: rt,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) > robotsMaxRedirects {
				return fmt.Errorf("%w: more than %d redirects", ErrRobotsUnreachable, robotsMaxRedirects)
			}
			req.Header.Set("User-Agent", agent)
			return nil
		},
	}
	return &robots{client: client, agent: agent, cache: cache, hosts: map[string]*robotsHost{}}
}

// check says whether u may be fetched: nil, ErrRobotsDisallowed, an error
// wrapping ErrRobotsUnreachable (the host's robots.txt could not be read:
// everything on it is disallowed for this run), or ctx's error when the run
// stopped while robots.txt was being fetched (nothing is cached then).
func (rb *robots) check(ctx context.Context, u *url.URL) error {
	key := u.Scheme + "://" + u.Host
	rb.mu.Lock()
	h := rb.hosts[key]
	if h == nil {
		h = &robotsHost{}
		rb.hosts[key] = h
	}
	rb.mu.Unlock()
	h.once.Do(func() {
		fetch := func() (*robotstxt.RobotsData, error) { return rb.fetch(ctx, key) }
		if rb.cache == nil {
			h.data, h.err = fetch()
			return
		}
		h.data, h.err = rb.cache.read(ctx, key, fetch)
	})
	if h.err != nil {
		if ctx.Err() != nil && !errors.Is(h.err, ErrRobotsUnreachable) {
			// Interrupted: fetch it again next time.
			rb.mu.Lock()
			delete(rb.hosts, key)
			rb.mu.Unlock()
			return ctx.Err()
		}
		return h.err
	}
	path := u.EscapedPath()
	if path == "" {
		path = "/"
	}
	if u.RawQuery != "" {
		path += "?" + u.RawQuery
	}
	if !h.data.TestAgent(path, rb.agent) {
		return ErrRobotsDisallowed
	}
	return nil
}

// fetch reads and parses the robots.txt of origin (scheme://host[:port]).
func (rb *robots) fetch(ctx context.Context, origin string) (*robotstxt.RobotsData, error) {
	req, err := http.NewRequestWithContext(withoutBodyRead(ctx), http.MethodGet, origin+"/robots.txt", nil)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrRobotsUnreachable, err)
	}
	req.Header.Set("User-Agent", rb.agent)
	resp, err := rb.client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if errors.Is(err, ErrRobotsUnreachable) {
			return nil, err
		}
		reason, _ := classifyErr(err)
		if reason == "" {
			reason = "network"
		}
		return nil, fmt.Errorf("%w: %s: %w", ErrRobotsUnreachable, reason, err)
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		body, err := io.ReadAll(io.LimitReader(resp.Body, robotsMaxSize+1))
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			return nil, fmt.Errorf("%w: reading the file: %w", ErrRobotsUnreachable, err)
		}
		return parseRobots(body), nil
	case resp.StatusCode >= 400 && resp.StatusCode < 500:
		// Unavailable: no file, every URL may be fetched.
		return robotstxt.FromStatusAndBytes(resp.StatusCode, nil)
	case resp.StatusCode >= 500 && resp.StatusCode < 600:
		return nil, fmt.Errorf("%w: HTTP %d", ErrRobotsUnreachable, resp.StatusCode)
	}
	// 1xx or a redirect without a usable Location: no verdict.
	return nil, fmt.Errorf("%w: HTTP %d", ErrRobotsUnreachable, resp.StatusCode)
}

// parseRobots parses the first robotsMaxSize bytes of a robots.txt (cut
// after the last whole line), ignoring lines with invalid syntax: records
// other than user-agent, allow and disallow, and rules before the first
// user-agent line. temoto/robotstxt rejects a whole file for one of those;
// RFC 9309 §2.2 asks to skip the line instead.
func parseRobots(body []byte) *robotstxt.RobotsData {
	if len(body) > robotsMaxSize {
		body = body[:robotsMaxSize]
		if i := bytes.LastIndexByte(body, '\n'); i >= 0 {
			body = body[:i+1]
		}
	}
	var clean bytes.Buffer
	agent := false
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(make([]byte, 0, 4096), robotsMaxSize)
	for sc.Scan() {
		line := sc.Text()
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		key, val, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		switch strings.ToLower(strings.TrimSpace(key)) {
		case "user-agent":
			agent = true
		case "allow", "disallow":
			if !agent {
				continue
			}
		default:
			continue
		}
		clean.WriteString(strings.TrimSpace(key) + ": " + strings.TrimSpace(val) + "\n")
	}
	data, err := robotstxt.FromBytes(clean.Bytes())
	if err != nil {
		// Cannot happen with the lines kept above; no rules then.
		data, _ = robotstxt.FromStatusAndBytes(http.StatusNotFound, nil)
	}
	return data
}
