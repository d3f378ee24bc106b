package main

import (
	"regexp"
	"strings"
	"testing"
)

// The web view's page structure as serve's end-to-end test reads it; the
// same helpers live in web/web_test.go, where the pages are made.

var reportRowRE = regexp.MustCompile(`<tr class="report[^"]*" data-agency="([^"]+)" data-year="(\d+)"[^>]*>`)

func listed(body string) []string {
	var out []string
	for _, m := range reportRowRE.FindAllStringSubmatch(body, -1) {
		out = append(out, m[1]+" "+m[2])
	}
	return out
}

func chartPoints(t *testing.T, body, chart string) map[string][]string {
	t.Helper()
	start := strings.Index(body, `id="chart-`+chart+`"`)
	if start < 0 {
		t.Fatalf("no chart %s", chart)
	}
	svg := body[start:]
	svg = svg[:strings.Index(svg, "</svg>")]
	pts := map[string][]string{}
	for _, m := range regexp.MustCompile(`<circle class="pt (s\d)"[^>]*data-year="(\d+)" data-value="([^"]*)"`).FindAllStringSubmatch(svg, -1) {
		pts[m[1]] = append(pts[m[1]], m[2]+":"+m[3])
	}
	if n := strings.Count(svg, "<polyline"); n != len(pts) {
		t.Errorf("chart %s: %d polylines for %d series with points", chart, n, len(pts))
	}
	return pts
}
