package web

import (
	"context"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"nianbao/store"
)

// TestMetrics_RenderedAndChallenges: /metrics sums the pages rendered in
// the browser and the challenges it passed over every crawl run (issue 14).
func TestMetrics_RenderedAndChallenges(t *testing.T) {
	db, err := store.Open(filepath.Join(t.TempDir(), "metrics.db"), &store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, c := range []store.Counts{{Rendered: 3, ChallengesPassed: 1}, {Rendered: 2}} {
		id, err := db.BeginRun([]string{"x"})
		if err != nil {
			t.Fatal(err)
		}
		if err := db.FinishRun(store.Run{ID: id, Kind: "crawl", Sites: []string{"x"}, Counts: c}); err != nil {
			t.Fatal(err)
		}
	}
	w, err := New(db, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	w.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	for _, line := range []string{"nianbao_rendered_pages_total 5\n", "nianbao_challenges_passed_total 1\n"} {
		if !strings.Contains(rec.Body.String(), line) {
			t.Errorf("/metrics lacks %q:\n%s", line, rec.Body.String())
		}
	}
}
