package crawler

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// budgetErr returns the reasons of the budget failures in err.
func budgetErr(t *testing.T, err error) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, e := range flatten(err) {
		var fe *FetchError
		if errors.As(e, &fe) && errors.Is(e, ErrBudget) {
			out[fe.Reason] = fe.URL
		}
	}
	return out
}

// serveReports answers every /r/… path with a report page.
func serveReports(p *portal) {
	p.mux.HandleFunc("/r/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, reportPage("2023年政府信息公开工作年度报告", ""))
	})
}

// TestCrawler_Fetch_Budget: hostile columns that never run out end by
// themselves, with the budget limit recorded (issue 10).
func TestCrawler_Fetch_Budget(t *testing.T) {
	t.Run("EndlessIndexN", func(t *testing.T) {
		// index_N.html exists for every N, each with a 下一页 link and one
		// new report-looking link. With the default budget the column
		// stops at the pagination depth limit.
		p := newPortal(t)
		serveReports(p)
		var maxN int
		p.mux.HandleFunc("/col/", func(w http.ResponseWriter, r *http.Request) {
			n := 0
			if s, ok := strings.CutPrefix(r.URL.Path, "/col/index_"); ok {
				n, _ = strconv.Atoi(strings.TrimSuffix(s, ".html"))
			}
			p.mu.Lock()
			maxN = max(maxN, n)
			p.mu.Unlock()
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprint(w, listPage("年报", [][2]string{{fmt.Sprintf("/r/%d.html", n), fmt.Sprintf("第%d期 2023年政府信息公开工作年度报告", n)}},
				fmt.Sprintf(`<div class="page"><a href="index_%d.html">下一页</a></div>`, n+1)))
		})
		st := NewMemState()
		s, err := New(testOptions(st)).Fetch(context.Background(), Site{Name: "endless", Start: []string{p.url("/col/index.html")}}, &collect{})
		reasons := budgetErr(t, err)
		depth := DefaultBudget.MaxDepth
		if u, ok := reasons[fmt.Sprintf("budget: max_depth %d reached", depth)]; !ok || u != p.url(fmt.Sprintf("/col/index_%d.html", depth)) {
			t.Fatalf("budget failures %v, want max_depth at index_%d (err %v)", reasons, depth, err)
		}
		if s.Lists != depth+1 || maxN != depth || s.Reports != depth+1 {
			t.Errorf("lists %d reports %d, deepest page index_%d; want %d, %d, index_%d", s.Lists, s.Reports, maxN, depth+1, depth+1, depth)
		}
		if q, _ := st.Queue("endless"); len(q) != 0 {
			t.Errorf("%d items left queued", len(q))
		}
	})

	t.Run("EndlessPageParam", func(t *testing.T) {
		// list.jsp?page=N answers for every N with the same three reports
		// under URLs that change with N: new URLs, no new report. The
		// novelty rule stops the column.
		p := newPortal(t)
		serveReports(p)
		p.mux.HandleFunc("/list.jsp", func(w http.ResponseWriter, r *http.Request) {
			n, _ := strconv.Atoi(r.URL.Query().Get("page"))
			n = max(n, 1)
			var links [][2]string
			for i, y := range []int{2024, 2023, 2022} {
				links = append(links, [2]string{fmt.Sprintf("/r/%d.html?id=%d&from=%d", y, i, n), fmt.Sprintf("%d年政府信息公开工作年度报告", y)})
			}
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprint(w, listPage("年报", links, fmt.Sprintf(`<a href="list.jsp?page=%d">%d</a> <a href="list.jsp?page=%d">下一页</a>`, n+1, n+1, n+1)))
		})
		s, err := New(testOptions(nil)).Fetch(context.Background(), Site{Name: "pages", Start: []string{p.url("/list.jsp?page=1")}}, &collect{})
		reasons := budgetErr(t, err)
		stale := DefaultBudget.StalePages
		// Page 1 brings the three reports; pages 2…stale+1 bring nothing
		// new, so the page after them is not followed.
		if u, ok := reasons[fmt.Sprintf("budget: stale_pages %d reached", stale)]; !ok || u != p.url(fmt.Sprintf("/list.jsp?page=%d", stale+1)) {
			t.Fatalf("budget failures %v, want stale_pages at page %d (err %v)", reasons, stale+1, err)
		}
		if s.Lists != stale+1 || p.hit(fmt.Sprintf("/list.jsp?page=%d", stale+2)) != 0 {
			t.Errorf("lists %d, page %d hits %d; want %d and 0", s.Lists, stale+2, p.hit(fmt.Sprintf("/list.jsp?page=%d", stale+2)), stale+1)
		}
	})

	t.Run("Calendar", func(t *testing.T) {
		// A calendar: every day links the next day, week, month and year,
		// and lists that day's notice, which looks like a report. Each page
		// is new and the dates never run out; max_pages ends the run and
		// the queue is dropped.
		p := newPortal(t)
		serveReports(p)
		p.mux.HandleFunc("/cal/day.jsp", func(w http.ResponseWriter, r *http.Request) {
			d, err := time.Parse("2006-01-02", r.URL.Query().Get("date"))
			if err != nil {
				http.NotFound(w, r)
				return
			}
			day := d.Format("2006-01-02")
			var nav strings.Builder
			for _, j := range []struct {
				text string
				days int
			}{{"下一页", 1}, {"›", 7}, {"»", 30}, {">>", 365}} {
				fmt.Fprintf(&nav, `<a href="day.jsp?date=%s">%s</a> `, d.AddDate(0, 0, j.days).Format("2006-01-02"), strings.ReplaceAll(j.text, ">", "&gt;"))
			}
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprint(w, listPage("日历", [][2]string{{"/r/" + day + ".html", day + " 发布：2023年政府信息公开工作年度报告"}}, nav.String()))
		})
		st := NewMemState()
		opts := testOptions(st)
		opts.Budget.MaxPages = 300
		cr := New(opts)
		site := Site{Name: "cal", Start: []string{p.url("/cal/day.jsp?date=2024-05-01")}}
		s, err := cr.Fetch(context.Background(), site, &collect{})
		reasons := budgetErr(t, err)
		if u, ok := reasons["budget: max_pages 300 reached"]; !ok || u != site.Start[0] {
			t.Fatalf("budget failures %v, want max_pages (err %v)", reasons, err)
		}
		if s.Requests != 300 || s.Pending != 0 {
			t.Errorf("requests %d pending %d, want 300 and 0", s.Requests, s.Pending)
		}
		if q, _ := st.Queue("cal"); len(q) != 0 {
			t.Errorf("queue after the budget: %d items, want none", len(q))
		}
		// The next run starts from the start page again; it does not
		// resume the calendar where the first one stopped.
		s2, _ := cr.Fetch(context.Background(), site, &collect{})
		if s2.Resumed || p.hit("/cal/day.jsp?date=2024-05-01") != 2 || s2.Requests != 300 {
			t.Errorf("second run: resumed %v, start hits %d, requests %d", s2.Resumed, p.hit("/cal/day.jsp?date=2024-05-01"), s2.Requests)
		}
	})

	t.Run("MaxDuration", func(t *testing.T) {
		// A slow endless column: the wall-clock budget ends the run and
		// cancels what is in flight.
		p := newPortal(t)
		serveReports(p)
		p.delay = 30 * time.Millisecond
		p.mux.HandleFunc("/slow/", func(w http.ResponseWriter, r *http.Request) {
			n, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/slow/p"), ".html"))
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprint(w, listPage("年报", [][2]string{{fmt.Sprintf("/r/%d.html", n), fmt.Sprintf("第%d期 2023年政府信息公开工作年度报告", n)}},
				fmt.Sprintf(`<a href="p%d.html">下一页</a>`, n+1)))
		})
		st := NewMemState()
		opts := testOptions(st)
		opts.Budget = Budget{MaxDuration: 400 * time.Millisecond, MaxDepth: -1, StalePages: -1, MaxPages: -1}
		began := time.Now()
		s, err := New(opts).Fetch(context.Background(), Site{Name: "slow", Start: []string{p.url("/slow/p0.html")}}, &collect{})
		took := time.Since(began)
		if _, ok := budgetErr(t, err)["budget: max_duration 400ms reached"]; !ok {
			t.Fatalf("err = %v, want the max_duration budget", err)
		}
		if took > 10*time.Second || s.Lists < 2 {
			t.Errorf("took %v for %d list pages", took, s.Lists)
		}
		if q, _ := st.Queue("slow"); len(q) != 0 {
			t.Errorf("queue after the budget: %d items, want none", len(q))
		}
	})

	t.Run("SiteOverrides", func(t *testing.T) {
		b := Budget{MaxPages: 10, MaxDepth: -1}.override(Site{MaxPages: -1, StalePages: 4}).resolve(DefaultBudget)
		want := Budget{MaxPages: 0, MaxDepth: 0, StalePages: 4, MaxDuration: DefaultBudget.MaxDuration}
		if b != want {
			t.Errorf("budget = %+v, want %+v", b, want)
		}
	})
}
