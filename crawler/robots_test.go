package crawler

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
)

// robotsPortal is a column with two reports, one under /private/, whose
// robots.txt is served by robots.
func robotsPortal(t *testing.T, robots http.HandlerFunc) *portal {
	p := newPortal(t)
	p.mux.HandleFunc("/robots.txt", robots)
	p.html("/nb/", listPage("年报", [][2]string{{"/nb/2024.html", "2024年政府信息公开工作年度报告"}, {"/private/2023.html", "2023年政府信息公开工作年度报告"}}, ""))
	p.report("/nb/2024.html", "2024年政府信息公开工作年度报告")
	p.report("/private/2023.html", "2023年政府信息公开工作年度报告")
	return p
}

// TestCrawler_Fetch_RobotsRFC9309 checks the robots.txt outcomes of RFC 9309
// §2.3.1 (issue 10): colly's own check treated a 5xx as "allow all".
func TestCrawler_Fetch_RobotsRFC9309(t *testing.T) {
	// unreachable checks a run where the host's robots.txt could not be
	// read: nothing is requested, the start page fails with the reason and
	// stays queued for the next run.
	unreachable := func(t *testing.T, p *portal, st Stats, err error, state State) {
		t.Helper()
		if !errors.Is(err, ErrRobotsUnreachable) {
			t.Fatalf("err = %v, want ErrRobotsUnreachable", err)
		}
		var fe *FetchError
		if !errors.As(err, &fe) || fe.Reason != "robots: unreachable" || fe.URL != p.url("/nb/") {
			t.Errorf("FetchError = %+v", fe)
		}
		if n := p.hit("/nb/") + p.hit("/nb/2024.html") + p.hit("/private/2023.html"); n != 0 {
			t.Errorf("%d pages requested on a host whose robots.txt is unreachable", n)
		}
		if st.Failures["robots: unreachable"] != 1 || st.Failed != 1 || st.Lists != 0 {
			t.Errorf("stats = %+v", st)
		}
		q, _ := state.Queue("r")
		if len(q) != 1 || q[0].URL != p.url("/nb/") || q[0].Failure != "robots: unreachable" {
			t.Errorf("queue = %+v, want the start page to retry", q)
		}
	}
	for _, code := range []int{500, 503} {
		t.Run(fmt.Sprintf("ServerError%d", code), func(t *testing.T) {
			var fail atomic.Bool
			fail.Store(true)
			var calls atomic.Int32
			p := robotsPortal(t, func(w http.ResponseWriter, r *http.Request) {
				calls.Add(1)
				if fail.Load() {
					http.Error(w, "down", code)
					return
				}
				fmt.Fprint(w, "User-agent: *\nDisallow: /private/\n")
			})
			state := NewMemState()
			cr := New(testOptions(state))
			site := Site{Name: "r", Start: []string{p.url("/nb/")}}
			st, err := cr.Fetch(context.Background(), site, &collect{})
			unreachable(t, p, st, err, state)
			// Retries (2 in testOptions) happen inside the one check; the
			// verdict is kept for the run.
			if got := calls.Load(); got != 3 {
				t.Errorf("robots.txt requested %d times, want 3 (1 + 2 retries)", got)
			}
			t.Run("RetriedNextRun", func(t *testing.T) {
				fail.Store(false)
				st, err := cr.Fetch(context.Background(), site, &collect{})
				if !errors.Is(err, ErrRobotsDisallowed) || errors.Is(err, ErrRobotsUnreachable) {
					t.Fatalf("err = %v, want only the /private/ URL disallowed", err)
				}
				if st.Reports != 1 || p.hit("/private/2023.html") != 0 || st.Failures["robots"] != 1 {
					t.Errorf("reports %d, private hits %d, failures %v", st.Reports, p.hit("/private/2023.html"), st.Failures)
				}
			})
		})
	}
	for _, code := range []int{404, 403, 401, 410} {
		t.Run(fmt.Sprintf("Unavailable%d", code), func(t *testing.T) {
			p := robotsPortal(t, func(w http.ResponseWriter, r *http.Request) {
				// A 4xx with rules in its body: the body is not a robots.txt.
				w.WriteHeader(code)
				fmt.Fprint(w, "User-agent: *\nDisallow: /\n")
			})
			st := mustFetch(t, New(testOptions(nil)), Site{Name: "r", Start: []string{p.url("/nb/")}}, &collect{})
			if st.Reports != 2 || st.Failed != 0 {
				t.Errorf("reports %d failed %d, want 2 and 0: a %d robots.txt allows everything", st.Reports, st.Failed, code)
			}
		})
	}
	t.Run("Unreachable", func(t *testing.T) {
		p := robotsPortal(t, func(w http.ResponseWriter, r *http.Request) {
			// The connection is dropped without an answer.
			c, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				c.Close()
			}
		})
		state := NewMemState()
		st, err := New(testOptions(state)).Fetch(context.Background(), Site{Name: "r", Start: []string{p.url("/nb/")}}, &collect{})
		unreachable(t, p, st, err, state)
	})
	t.Run("Redirects", func(t *testing.T) {
		// /robots.txt → /r1 → … → the file in exactly N redirects; five
		// hops are followed, six are not.
		for _, hops := range []int{5, 6} {
			t.Run(fmt.Sprintf("Hops%d", hops), func(t *testing.T) {
				next := func(i int) string { // target of redirect i (1-based)
					if i == hops {
						return "/robots-real.txt"
					}
					return fmt.Sprintf("/r%d", i)
				}
				p := robotsPortal(t, func(w http.ResponseWriter, r *http.Request) {
					http.Redirect(w, r, next(1), http.StatusMovedPermanently)
				})
				for i := 1; i < hops; i++ {
					p.mux.HandleFunc(fmt.Sprintf("/r%d", i), func(w http.ResponseWriter, r *http.Request) {
						http.Redirect(w, r, next(i+1), http.StatusFound)
					})
				}
				p.mux.HandleFunc("/robots-real.txt", func(w http.ResponseWriter, r *http.Request) {
					fmt.Fprint(w, "User-agent: *\nDisallow: /private/\n")
				})
				state := NewMemState()
				st, err := New(testOptions(state)).Fetch(context.Background(), Site{Name: "r", Start: []string{p.url("/nb/")}}, &collect{})
				if hops == robotsMaxRedirects {
					if st.Reports != 1 || st.Failures["robots"] != 1 || p.hit("/robots-real.txt") != 1 {
						t.Errorf("reports %d failures %v real file hits %d; want the file's rules applied", st.Reports, st.Failures, p.hit("/robots-real.txt"))
					}
					return
				}
				unreachable(t, p, st, err, state)
				if p.hit("/robots-real.txt") != 0 {
					t.Errorf("followed more than %d redirects", robotsMaxRedirects)
				}
			})
		}
	})
	t.Run("Oversized", func(t *testing.T) {
		// Rules past the first 500 KiB are ignored (RFC 9309 §2.5), and the
		// file is not read further.
		var pad strings.Builder
		for pad.Len() < robotsMaxSize+100<<10 {
			pad.WriteString("# padding padding padding padding padding padding padding\n")
		}
		body := "User-agent: *\nDisallow: /private/\n" + pad.String() + "Disallow: /nb/2024.html\n" + strings.Repeat("#", 16<<20)
		var sent atomic.Int64
		p := robotsPortal(t, func(w http.ResponseWriter, r *http.Request) {
			for i := 0; i < len(body); i += 64 << 10 {
				n, err := w.Write([]byte(body[i:min(i+64<<10, len(body))]))
				sent.Add(int64(n))
				if err != nil {
					return
				}
			}
		})
		st, err := New(testOptions(nil)).Fetch(context.Background(), Site{Name: "r", Start: []string{p.url("/nb/")}}, &collect{})
		if !errors.Is(err, ErrRobotsDisallowed) {
			t.Fatalf("err = %v, want /private/ disallowed", err)
		}
		if st.Reports != 1 || p.hit("/nb/2024.html") != 1 || p.hit("/private/2023.html") != 0 {
			t.Errorf("reports %d; 2024 hits %d, private hits %d; want 1, 1, 0", st.Reports, p.hit("/nb/2024.html"), p.hit("/private/2023.html"))
		}
		if s := sent.Load(); s > 8<<20 {
			t.Errorf("server sent %d bytes of robots.txt: the crawler read far past the cap", s)
		}
	})
	t.Run("InvalidLinesIgnored", func(t *testing.T) {
		// temoto/robotstxt rejects the whole file for one bad line (colly
		// then failed every page of the host); RFC 9309 §2.2 skips it.
		p := robotsPortal(t, func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprint(w, "Disallow: /nb/\nUser-agent: *\nCrawl-delay: soon\nDisallow: /private/\n<html>oops</html>\n")
		})
		st, err := New(testOptions(nil)).Fetch(context.Background(), Site{Name: "r", Start: []string{p.url("/nb/")}}, &collect{})
		if !errors.Is(err, ErrRobotsDisallowed) || st.Reports != 1 || st.Failures["robots"] != 1 {
			t.Errorf("err %v reports %d failures %v; want /private/ disallowed, the rest fetched", err, st.Reports, st.Failures)
		}
	})
}
