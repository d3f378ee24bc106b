package main

import (
	"fmt"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"nianbao/crawler"
	"nianbao/store"
)

func openRW(t *testing.T, path string) *store.DB {
	t.Helper()
	db, err := store.Open(path, &store.Options{SnapshotInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	return db
}

// TestStoreState_QueueAndRecords checks the crawler State adapter against
// a real store file: items survive a reopen with their kind and parent, one
// store entry holds one Enqueue call, an entry disappears with its last
// item, replaced items win over older copies, and records keep validators
// and count failed attempts.
func TestStoreState_QueueAndRecords(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	run := time.Date(2026, 11, 28, 18, 0, 0, 0, time.UTC)
	var items []crawler.Item
	for i := range 30 {
		items = append(items, crawler.Item{URL: fmt.Sprintf("http://a.gov.cn/xxgknb/content/post_%d.html", i), Kind: crawler.KindReport,
			Parent: "http://a.gov.cn/xxgknb/index.html", LinkText: fmt.Sprintf("某局%d2025年政府信息公开工作年度报告", i), Run: run})
	}
	post := crawler.Item{URL: "http://a.gov.cn/module/web/jpage/dataproxy.jsp?startrecord=1", Method: "POST", Form: "columnid=1&col=1", Kind: crawler.KindList, Run: run,
		Depth: 3, Stale: 2}

	db := openRW(t, path)
	s := newStoreState(db)
	if err := s.Enqueue("a", items); err != nil {
		t.Fatal(err)
	}
	if err := s.Enqueue("a", []crawler.Item{post}); err != nil {
		t.Fatal(err)
	}
	for _, it := range items[:29] {
		if err := s.Done("a", crawler.Record{Key: it.Key(), URL: it.URL, FetchedAt: run.Add(time.Minute), Status: 200,
			ETag: `"e-` + it.URL[len(it.URL)-8:] + `"`, SHA256: "ab"}); err != nil {
			t.Fatal(err)
		}
	}
	// One item fails and is requeued with its failure.
	failed := items[29]
	if err := s.Done("a", crawler.Record{Key: failed.Key(), URL: failed.URL, FetchedAt: run.Add(time.Minute), Status: 503, Failure: "http 503"}); err != nil {
		t.Fatal(err)
	}
	again := failed
	again.Failure, again.Attempts = "http 503", 1
	if err := s.Enqueue("a", []crawler.Item{again}); err != nil {
		t.Fatal(err)
	}
	if err := s.Flush(); err != nil {
		t.Fatal(err)
	}
	pending, err := db.Pending("a")
	if err != nil {
		t.Fatal(err)
	}
	// The 30-item entry was added and emptied within one batch: it never
	// reached the file. Left: the POST entry and the requeued failure.
	if len(pending) != 2 {
		t.Errorf("store queue has %d entries, want 2: %q", len(pending), pending)
	}
	db.Close()

	db = openRW(t, path)
	defer db.Close()
	s = newStoreState(db)
	q, err := s.Queue("a")
	if err != nil {
		t.Fatal(err)
	}
	sort.Slice(q, func(i, j int) bool { return q[i].Key() < q[j].Key() }) // "POST …" sorts first
	if len(q) != 2 {
		t.Fatalf("queue after reopen = %+v, want 2 items", q)
	}
	if q[1].Key() != failed.URL || q[1].Failure != "http 503" || q[1].Attempts != 1 || q[1].Kind != crawler.KindReport ||
		q[1].Parent != failed.Parent || q[1].LinkText != failed.LinkText || !q[1].Run.Equal(run) {
		t.Errorf("requeued item = %+v", q[1])
	}
	if q[0].Key() != post.Key() || q[0].Method != "POST" || q[0].Form != post.Form || q[0].Depth != 3 || q[0].Stale != 2 {
		t.Errorf("POST item = %+v", q[0])
	}
	rec, ok, err := s.Lookup(items[3].URL)
	if err != nil || !ok || rec.ETag != `"e-t_3.html"` || rec.Status != 200 || !rec.FetchedAt.Equal(run.Add(time.Minute)) || rec.SHA256 != "ab" {
		t.Errorf("lookup = %+v %v %v", rec, ok, err)
	}
	us, err := db.URLState(failed.URL)
	if err != nil || us.Attempts != 1 || us.LastError != "http 503" || us.LastStatus != 503 {
		t.Errorf("failed URL state = %+v, %v", us, err)
	}
	if _, ok, _ := s.Lookup("http://a.gov.cn/never"); ok {
		t.Error("lookup of an unknown URL found a record")
	}

	// Finishing the rest empties the store queue; a partly done entry
	// stays until its last item is done.
	big := make([]crawler.Item, 0, 3)
	for i := range 3 {
		big = append(big, crawler.Item{URL: fmt.Sprintf("http://a.gov.cn/b/%d.html", i), Kind: crawler.KindReport, Run: run})
	}
	if err := s.Enqueue("a", big); err != nil {
		t.Fatal(err)
	}
	if err := s.Flush(); err != nil {
		t.Fatal(err)
	}
	for _, it := range append([]crawler.Item{failed, post}, big[:2]...) {
		if err := s.Done("a", crawler.Record{Key: it.Key(), URL: it.URL, FetchedAt: run, Status: 200}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Flush(); err != nil {
		t.Fatal(err)
	}
	if p, _ := db.Pending("a"); len(p) != 1 {
		t.Errorf("after 2 of 3: store queue = %q, want the one 3-item entry", p)
	}
	if err := s.Done("a", crawler.Record{Key: big[2].Key(), URL: big[2].URL, FetchedAt: run, Status: 200}); err != nil {
		t.Fatal(err)
	}
	if err := s.Flush(); err != nil {
		t.Fatal(err)
	}
	if p, _ := db.Pending("a"); len(p) != 0 {
		t.Errorf("after all: store queue = %q, want empty", p)
	}
}

// TestStoreState_LargeEnqueue splits a big Enqueue into entries below the
// store's key size limit.
func TestStoreState_LargeEnqueue(t *testing.T) {
	db := openRW(t, filepath.Join(t.TempDir(), "state.db"))
	defer db.Close()
	s := newStoreState(db)
	var items []crawler.Item
	for i := range 400 {
		items = append(items, crawler.Item{URL: fmt.Sprintf("http://www.gd.gov.cn/gkmlpt/content/4/%d/post_%d.html", 4688+i, 4688997+i),
			Kind: crawler.KindReport, LinkText: "广东省人民政府2024年政府信息公开工作年度报告（这是一个很长的标题，用来测试条目大小的上限）", Run: time.Now()})
	}
	if err := s.Enqueue("gd", items); err != nil {
		t.Fatal(err)
	}
	if err := s.Flush(); err != nil {
		t.Fatal(err)
	}
	p, err := db.Pending("gd")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range p {
		if len(e) > maxEntryBytes+2 {
			t.Errorf("entry of %d bytes exceeds %d", len(e), maxEntryBytes)
		}
		its, err := decodeEntry(e)
		if err != nil {
			t.Fatal(err)
		}
		n += len(its)
	}
	if len(p) < 2 || n != 400 {
		t.Errorf("%d entries holding %d items, want several entries holding 400", len(p), n)
	}
}

// TestStoreState_Drop: dropping queued items (a run that exhausted its
// budget) removes them from the store's queue without recording anything
// for their URLs, and keeps the others.
func TestStoreState_Drop(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	db := openRW(t, path)
	s := newStoreState(db)
	var items []crawler.Item
	for i := range 5 {
		items = append(items, crawler.Item{URL: fmt.Sprintf("http://a.gov.cn/cal/day.jsp?date=2024-05-0%d", i+1), Kind: crawler.KindList, Depth: i})
	}
	retry := crawler.Item{URL: "http://a.gov.cn/r/1.html", Kind: crawler.KindReport, Failure: "http 503", Attempts: 1}
	if err := s.Enqueue("cal", items); err != nil {
		t.Fatal(err)
	}
	if err := s.Enqueue("cal", []crawler.Item{retry}); err != nil {
		t.Fatal(err)
	}
	if err := s.Flush(); err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, it := range items {
		keys = append(keys, it.Key())
	}
	if err := s.Drop("cal", append(keys, "http://a.gov.cn/never-queued")); err != nil {
		t.Fatal(err)
	}
	if err := s.Flush(); err != nil {
		t.Fatal(err)
	}
	db.Close()
	db = openRW(t, path)
	defer db.Close()
	q, err := newStoreState(db).Queue("cal")
	if err != nil || len(q) != 1 || q[0].URL != retry.URL || q[0].Failure != "http 503" {
		t.Errorf("queue after drop = %+v, %v; want only the retry", q, err)
	}
	if _, err := db.URLState(items[0].URL); err == nil {
		t.Error("a dropped item got a URL record")
	}
}
