package main

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"

	"nianbao/crawler"
)

// TestProgress_Hosts: the progress line and the progress log lines show
// the hosts with a request in flight and those waiting for their turn
// (issue 11).
func TestProgress_Hosts(t *testing.T) {
	ev := crawler.Event{Type: crawler.EventDocument, Site: "湛江市司法局",
		Stats: crawler.Stats{Lists: 1, Reports: 2}, Hosts: crawler.HostStats{Active: 3, Waiting: 7, InFlight: 4}}
	for _, tc := range []struct {
		tty  bool
		want string
	}{
		{true, "crawl: sites 0/2 · hosts 3 active, 7 waiting · pages 3 · reports 2 ·"},
		{false, "sites_done=0/2 hosts_active=3 hosts_waiting=7 in_flight=4 pages=3 reports=2"},
	} {
		var buf bytes.Buffer
		p := newProgress(&buf, 2, slog.LevelWarn)
		p.tty = tc.tty // p.last is zero: the first event draws
		p.event(ev)
		if !strings.Contains(buf.String(), tc.want) {
			t.Errorf("tty=%v: progress %q, want it to contain %q", tc.tty, buf.String(), tc.want)
		}
	}
}
