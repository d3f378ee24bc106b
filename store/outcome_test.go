package store

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"nianbao/parser"
)

// TestDB_PutDocuments_OneTransaction stores a report page with its report,
// an attachment archived without parsing and the page's bytes again at a
// second URL in one call, and checks what each left: the body once, the
// report version made from the page's capture, and one outcome per URL,
// also after a reopen.
func TestDB_PutDocuments_OneTransaction(t *testing.T) {
	db, path := mustOpen(t, nil)
	r := truthReport(t)
	page, pdf := []byte("<html>行政审批局 2023 年报</html>"), []byte("%PDF-1.7 attachment")
	pageURL, pdfURL, copyURL := "https://www.pingtan.gov.cn/art/2024/1/30/art_1.html", "https://www.pingtan.gov.cn/art/2024/1/30/a.pdf", "https://www.pingtan.gov.cn/col/copy.html"
	docs := []Document{
		{Capture: Capture{URL: pageURL, Status: 200, RunID: "run-1", Site: "平潭"}, Body: page, Report: r, Outcome: Outcome{Kind: "report"}},
		{Capture: Capture{URL: pdfURL, Status: 200, RunID: "run-1"}, Body: pdf, Outcome: Outcome{Result: ResultArchived, Kind: "attachment", Parent: pageURL}},
		{Capture: Capture{SHA256: sha(string(page))}, Outcome: Outcome{URL: copyURL, Result: ResultDuplicate, Of: pageURL, RunID: "run-1"}},
	}
	res, err := db.PutDocuments(docs)
	if err != nil {
		t.Fatal(err)
	}
	if !res[0].NewCapture || !res[1].NewCapture || res[2].NewCapture {
		t.Errorf("NewCapture = %v %v %v, want true true false", res[0].NewCapture, res[1].NewCapture, res[2].NewCapture)
	}
	id := res[0].Report.AgencyID
	if want := (PutResult{AgencyID: id, Identified: true, Why: res[0].Report.Why, Agency: r.Agency, Year: 2023, Version: 1, Created: true, Changed: true}); res[0].Report != want || !IsAgencyID(id) || IsUnidentifiedID(id) {
		t.Errorf("report result = %+v, want %+v", res[0].Report, want)
	}
	o := res[0].Outcome
	if o.Result != ResultReport || o.URL != pageURL || o.SHA256 != sha(string(page)) || o.AgencyID != id || o.Agency != r.Agency || o.Year != 2023 ||
		o.Version != 1 || o.Cells != len(r.Cells) || o.RunID != "run-1" || o.ParserVersion != parser.Version || o.At.IsZero() {
		t.Errorf("page outcome = %+v", o)
	}

	db.Close()
	db = mustOpenPath(t, path, nil)
	outs, stored, err := db.Outcomes(sha(string(page)))
	if err != nil || !stored || len(outs) != 2 {
		t.Fatalf("Outcomes(page) = %d outcomes, stored %v, %v; want 2, true", len(outs), stored, err)
	}
	// By URL: the page's (…/art/…) sorts before the copy's (…/col/…).
	if outs[0].URL != pageURL || outs[0].Result != ResultReport || outs[1].URL != copyURL || outs[1].Result != ResultDuplicate || outs[1].Of != pageURL {
		t.Errorf("outcomes of the page body = %+v", outs)
	}
	if o, err := db.Outcome(sha(string(pdf)), pdfURL); err != nil || o.Result != ResultArchived || o.Parent != pageURL || o.Kind != "attachment" {
		t.Errorf("Outcome(pdf) = %+v, %v", o, err)
	}
	if _, err := db.Outcome(sha(string(pdf)), pageURL); !errors.Is(err, ErrNotFound) {
		t.Errorf("Outcome of the pdf at the page's URL: %v, want ErrNotFound", err)
	}
	rec, err := db.Report(r.Agency, 2023)
	if err != nil || rec.Count != 1 || !slices.Equal(rec.Latest().Captures, []string{sha(string(page))}) || rec.Latest().RunID != "run-1" {
		t.Fatalf("report after PutDocuments = %+v, %v", rec, err)
	}
	if probs, err := db.Check(context.Background()); err != nil || len(probs) != 0 {
		t.Errorf("Check = %v, %v; want no problems", probs, err)
	}

	// The same numbers again from another body: no new version, and the
	// outcome names the existing one.
	res, err = db.PutDocuments([]Document{{Capture: Capture{URL: pageURL, RunID: "run-2"}, Body: []byte("<html>republished</html>"), Report: truthReport(t)}})
	if err != nil {
		t.Fatal(err)
	}
	if res[0].Report.Changed || res[0].Outcome.Version != 1 || res[0].Outcome.Result != ResultReport {
		t.Errorf("same numbers again: %+v", res[0])
	}
}

// TestDB_PutDocuments_AllOrNothing: a batch with one bad document writes
// nothing at all, not even the good documents' bodies.
func TestDB_PutDocuments_AllOrNothing(t *testing.T) {
	db, _ := mustOpen(t, nil)
	good := Document{Capture: Capture{URL: "https://a.gov.cn/1.html"}, Body: []byte("good"), Report: truthReport(t)}
	for name, bad := range map[string]Document{
		"BodyNotStored": {Capture: Capture{SHA256: sha("never stored")}, Outcome: Outcome{URL: "https://a.gov.cn/2.html", Result: ResultArchived}},
		"NoURL":         {Body: []byte("x"), Outcome: Outcome{Result: ResultArchived}},
		"UnknownResult": {Capture: Capture{URL: "https://a.gov.cn/3.html"}, Body: []byte("y"), Outcome: Outcome{Result: "maybe"}},
		"NoYear":        {Capture: Capture{URL: "https://a.gov.cn/4.html"}, Body: []byte("z"), Report: &parser.Report{Agency: "某局"}},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := db.PutDocuments([]Document{good, bad})
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("err = %v, want ErrInvalid", err)
			}
			if ok, _ := db.HasCapture(sha("good")); ok {
				t.Error("the good document's body was stored")
			}
			if _, err := db.Report(good.Report.Agency, good.Report.Year); !errors.Is(err, ErrNotFound) {
				t.Errorf("the good document's report was stored: %v", err)
			}
		})
	}
}

// legacyArchive builds what an older nianbao left after a crash between a
// capture and its report: report pages whose capture, report and crawl
// state were all stored (without outcomes), and one page whose capture and
// validators were stored but whose report was not. It returns the URL and
// body hash of the page that lost its report.
func legacyArchive(t *testing.T, db *DB, n int) (lostURL, lostSHA string) {
	t.Helper()
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range n {
		url := fmt.Sprintf("https://www.zhanjiang.gov.cn/xxgknb/content/post_%d.html", i)
		body := fmt.Sprintf("<html>report %d</html>", i)
		if _, err := db.PutCapture(Capture{URL: url, Status: 200, Site: "湛江", FetchedAt: time.Now()}, []byte(body)); err != nil {
			t.Fatal(err)
		}
		if i < n-1 {
			if _, err := db.PutReport(syntheticReport(fmt.Sprintf("湛江市第%d司法所", i), 2025, rng), []string{sha(body)}, "run-1"); err != nil {
				t.Fatal(err)
			}
		}
		if err := db.SetURLState(url, URLState{Site: "湛江", ETag: fmt.Sprintf(`"e%d"`, i), SHA256: sha(body), LastStatus: 200, LastFetched: time.Now()}); err != nil {
			t.Fatal(err)
		}
		lostURL, lostSHA = url, sha(body)
	}
	// A list page's state names a body that was never archived.
	if err := db.SetURLState("https://www.zhanjiang.gov.cn/xxgknb/", URLState{Site: "湛江", SHA256: sha("list"), LastStatus: 200}); err != nil {
		t.Fatal(err)
	}
	// Drop the outcomes bucket, as in a file written before it existed.
	if err := db.bolt.Update(func(tx *boltTx) error { return tx.DeleteBucket(bucketOutcomes) }); err != nil {
		t.Fatal(err)
	}
	return lostURL, lostSHA
}

// TestDB_AdoptVersions_OldArchive opens an archive written before outcomes
// existed: read-only it reads as having none; read-write, AdoptVersions
// records the outcome of every body a report version was made from, without
// parsing, and leaves only the body whose report was lost unsettled.
func TestDB_AdoptVersions_OldArchive(t *testing.T) {
	path := filepath.Join(t.TempDir(), "old.db")
	db := mustOpenPath(t, path, nil)
	lostURL, lostSHA := legacyArchive(t, db, 5)
	db.Close()

	ro, err := Open(path, &Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	if outs, stored, err := ro.Outcomes(lostSHA); err != nil || !stored || len(outs) != 0 {
		t.Errorf("read-only Outcomes on an old file = %v, %v, %v", outs, stored, err)
	}
	probs, err := ro.Unsettled(context.Background())
	if err != nil || len(probs) != 5 {
		t.Errorf("Unsettled on the old file: %d problems, %v; want 5 (every report page)", len(probs), err)
	}
	ro.Close()

	db = mustOpenPath(t, path, nil)
	ctx := context.Background()
	n, err := db.AdoptVersions(ctx)
	if err != nil || n != 4 {
		t.Fatalf("AdoptVersions = %d, %v; want 4", n, err)
	}
	o, err := db.Outcome(sha("<html>report 2</html>"), "https://www.zhanjiang.gov.cn/xxgknb/content/post_2.html")
	if err != nil || o.Result != ResultReport || o.Agency != "湛江市第2司法所" || o.Year != 2025 || o.Version != 1 || o.Cells != syntheticCells || o.RunID != "run-1" {
		t.Errorf("adopted outcome = %+v, %v", o, err)
	}
	probs, err = db.Unsettled(ctx)
	if err != nil || len(probs) != 1 || probs[0].Kind != ProblemNoOutcome || probs[0].URL != lostURL || probs[0].SHA256 != lostSHA ||
		probs[0].Site != "湛江" || probs[0].DocKind != "report" || !probs[0].Current {
		t.Fatalf("Unsettled after adopting = %+v, %v; want the lost page alone", probs, err)
	}
	if n, err := db.AdoptVersions(ctx); err != nil || n != 0 {
		t.Errorf("second AdoptVersions = %d, %v; want 0", n, err)
	}
	probs, err = db.Check(ctx)
	if err != nil || len(probs) != 1 || probs[0].Kind != ProblemNoOutcome || !strings.Contains(probs[0].String(), lostURL) {
		t.Errorf("Check = %v, %v; want the lost page", probs, err)
	}
}

// TestDB_Check_Problems builds one archive with every kind of problem
// Check knows (but a broken file) and checks that each is found once.
func TestDB_Check_Problems(t *testing.T) {
	db, _ := mustOpen(t, nil)
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(5, 6))
	put := func(docs ...Document) {
		t.Helper()
		if _, err := db.PutDocuments(docs); err != nil {
			t.Fatal(err)
		}
	}
	state := func(url, body string) {
		t.Helper()
		if err := db.SetURLState(url, URLState{Site: "s", Kind: "report", SHA256: sha(body), LastStatus: 200}); err != nil {
			t.Fatal(err)
		}
	}
	// Consistent: a report page and its state.
	put(Document{Capture: Capture{URL: "https://a.gov.cn/ok.html"}, Body: []byte("ok"), Report: syntheticReport("甲局", 2024, rng)})
	state("https://a.gov.cn/ok.html", "ok")
	if probs, err := db.Check(ctx); err != nil || len(probs) != 0 {
		t.Fatalf("consistent archive: %v, %v", probs, err)
	}
	// A version naming a capture that is not stored.
	if _, err := db.PutReport(syntheticReport("乙局", 2024, rng), []string{sha("gone")}, "r"); err != nil {
		t.Fatal(err)
	}
	// A current body without an outcome.
	if _, err := db.PutCapture(Capture{URL: "https://a.gov.cn/lost.html"}, []byte("lost")); err != nil {
		t.Fatal(err)
	}
	state("https://a.gov.cn/lost.html", "lost")
	// A deferred page.
	put(Document{Capture: Capture{URL: "https://a.gov.cn/deferred.html"}, Body: []byte("deferred"), Outcome: Outcome{Result: ResultDeferred, Kind: "report", Agency: "丙局", Year: 2024}})
	state("https://a.gov.cn/deferred.html", "deferred")
	// An older body of a URL, with nothing recorded.
	if _, err := db.PutCapture(Capture{URL: "https://a.gov.cn/ok.html"}, []byte("ok, as first served")); err != nil {
		t.Fatal(err)
	}
	// An outcome naming a version that does not exist.
	if _, err := db.PutOutcome(Outcome{URL: "https://a.gov.cn/ok.html", SHA256: sha("ok"), Result: ResultReport, Agency: "甲局", Year: 2024, Version: 7}); err != nil {
		t.Fatal(err)
	}

	probs, err := db.Check(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range probs {
		got = append(got, fmt.Sprintf("%s %s %s", p.Kind, p.URL, p.SHA256))
	}
	want := []string{
		"bad-outcome https://a.gov.cn/ok.html " + sha("ok"),
		"deferred https://a.gov.cn/deferred.html " + sha("deferred"),
		"missing-capture  " + sha("gone"),
		"no-outcome https://a.gov.cn/lost.html " + sha("lost"),
		"unaccounted https://a.gov.cn/ok.html " + sha("ok, as first served"),
	}
	if !slices.Equal(got, want) {
		t.Errorf("Check found:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for _, p := range probs {
		if p.String() == "" || strings.Contains(p.String(), "%!") {
			t.Errorf("problem text %q", p.String())
		}
	}
}
