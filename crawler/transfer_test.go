package crawler

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// hijack serves path by writing raw bytes on the connection: what a broken
// server or a middlebox sends, which net/http's server would never produce.
func (p *portal) hijack(path string, raw func(w *bufio.ReadWriter, c net.Conn)) {
	p.mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
		c, buf, err := w.(http.Hijacker).Hijack()
		if err != nil {
			p.t.Errorf("hijack: %v", err)
			return
		}
		defer c.Close()
		raw(buf, c)
		buf.Flush()
	})
}

func TestCrawler_Fetch_TransferErrors(t *testing.T) {
	p := newPortal(t)
	page := reportPage("2024年政府信息公开工作年度报告", "")
	p.hijack("/nb/chunked.html", func(w *bufio.ReadWriter, _ net.Conn) {
		// A chunk size line that is not hex, after a good first chunk.
		fmt.Fprintf(w, "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nTransfer-Encoding: chunked\r\n\r\n%x\r\n%s\r\nzz-not-hex\r\n", 100, page[:100])
	})
	p.hijack("/nb/cut.html", func(w *bufio.ReadWriter, _ net.Conn) {
		// A chunked body whose connection closes before the last chunk.
		fmt.Fprintf(w, "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nTransfer-Encoding: chunked\r\n\r\n%x\r\n%s\r\n", 100, page[:100])
	})
	p.hijack("/nb/reset.html", func(w *bufio.ReadWriter, c net.Conn) {
		// The server drops the connection without answering; SO_LINGER 0
		// makes the close a TCP RST.
		w.Flush()
		if tc, ok := c.(*net.TCPConn); ok {
			tc.SetLinger(0)
		}
	})
	p.hijack("/nb/gzip.html", func(w *bufio.ReadWriter, _ net.Conn) {
		body := "this is not gzip at all, whatever the header says"
		fmt.Fprintf(w, "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Encoding: gzip\r\nContent-Length: %d\r\n\r\n%s", len(body), body)
	})
	p.report("/nb/ok.html", "2019年政府信息公开工作年度报告")
	p.html("/nb/", listPage("年报", [][2]string{
		{"chunked.html", "2024年政府信息公开工作年度报告"}, {"cut.html", "2023年政府信息公开工作年度报告"},
		{"reset.html", "2022年政府信息公开工作年度报告"}, {"gzip.html", "2021年政府信息公开工作年度报告"},
		{"ok.html", "2019年政府信息公开工作年度报告"}}, ""))
	opts := testOptions(nil)
	opts.Retries = 0
	st, err := New(opts).Fetch(context.Background(), Site{Name: "x", Start: []string{p.url("/nb/")}}, &collect{})
	if err == nil {
		t.Fatal("no error")
	}
	want := map[string]string{
		"/nb/chunked.html": "truncated",
		"/nb/cut.html":     "truncated",
		"/nb/reset.html":   "reset",
		"/nb/gzip.html":    "bad encoding",
	}
	got := map[string]string{}
	for _, e := range flatten(err) {
		var fe *FetchError
		if errors.As(e, &fe) {
			got[fe.URL[len(p.srv.URL):]] = fe.Reason
		}
	}
	for path, reason := range want {
		if got[path] != reason {
			t.Errorf("%s: reason %q, want %q (err: %v)", path, got[path], reason, err)
		}
	}
	if st.Reports != 1 || st.Failed != 4 {
		t.Errorf("reports %d failed %d, want 1 and 4", st.Reports, st.Failed)
	}
}

// flatten unpacks an errors.Join tree.
func flatten(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, flatten(e)...)
		}
		return out
	}
	if err == nil {
		return nil
	}
	return []error{err}
}

// TestCrawler_Fetch_LargeBodiesOneAtATime: bodies over bigBody are handed
// to the sink one at a time across every Fetch of a Crawler (issue 10: the
// crawl's peak memory), whether their size is announced or only seen once
// read; smaller ones do not wait.
func TestCrawler_Fetch_LargeBodiesOneAtATime(t *testing.T) {
	p := newPortal(t)
	big := bytes.Repeat([]byte("%PDF-1.4 large attachment "), bigBody/26+4096)
	for _, name := range []string{"a", "b", "c"} {
		p.mux.HandleFunc("/big/"+name+".pdf", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/pdf")
			w.Header().Set("Content-Length", strconv.Itoa(len(big)))
			w.Write(big)
		})
	}
	p.mux.HandleFunc("/big/chunked.pdf", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/pdf")
		for i := 0; i < len(big); i += 1 << 20 {
			w.Write(big[i:min(i+1<<20, len(big))])
			w.(http.Flusher).Flush()
		}
	})
	for i := range 4 {
		p.report(fmt.Sprintf("/small/%d.html", i), fmt.Sprintf("%d年政府信息公开工作年度报告", 2020+i))
	}
	p.html("/one/", listPage("年报", [][2]string{{"/big/a.pdf", "2024年政府信息公开工作年度报告"}, {"/big/chunked.pdf", "2023年政府信息公开工作年度报告"},
		{"/small/0.html", "2020年政府信息公开工作年度报告"}, {"/small/1.html", "2021年政府信息公开工作年度报告"}}, ""))
	p.html("/two/", listPage("年报", [][2]string{{"/big/b.pdf", "2022年政府信息公开工作年度报告"}, {"/big/c.pdf", "2019年政府信息公开工作年度报告"},
		{"/small/2.html", "2022年政府信息公开工作年度报告"}, {"/small/3.html", "2023年政府信息公开工作年度报告"}}, ""))

	var inBig, peakBig, bigs atomic.Int32
	sink := SinkFunc(func(ctx context.Context, d Document) error {
		if len(d.Body) <= bigBody {
			return nil
		}
		bigs.Add(1)
		n := inBig.Add(1)
		defer inBig.Add(-1)
		for {
			old := peakBig.Load()
			if n <= old || peakBig.CompareAndSwap(old, n) {
				break
			}
		}
		time.Sleep(50 * time.Millisecond) // archiving and parsing
		return nil
	})
	cr := New(testOptions(nil))
	var wg sync.WaitGroup
	for _, s := range []Site{{Name: "one", Start: []string{p.url("/one/")}}, {Name: "two", Start: []string{p.url("/two/")}}} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if st, err := cr.Fetch(context.Background(), s, sink); err != nil || st.Reports+st.Attachments != 4 {
				t.Errorf("%s: err %v, %d documents", s.Name, err, st.Reports+st.Attachments)
			}
		}()
	}
	wg.Wait()
	if bigs.Load() != 4 || peakBig.Load() != 1 {
		t.Errorf("%d large documents, at most %d at once; want 4 and 1", bigs.Load(), peakBig.Load())
	}
}
