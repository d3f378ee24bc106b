package crawler

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"testing"
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
