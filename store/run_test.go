package store

import (
	"context"
	"errors"
	"path/filepath"
	"regexp"
	"slices"
	"testing"
	"time"
)

func TestDB_Runs(t *testing.T) {
	db, _ := mustOpen(t, nil)
	id1, err := db.BeginRun([]string{"pingtan", "shenzhen"})
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^\d{8}T\d{6}Z-1$`).MatchString(id1) {
		t.Errorf("run ID %q; want start time and sequence", id1)
	}
	id2, err := db.BeginRun([]string{"pingtan"})
	if err != nil {
		t.Fatal(err)
	}
	fails := []URLFailure{{URL: "https://www.pingtan.gov.cn/x.html", Site: "pingtan", Reason: "http 404", Status: 404, Error: "not found", At: time.Now()}}
	err = db.FinishRun(Run{ID: id1, Counts: Counts{PagesFetched: 120, NotModified: 80, NewCaptures: 40, NewReports: 3, NewVersions: 4,
		Failures: map[string]int{"http 404": 1}}, Failures: fails})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.FinishRun(Run{ID: "nope"}); !errors.Is(err, ErrNotFound) {
		t.Errorf("FinishRun(unknown): %v; want ErrNotFound", err)
	}
	r, err := db.Run(id1)
	if err != nil {
		t.Fatal(err)
	}
	if r.Kind != "crawl" || !slices.Equal(r.Sites, []string{"pingtan", "shenzhen"}) || r.Started.IsZero() || r.Finished.Before(r.Started) ||
		r.Counts.PagesFetched != 120 || r.Counts.NewVersions != 4 || r.Counts.Failures["http 404"] != 1 ||
		len(r.Failures) != 1 || r.Failures[0].Status != 404 {
		t.Errorf("Run = %+v", r)
	}
	var ids []string
	if err := db.Runs(context.Background(), func(r Run) error { ids = append(ids, r.ID); return nil }); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ids, []string{id1, id2}) {
		t.Errorf("Runs = %q; want %q", ids, []string{id1, id2})
	}
	last, err := db.LastRuns(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	// id2 never finished (an interrupted run), so it does not count.
	if len(last) != 2 || last["pingtan"].ID != id1 || last["shenzhen"].ID != id1 {
		t.Errorf("LastRuns = %+v; want id1 for both sites", last)
	}
}

func TestDB_CrawlState_SurvivesRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "nianbao.db")
	db := mustOpenPath(t, path, nil)
	u1, u2, u3 := "https://www.pingtan.gov.cn/gk/1.html", "https://www.pingtan.gov.cn/gk/2.html", "https://www.pingtan.gov.cn/gk/3.html"
	if n, err := db.Enqueue("pingtan", u1, u2, u3, u2); err != nil || n != 3 {
		t.Fatalf("Enqueue = %d, %v; want 3 (a repeat is skipped)", n, err)
	}
	if n, err := db.Enqueue("other", u1); err != nil || n != 1 {
		t.Fatalf("Enqueue(other site) = %d, %v; want 1", n, err)
	}
	if err := db.Done("pingtan", u1); err != nil {
		t.Fatal(err)
	}
	if err := db.Done("pingtan", "https://never.queued/"); err != nil {
		t.Errorf("Done(not queued) = %v; want nil", err)
	}
	first := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	if err := db.SetURLState(u1, URLState{Site: "pingtan", ETag: `W/"5f-1"`, LastModified: "Mon, 02 Jan 2006 15:04:05 GMT",
		SHA256: sha("x"), LastStatus: 200, FirstSeen: first, LastFetched: first}); err != nil {
		t.Fatal(err)
	}
	// A later 304 keeps FirstSeen.
	if err := db.SetURLState(u1, URLState{Site: "pingtan", ETag: `W/"5f-1"`, SHA256: sha("x"), LastStatus: 304, LastFetched: first.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil { // the crawl is interrupted here
		t.Fatal(err)
	}

	db = mustOpenPath(t, path, nil)
	pend, err := db.Pending("pingtan")
	if err != nil || !slices.Equal(pend, []string{u2, u3}) {
		t.Errorf("Pending after restart = %q, %v; want %q", pend, err, []string{u2, u3})
	}
	if n, err := db.Enqueue("pingtan", u1); err != nil || n != 1 {
		t.Errorf("re-Enqueue of a done URL = %d, %v; want 1", n, err)
	}
	pend, _ = db.Pending("pingtan")
	if !slices.Equal(pend, []string{u2, u3, u1}) {
		t.Errorf("Pending = %q; want FIFO order", pend)
	}
	s, err := db.URLState(u1)
	if err != nil {
		t.Fatal(err)
	}
	if s.URL != u1 || s.ETag != `W/"5f-1"` || s.LastStatus != 304 || !s.FirstSeen.Equal(first) || !s.LastFetched.Equal(first.Add(time.Hour)) {
		t.Errorf("URLState = %+v", s)
	}
	if _, err := db.URLState(u2); !errors.Is(err, ErrNotFound) {
		t.Errorf("URLState(unseen) err = %v; want ErrNotFound", err)
	}
	if _, err := db.Enqueue("", u1); !errors.Is(err, ErrInvalid) {
		t.Errorf("Enqueue(empty site) err = %v; want ErrInvalid", err)
	}
	n := 0
	if err := db.ForEachURL(context.Background(), func(URLState) error { n++; return nil }); err != nil || n != 1 {
		t.Errorf("ForEachURL saw %d, %v; want 1", n, err)
	}
}
