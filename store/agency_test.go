package store

import (
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"nianbao/parser"
	"nianbao/parser/agency"
)

// putPage stores report r as parsed from a body fetched from url on site,
// the way a crawl does (PutDocuments), and returns what was stored.
func putPage(t *testing.T, db *DB, site, url string, r *parser.Report) DocumentResult {
	t.Helper()
	cp := *r
	cp.SourceURL = url
	res, err := db.PutDocuments([]Document{{Capture: Capture{URL: url, Status: 200, Site: site, FetchedAt: time.Now()},
		Body: []byte(url + "\n" + CellsDigest(&cp) + "\n" + cp.Agency), Report: &cp, Outcome: Outcome{Kind: "report"}}})
	if err != nil {
		t.Fatal(err)
	}
	return res[0]
}

// named returns the synthetic report of organ agency for year, as read from
// source.
func named(agency string, source parser.IdentitySource, year int, seed uint64) *parser.Report {
	r := syntheticReport(agency, year, newRand(seed))
	r.AgencySource = source
	return r
}

func newRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, seed+1)) }

func mustCheck(t *testing.T, db *DB) {
	t.Helper()
	probs, err := db.Check(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range probs {
		t.Errorf("check: %s", p)
	}
}

// Issue 12: names of one organ are merged only when the site or a valid
// organ code agrees; the rest is proposed.
func TestDB_Register_MergesOnlyWithEvidence(t *testing.T) {
	db, _ := mustOpen(t, nil)
	a := putPage(t, db, "洪泽区", "https://www.hongze.gov.cn/nb/2023.html", named("洪泽区人民政府", parser.IdentityTitle, 2023, 1))
	b := putPage(t, db, "洪泽区", "https://www.hongze.gov.cn/nb/2024.html", named("淮安市洪泽区人民政府", parser.IdentityHeading, 2024, 2))
	if a.Report.AgencyID != b.Report.AgencyID || !a.Report.Identified || !strings.HasPrefix(a.Report.AgencyID, "a:") {
		t.Fatalf("same site, parent division: %+v and %+v, want one organ", a.Report, b.Report)
	}
	if !strings.Contains(b.Report.Why, "adds the parent division 淮安市") || !strings.Contains(b.Report.Why, "the same site") {
		t.Errorf("why = %q", b.Report.Why)
	}
	// Another site prints the short name: nothing confirms it is the same
	// 洪泽区 (there are other 洪泽区s? the register cannot know).
	c := putPage(t, db, "淮安市", "https://www.huaian.gov.cn/nb/hz2022.html", named("洪泽区人民政府", parser.IdentityTitle, 2022, 3))
	if c.Report.AgencyID == a.Report.AgencyID {
		t.Fatalf("another site without a code joined the organ: %+v", c.Report)
	}
	props, err := db.Proposals(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(props) != 1 || !slices.Contains([]string{props[0].A, props[0].B}, c.Report.AgencyID) || props[0].Confirm == "" {
		t.Fatalf("proposals = %+v, want the 淮安市 site's organ proposed", props)
	}
	// The same valid organ code joins organs across sites.
	code := "01424668-5"
	r := named("淮安市洪泽区人民政府", parser.IdentityTitle, 2021, 4)
	r.OrganCode = code
	d := putPage(t, db, "洪泽区", "https://www.hongze.gov.cn/nb/2021.html", r)
	r = named("洪泽区人民政府", parser.IdentityTitle, 2020, 5)
	r.OrganCode = "014246685"
	e := putPage(t, db, "江苏省", "https://www.jiangsu.gov.cn/nb/hz2020.html", r)
	if d.Report.AgencyID != a.Report.AgencyID || e.Report.AgencyID != a.Report.AgencyID {
		t.Errorf("organ code: %s and %s, want %s", d.Report.AgencyID, e.Report.AgencyID, a.Report.AgencyID)
	}
	ag, err := db.Agency(a.Report.AgencyID)
	if err != nil {
		t.Fatal(err)
	}
	if ag.Name != "淮安市洪泽区人民政府" || ag.Division != "淮安市洪泽区" || !slices.Equal(ag.Years, []int{2020, 2021, 2023, 2024}) ||
		!slices.Equal(ag.Codes, []string{"014246685"}) || !slices.Equal(ag.Sites, []string{"洪泽区", "江苏省"}) || len(ag.Names) != 2 {
		t.Errorf("organ = %+v", ag)
	}
	if n := ag.Names[0]; n.Name != "洪泽区人民政府" || !slices.Equal(n.Years, []int{2020, 2023}) || !slices.Equal(n.Sources, []parser.IdentitySource{parser.IdentityTitle}) {
		t.Errorf("first name = %+v", n)
	}
	// Lookups: by name (any it printed), by code, by ID.
	ids, exact, err := db.LookupAgencies("洪泽区人民政府")
	if err != nil || !slices.Contains(exact, a.Report.AgencyID) || len(ids) != 2 {
		t.Errorf("LookupAgencies(name) = %v exact %v, %v", ids, exact, err)
	}
	if ids, _, _ := db.LookupAgencies("01424668-5"); !slices.Equal(ids, []string{a.Report.AgencyID}) {
		t.Errorf("LookupAgencies(code) = %v", ids)
	}
	if rec, err := db.Report("洪泽区人民政府", 2024); err != nil || rec.AgencyID != a.Report.AgencyID || rec.Agency != "淮安市洪泽区人民政府" {
		t.Errorf("Report(another name of the organ, 2024) = %+v, %v", rec, err)
	}
	mustCheck(t, db)
}

// Issue 12: reports whose organ is only the site's name are never stacked.
func TestDB_Register_UnidentifiedNeverStacked(t *testing.T) {
	db, _ := mustOpen(t, nil)
	const site = "沭阳县"
	var ids []string
	for i, u := range []string{"https://www.shuyang.gov.cn/nb/bm/a.html", "https://www.shuyang.gov.cn/nb/bm/b.html", "https://www.shuyang.gov.cn/nb/bm/c.html"} {
		res := putPage(t, db, site, u, named(site, parser.IdentityConfig, 2023, uint64(10+i)))
		if res.Report.Identified || !IsUnidentifiedID(res.Report.AgencyID) || !res.Report.Created || res.Outcome.AgencyID != res.Report.AgencyID {
			t.Fatalf("page %d: %+v", i, res)
		}
		ids = append(ids, res.Report.AgencyID)
	}
	if len(slices.Compact(slices.Sorted(slices.Values(ids)))) != 3 {
		t.Fatalf("three pages got IDs %v, want three reports", ids)
	}
	// The same numbers on another page: nothing says it is the same
	// organ's (small organs print all-zero tables alike), so a report of
	// its own.
	same := putPage(t, db, site, "https://www.shuyang.gov.cn/gkmlpt/content/1.html", named(site, parser.IdentityConfig, 2023, 10))
	if slices.Contains(ids, same.Report.AgencyID) || !same.Report.Created {
		t.Errorf("a page with the same numbers = %+v, want a report of its own", same.Report)
	}
	n, err := db.CountReports(context.Background(), Filter{Status: "unidentified"})
	if err != nil || n != 4 {
		t.Errorf("unidentified reports = %d, %v; want 4", n, err)
	}
	var urls []string
	err = db.ForEachReport(context.Background(), Filter{Status: "unidentified", Year: 2023}, func(r *ReportRecord) error {
		urls = append(urls, r.URL)
		if r.Identified || r.Site != site || r.Agency != site {
			t.Errorf("unidentified record %+v", r)
		}
		return nil
	})
	if err != nil || len(urls) != 4 {
		t.Errorf("unidentified URLs %v, %v", urls, err)
	}
	// The site's name finds them.
	if ids2, _, _ := db.LookupAgencies("沭阳"); len(ids2) != 4 {
		t.Errorf("LookupAgencies(site name) = %v", ids2)
	}
	// A later body of page b names its organ: the unidentified report of
	// that page becomes the organ's, with both versions.
	r := named("沭阳县发展和改革局", parser.IdentityTitle, 2023, 99)
	res := putPage(t, db, site, "https://www.shuyang.gov.cn/nb/bm/b.html", r)
	if !res.Report.Identified {
		t.Fatalf("identified page = %+v", res.Report)
	}
	rec, err := db.Report(res.Report.AgencyID, 2023)
	if err != nil || rec.Count != 2 || rec.Agency != "沭阳县发展和改革局" {
		t.Fatalf("the organ's report = %+v, %v; want the page's two versions", rec, err)
	}
	if _, err := db.Report(ids[1], 2023); !errors.Is(err, ErrNotFound) {
		t.Errorf("the unidentified report of page b is still there: %v", err)
	}
	mustCheck(t, db)
}

// An agency_id, once assigned, stays with its organ: across reopening, new
// names, and a merge by a configuration rule (the absorbed ID redirects).
func TestDB_Register_IDsStable(t *testing.T) {
	db, path := mustOpen(t, nil)
	a := putPage(t, db, "衡阳", "https://www.hengyang.gov.cn/nb/rf2023.html", named("衡阳市人民防空办公室", parser.IdentityTitle, 2023, 1))
	b := putPage(t, db, "湖南", "https://www.hunan.gov.cn/nb/hy-rf2024.html", named("衡阳市人防办", parser.IdentityMetadata, 2024, 2))
	if a.Report.AgencyID == b.Report.AgencyID {
		t.Fatalf("different sites, abbreviation, no code: merged as %s", a.Report.AgencyID)
	}
	// The abbreviation on the organ's own site joins it.
	c := putPage(t, db, "衡阳", "https://www.hengyang.gov.cn/nb/rf2022.html", named("衡阳市人防办", parser.IdentityMetadata, 2022, 3))
	if c.Report.AgencyID != a.Report.AgencyID || !strings.Contains(c.Report.Why, "both stand for 衡阳市人民防空办公室") {
		t.Errorf("same site abbreviation = %+v", c.Report)
	}
	db.Close()
	db = mustOpenPath(t, path, nil)
	// A rule makes the two one organ: the older ID stays.
	rules, err := agency.NewRules([]agency.Rule{{Name: "衡阳市人民防空办公室", Aliases: []string{"衡阳市人防办"}}})
	if err != nil {
		t.Fatal(err)
	}
	merged, err := db.ApplyAgencyRules(rules)
	if err != nil || merged != 1 {
		t.Fatalf("ApplyAgencyRules = %d, %v; want 1 merge", merged, err)
	}
	ag, err := db.Agency(b.Report.AgencyID) // the absorbed ID redirects
	if err != nil || ag.ID != a.Report.AgencyID || !slices.Equal(ag.Years, []int{2022, 2023, 2024}) || ag.Rule != "衡阳市人民防空办公室" ||
		!slices.Contains(ag.Merged, b.Report.AgencyID) {
		t.Fatalf("after the rule: %+v, %v", ag, err)
	}
	rec, err := db.Report(b.Report.AgencyID, 2024)
	if err != nil || rec.AgencyID != a.Report.AgencyID {
		t.Errorf("Report(absorbed ID) = %+v, %v", rec, err)
	}
	// The moved report's outcome follows it.
	outs, _, err := db.Outcomes(b.Outcome.SHA256)
	if err != nil || len(outs) != 1 || outs[0].AgencyID != a.Report.AgencyID || outs[0].Year != 2024 || outs[0].Version != 1 {
		t.Errorf("outcome of the moved report = %+v, %v", outs, err)
	}
	// Applying the same rules again changes nothing; a later report of the
	// alias goes to the organ.
	if merged, err := db.ApplyAgencyRules(rules); err != nil || merged != 0 {
		t.Errorf("applying again: %d, %v", merged, err)
	}
	d := putPage(t, db, "湖南", "https://www.hunan.gov.cn/nb/hy-rf2025.html", named("衡阳市人防办", parser.IdentityMetadata, 2025, 4))
	if d.Report.AgencyID != a.Report.AgencyID || !strings.Contains(d.Report.Why, "configuration") {
		t.Errorf("alias after the rule = %+v", d.Report)
	}
	mustCheck(t, db)
}

// A rename stated in the configuration keeps one agency_id across the 机构改革.
func TestDB_Register_RenameRule(t *testing.T) {
	db, _ := mustOpen(t, nil)
	rules, err := agency.NewRules([]agency.Rule{{Name: "湛江市司法局", RenamedFrom: []agency.Change{{Name: "湛江市法制局", Year: 2019}}},
		{Name: "湛江市市场监督管理局", MergedFrom: []agency.Change{{Name: "湛江市工商行政管理局", Year: 2019}}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.ApplyAgencyRules(rules); err != nil {
		t.Fatal(err)
	}
	old := putPage(t, db, "湛江", "https://www.zhanjiang.gov.cn/fzj/2018.html", named("湛江市法制局", parser.IdentityTitle, 2018, 1))
	cur := putPage(t, db, "湛江", "https://www.zhanjiang.gov.cn/sfj/2019.html", named("湛江市司法局", parser.IdentityTitle, 2019, 2))
	if old.Report.AgencyID != cur.Report.AgencyID {
		t.Fatalf("rename: %s and %s", old.Report.AgencyID, cur.Report.AgencyID)
	}
	ag, err := db.Agency(cur.Report.AgencyID)
	if err != nil || ag.Name != "湛江市司法局" || len(ag.Links) != 1 || ag.Links[0].Name != "湛江市法制局" || ag.Links[0].Year != 2019 {
		t.Errorf("renamed organ = %+v, %v", ag, err)
	}
	// A merged organ stays an organ of its own, linked by its successor.
	gs := putPage(t, db, "湛江", "https://www.zhanjiang.gov.cn/gsj/2018.html", named("湛江市工商行政管理局", parser.IdentityTitle, 2018, 3))
	sj := putPage(t, db, "湛江", "https://www.zhanjiang.gov.cn/scjgj/2019.html", named("湛江市市场监督管理局", parser.IdentityTitle, 2019, 4))
	if gs.Report.AgencyID == sj.Report.AgencyID {
		t.Errorf("a merged organ took its successor's ID")
	}
	if ag, err := db.Agency(sj.Report.AgencyID); err != nil || len(ag.Links) != 1 || ag.Links[0].Kind != "merged_from" {
		t.Errorf("successor = %+v, %v", ag, err)
	}
	mustCheck(t, db)
}

// The indexes answer ls, export and diff; Check finds an index that
// disagrees and RebuildIndexes repairs it.
func TestDB_Indexes_CheckAndRebuild(t *testing.T) {
	db, _ := mustOpen(t, nil)
	ok := putPage(t, db, "x", "https://x.gov.cn/a.html", named("某县司法局", parser.IdentityTitle, 2023, 1))
	bad := named("某县财政局", parser.IdentityTitle, 2024, 2)
	bad.Failures = []parser.CheckFailure{{Rule: "R1"}}
	putPage(t, db, "x", "https://x.gov.cn/b.html", bad)
	none := named("某县公安局", parser.IdentityTitle, 2024, 3)
	none.Cells = nil
	putPage(t, db, "x", "https://x.gov.cn/c.html", none)
	putPage(t, db, "x", "https://x.gov.cn/d.html", named("某县", parser.IdentityConfig, 2024, 4))
	count := func(f Filter) int {
		n, err := db.CountReports(context.Background(), f)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	for f, want := range map[Filter]int{
		{}: 4, {Year: 2024}: 3, {Status: "ok"}: 2, {Status: "fail"}: 1, {Status: "none"}: 1, {Status: "unidentified"}: 1,
		{Status: "identified"}: 3, {Status: "ok", Year: 2024}: 1, {AgencyContains: "某县"}: 4, {AgencyContains: "司法"}: 1,
		{AgencyID: ok.Report.AgencyID}: 1, {Agency: "某县财政局"}: 1, {AgencyContains: "某县", Status: "unidentified"}: 1,
	} {
		if got := count(f); got != want {
			t.Errorf("CountReports(%+v) = %d, want %d", f, got, want)
		}
	}
	// A summary-only listing reads no version.
	var sums []string
	err := db.ForEachReport(context.Background(), Filter{Year: 2024, SummaryOnly: true}, func(r *ReportRecord) error {
		if r.Versions != nil {
			t.Errorf("summary of %s has versions", r.Agency)
		}
		sums = append(sums, fmt.Sprintf("%s %s %s %d %v", r.Agency, r.Status, r.Format, r.Failed, r.Identified))
		return nil
	})
	slices.Sort(sums)
	if want := []string{"某县 ok 2021 0 false", "某县公安局 none 2021 0 true", "某县财政局 fail 2021 1 true"}; err != nil || !slices.Equal(sums, want) {
		t.Errorf("summaries = %q, %v; want %q", sums, err, want)
	}
	if err := db.ForEachReport(context.Background(), Filter{Status: "maybe"}, func(*ReportRecord) error { return nil }); !errors.Is(err, ErrInvalid) {
		t.Errorf("bad status: %v", err)
	}
	mustCheck(t, db)
	// Damage the indexes behind the store's back.
	rk, _ := reportKey(ok.Report.AgencyID, 2023)
	err = db.update(func(tx *boltTx) error {
		if err := tx.Bucket(bucketReportYears).Delete(yearKey(2023, ok.Report.AgencyID)); err != nil {
			return err
		}
		return tx.Bucket(bucketReportStatus).Put(statusKey("fail", rk), nil)
	})
	if err != nil {
		t.Fatal(err)
	}
	probs, err := db.Check(context.Background())
	if err != nil || len(probs) != 2 || probs[0].Kind != ProblemIndex || probs[1].Kind != ProblemIndex {
		t.Fatalf("check of damaged indexes = %v, %v", probs, err)
	}
	if err := db.RebuildIndexes(context.Background()); err != nil {
		t.Fatal(err)
	}
	mustCheck(t, db)
	if got := count(Filter{Year: 2023}); got != 1 {
		t.Errorf("after the rebuild, year 2023 has %d reports", got)
	}
}

// Issue 12: a schema 1 archive, written by nianbao before the register,
// keeps working: a read-only open says which command migrates it, a
// read-write open migrates it, and the reports it stacked under a site's
// name become one report per page.
func TestOpen_MigratesSchema1(t *testing.T) {
	path := filepath.Join(t.TempDir(), "old.db")
	gunzipTo(t, "testdata/schema1-stacked.db.gz", path)
	_, err := Open(path, &Options{ReadOnly: true, SnapshotInterval: -1})
	var se *SchemaError
	if !errors.As(err, &se) || !errors.Is(err, ErrSchemaOld) || se.Have != 1 || !strings.Contains(err.Error(), "nianbao reparse --db") {
		t.Fatalf("read-only open of schema 1: %v", err)
	}
	db := mustOpenPath(t, path, nil)
	info, err := db.Migration()
	if err != nil || info == nil || info.From != 1 || info.To != SchemaVersion || info.Reports != 5 || info.Stacked != 2 {
		t.Fatalf("migration = %+v, %v; want 5 reports of which 2 stacked", info, err)
	}
	type row struct {
		agency     string
		year, n    int
		identified bool
	}
	var got []row
	err = db.ForEachReport(context.Background(), Filter{LatestOnly: true}, func(r *ReportRecord) error {
		got = append(got, row{r.Agency, r.Year, r.Count, r.Identified})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.SortFunc(got, func(a, b row) int {
		return strings.Compare(a.agency+string(rune(a.year)), b.agency+string(rune(b.year)))
	})
	want := []row{
		{"平潭综合实验区市场监督管理局", 2024, 2, true},
		{"沭阳县", 2023, 1, false}, {"沭阳县", 2023, 1, false},
		{"洪泽区人民政府", 2023, 1, true},
		{"淮安市洪泽区人民政府", 2024, 1, true},
		{"灌南县", 2023, 1, false}, {"灌南县", 2023, 1, false},
	}
	if !slices.Equal(got, want) {
		t.Errorf("reports after migration:\n got %v\nwant %v", got, want)
	}
	// 洪泽区's two printed names are one organ (same site); their source
	// is marked as not recorded until reparse reads them again.
	hz, err := db.Report("洪泽区人民政府", 2023)
	if err != nil {
		t.Fatal(err)
	}
	ag, err := db.Agency(hz.AgencyID)
	if err != nil || !slices.Equal(ag.Years, []int{2023, 2024}) || ag.Names[0].Sources[0] != UnrecordedSource {
		t.Errorf("洪泽区 organ = %+v, %v", ag, err)
	}
	mustCheck(t, db)
	// Reopened: nothing to migrate again; readers open it.
	db.Close()
	ro, err := Open(path, &Options{ReadOnly: true, SnapshotInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	if n, err := ro.CountReports(context.Background(), Filter{Status: "unidentified"}); err != nil || n != 4 {
		t.Errorf("unidentified after reopening: %d, %v", n, err)
	}
}

func gunzipTo(t *testing.T, from, to string) {
	t.Helper()
	f, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	out, err := os.Create(to)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, zr); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}
