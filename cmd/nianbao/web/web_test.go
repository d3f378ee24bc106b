package web

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"nianbao/cmd/nianbao/export"
	"nianbao/parser"
	"nianbao/store"
)

// webArchive is a real archive filled by parsing the bundled real reports,
// plus a second version of 湛江市司法局 2025 whose 总计 row was edited to
// break the template's sums (R1–R3), as a re-published page might.
type webArchive struct {
	db       *store.DB
	w        *Server
	srv      *httptest.Server
	seedSHA  string // capture of the original seed page
	seedBody []byte
	finished time.Time
}

var webFixtures = []struct{ file, ctype string }{
	{"zhanjiang-sifaju-2025.txt", "text/plain; charset=utf-8"},
	{"pingtan-shichangjianguanju-2020.html", "text/html; charset=utf-8"},
	{"pingtan-shichangjianguanju-2024.html", "text/html; charset=utf-8"},
	{"pingtan-junshanpianqu-2023.html", "text/html; charset=utf-8"},
	{"pingtan-xingzhengshenpiju-2023.html", "text/html; charset=utf-8"},
	{"pingtan-gonganju-2018.html", "text/html"}, // GBK without a charset, as served
}

func newWebArchive(t *testing.T) *webArchive {
	t.Helper()
	db, err := store.Open(filepath.Join(t.TempDir(), "web.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	runID, err := db.BeginRun([]string{"fixtures"})
	if err != nil {
		t.Fatal(err)
	}
	fetched := time.Date(2026, 2, 1, 8, 0, 0, 0, time.UTC)
	a := &webArchive{db: db}
	put := func(name, ctype string, body []byte) string {
		t.Helper()
		u := "https://www.example.gov.cn/xxgknb/" + name
		c := store.Capture{URL: u, Status: 200, ContentType: ctype, FetchedAt: fetched, RunID: runID}
		if _, err := db.PutCapture(c, body); err != nil {
			t.Fatal(err)
		}
		rep, err := parser.Parse(body, parser.Source{URL: u, FetchedAt: fetched, ContentType: ctype})
		if err != nil {
			t.Fatalf("parse %s: %v", name, err)
		}
		if _, err := db.PutReport(rep, []string{rep.SHA256}, runID); err != nil {
			t.Fatal(err)
		}
		return rep.SHA256
	}
	for _, f := range webFixtures {
		body, err := os.ReadFile(filepath.Join("..", "demodata", f.file))
		if err != nil {
			t.Fatal(err)
		}
		sha := put(f.file, f.ctype, body)
		if strings.HasPrefix(f.file, "zhanjiang") {
			a.seedSHA, a.seedBody = sha, body
		}
	}
	// Version 2: the natural-person cell of （七）总计 reprinted as 12.
	broken := bytes.Replace(a.seedBody, []byte("(七)总计\n\n 10\n"), []byte("(七)总计\n\n 12\n"), 1)
	if bytes.Equal(broken, a.seedBody) {
		t.Fatal("the seed's 总计 row was not found")
	}
	put("zhanjiang-sifaju-2025-v2.txt", "text/plain; charset=utf-8", broken)

	run := store.Run{ID: runID, Kind: "crawl", Sites: []string{"fixtures"},
		Counts: store.Counts{PagesFetched: 7, NotModified: 2, NewCaptures: 7, NewReports: 6, NewVersions: 1,
			Failures: map[string]int{"http 404": 2, "blocked: ruishu": 1}},
		Failures: []store.URLFailure{
			{URL: "https://www.example.gov.cn/a.html", Reason: "http 404", Status: 404, Error: "not found", At: fetched},
			{URL: "https://www.example.gov.cn/b.html", Reason: "http 404", Status: 404, Error: "not found", At: fetched},
			{URL: "https://www.example.gov.cn/c.html", Reason: "blocked: ruishu", Status: 412, Error: "challenge", At: fetched},
		}}
	if err := db.FinishRun(run); err != nil {
		t.Fatal(err)
	}
	r, err := db.Run(runID)
	if err != nil {
		t.Fatal(err)
	}
	a.finished = r.Finished

	a.w, err = New(db, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.w.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	a.srv = httptest.NewServer(a.w.Handler())
	t.Cleanup(a.srv.Close)
	return a
}

// get fetches path and returns the status, headers and body.
func (a *webArchive) get(t *testing.T, path string) (int, http.Header, string) {
	t.Helper()
	resp, err := http.Get(a.srv.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, string(b)
}

func (a *webArchive) mustGet(t *testing.T, path string) string {
	t.Helper()
	code, _, body := a.get(t, path)
	if code != http.StatusOK {
		t.Fatalf("GET %s: status %d, body %.300s", path, code, body)
	}
	return body
}

func reportPath(agency string, year int) string { return ReportURL(agency, year) }

var reportRowRE = regexp.MustCompile(`<tr class="report[^"]*" data-agency="([^"]+)" data-year="(\d+)"[^>]*>`)

func listed(body string) []string {
	var out []string
	for _, m := range reportRowRE.FindAllStringSubmatch(body, -1) {
		out = append(out, m[1]+" "+m[2])
	}
	return out
}

func TestWeb_Reports_Filters(t *testing.T) {
	a := newWebArchive(t)
	tests := []struct {
		query string
		want  []string
	}{
		{"", []string{"平潭综合实验区公安局 2018", "平潭综合实验区君山片区管理局 2023", "平潭综合实验区市场监督管理局 2020",
			"平潭综合实验区市场监督管理局 2024", "平潭综合实验区行政审批局 2023", "湛江市司法局 2025"}},
		{"?year=2023", []string{"平潭综合实验区君山片区管理局 2023", "平潭综合实验区行政审批局 2023"}},
		{"?agency=" + url.QueryEscape("市场监督"), []string{"平潭综合实验区市场监督管理局 2020", "平潭综合实验区市场监督管理局 2024"}},
		{"?format=2019", []string{"平潭综合实验区市场监督管理局 2020"}},
		{"?status=fail", []string{"湛江市司法局 2025"}},
		{"?status=none", []string{"平潭综合实验区公安局 2018"}},
		{"?status=ok&format=2021&year=2024", []string{"平潭综合实验区市场监督管理局 2024"}},
	}
	for _, tt := range tests {
		for _, base := range []string{"/", "/reports"} {
			body := a.mustGet(t, base+tt.query)
			if got := listed(body); strings.Join(got, "|") != strings.Join(tt.want, "|") {
				t.Errorf("GET %s%s lists %q, want %q", base, tt.query, got, tt.want)
			}
		}
	}
	body := a.mustGet(t, "/?agency="+url.QueryEscape("湛江"))
	// The key numbers of the latest version (v2: 总计 reprinted) and its
	// failed checks.
	for _, want := range []string{`<td class="num">10</td>`, `<td class="num">2</td>`, "3 of 42 failed"} {
		if !strings.Contains(body, want) {
			t.Errorf("the 湛江市司法局 row lacks %q", want)
		}
	}
	// The download links carry the filter.
	if f := a.mustGet(t, "/?year=2023&format=2021"); !strings.Contains(f, `href="/export/wide?format=2021&amp;year=2023"`) {
		t.Error("download links lack the filter")
	}
	// Paging: six reports, two a page.
	p1 := a.mustGet(t, "/?limit=2")
	if got := listed(p1); len(got) != 2 || got[0] != "平潭综合实验区公安局 2018" || !strings.Contains(p1, `href="?limit=2&amp;offset=2">next →</a>`) ||
		strings.Contains(p1, "previous") || !strings.Contains(p1, "Rows 1–2 of 6") {
		t.Errorf("page 1 of 3: %q, or bad pager", got)
	}
	p3 := a.mustGet(t, "/?limit=2&offset=4&status=")
	if got := listed(p3); strings.Join(got, "|") != "平潭综合实验区行政审批局 2023|湛江市司法局 2025" || strings.Contains(p3, "next →") ||
		!strings.Contains(p3, `offset=2">← previous</a>`) {
		t.Errorf("page 3 of 3: %q, or bad pager", got)
	}
	var api struct {
		Count   int             `json:"count"`
		Offset  int             `json:"offset"`
		Reports []ReportSummary `json:"reports"`
	}
	if err := json.Unmarshal([]byte(a.mustGet(t, "/api/reports?limit=4&offset=3")), &api); err != nil {
		t.Fatal(err)
	}
	if api.Count != 6 || api.Offset != 3 || len(api.Reports) != 3 || api.Reports[0].Agency != "平潭综合实验区市场监督管理局" || api.Reports[0].Year != 2024 {
		t.Errorf("/api/reports?limit=4&offset=3: count %d offset %d, %d reports starting %+v", api.Count, api.Offset, len(api.Reports), api.Reports)
	}
	for _, bad := range []string{"/?limit=0", "/?limit=x", "/?offset=-1", "/api/reports?limit=20000"} {
		if code, _, _ := a.get(t, bad); code != http.StatusBadRequest {
			t.Errorf("GET %s: status %d, want 400", bad, code)
		}
	}
	if code, _, _ := a.get(t, "/?year=abc"); code != http.StatusBadRequest {
		t.Errorf("bad year: status %d, want 400", code)
	}
	if code, _, _ := a.get(t, "/?status=maybe"); code != http.StatusBadRequest {
		t.Errorf("bad status: status %d, want 400", code)
	}
}

func TestWeb_Report_TablesAndFailures(t *testing.T) {
	a := newWebArchive(t)
	body := a.mustGet(t, reportPath("湛江市司法局", 2025))
	cell := func(id string) (text string, fail bool) {
		re := regexp.MustCompile(`<td class="num( fail)?[^"]*" data-id="` + regexp.QuoteMeta(id) + `"[^>]*>([^<]*)</td>`)
		m := re.FindStringSubmatch(body)
		if m == nil {
			t.Fatalf("no cell %s on the report page", id)
		}
		return m[2], m[1] != ""
	}
	for id, want := range map[string]string{
		"t2.licensing.decisions": "236", "t2.penalty.decisions": "6", "t2.normative_docs.in_force": "1",
		"t3.new_received.natural_person": "10", "t3.total.natural_person": "12", "t3.total.total": "10",
		"t3.unavailable.not_held.total": "6", "t3.partial.total": "2", "t4.review.total": "0",
	} {
		if got, _ := cell(id); got != want {
			t.Errorf("cell %s shows %q, want %q", id, got, want)
		}
	}
	// R1 and R2 fail for the natural_person column, R3 for the total row:
	// their cells are highlighted, the others are not.
	for id, want := range map[string]bool{
		"t3.total.natural_person": true, "t3.new_received.natural_person": true, "t3.carried_forward.natural_person": true,
		"t3.total.commercial": true, "t3.total.total": true, // R3: the whole total row
		"t3.partial.natural_person": true, // R2: an outcome row of the column
		"t3.new_received.total":     false, "t3.partial.total": false, "t2.licensing.decisions": false, "t4.review.total": false,
	} {
		if _, got := cell(id); got != want {
			t.Errorf("cell %s highlighted %v, want %v", id, got, want)
		}
	}
	for _, want := range []string{"3 of 42 checks fail", "R1 t3 column natural_person", "R2 t3 column natural_person", "R3 t3 row total",
		`<td class="label">（七）总计</td>`, `<td class="label">（三）不予公开 1.属于国家秘密</td>`, `<th colspan="5">未经复议直接起诉</th>`,
		`href="/captures/`, "Version 2 of 2", "一、本年新收政府信息公开申请数量"} {
		if !strings.Contains(body, want) {
			t.Errorf("report page lacks %q", want)
		}
	}
	// Version 1 is the report as first published: 10 everywhere, no failures.
	v1 := a.mustGet(t, reportPath("湛江市司法局", 2025)+"?v=1")
	if !strings.Contains(v1, `data-id="t3.total.natural_person">10</td>`) || strings.Contains(v1, "fail\"") ||
		!strings.Contains(v1, "All 42 checks hold") || !strings.Contains(v1, "/captures/"+a.seedSHA) {
		t.Errorf("version 1 page: want 10 in t3.total.natural_person, no highlighted cell, 42 checks holding and the seed capture link")
	}
	// A 2019-format report has the 2019 table 二 and the single （六） row.
	b2019 := a.mustGet(t, reportPath("平潭综合实验区市场监督管理局", 2020))
	for _, want := range []string{"本年新制作数量", `data-id="t3.other.total"`, `data-id="t3.new_received.total">5</td>`} {
		if !strings.Contains(b2019, want) {
			t.Errorf("2019-format page lacks %q", want)
		}
	}
	if strings.Contains(b2019, "t3.other.overdue_fee") {
		t.Error("2019-format page shows the 2021 other.* rows")
	}
	for path, want := range map[string]int{
		reportPath("湛江市司法局", 2024):                    http.StatusNotFound,
		reportPath("湛江市司法局", 2025) + "?v=7":           http.StatusNotFound,
		"/reports/" + url.PathEscape("湛江市司法局") + "/x": http.StatusBadRequest,
	} {
		if code, _, _ := a.get(t, path); code != want {
			t.Errorf("GET %s: status %d, want %d", path, code, want)
		}
	}
}

func TestWeb_Report_AgencyWithSlash(t *testing.T) {
	// An agency name is a path segment: a "/" in it is escaped, not a
	// separator.
	a := newWebArchive(t)
	rec, err := a.db.Report("湛江市司法局", 2025)
	if err != nil {
		t.Fatal(err)
	}
	r := *rec.Versions[0].Report
	r.Agency = "某市/某区 司法局?#"
	res, err := a.db.PutReport(&r, rec.Versions[0].Captures, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := a.w.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	path := ReportURL(r.Agency, 2025)
	if !strings.Contains(path, "%2F") {
		t.Fatalf("report URL %s does not escape the slash", path)
	}
	body := a.mustGet(t, path)
	if !strings.Contains(body, "<h1>某市/某区 司法局?# 2025") || !strings.Contains(body, `data-id="t2.licensing.decisions">236</td>`) {
		t.Error("the report of an agency with / ? # in its name is not shown")
	}
	// The list links to it by its agency_id; the name works as well.
	if byID := ReportURL(res.AgencyID, 2025); !strings.Contains(a.mustGet(t, "/"), `href="`+byID+`"`) || a.mustGet(t, byID) != body {
		t.Error("the list does not link to it")
	}
	a.mustGet(t, AgencyURL(r.Agency))
	a.mustGet(t, "/api"+path)
}

func TestWeb_Capture(t *testing.T) {
	a := newWebArchive(t)
	code, h, body := a.get(t, "/captures/"+a.seedSHA)
	if code != http.StatusOK || body != string(a.seedBody) {
		t.Fatalf("capture: status %d, %d bytes, want 200 and the %d archived bytes", code, len(body), len(a.seedBody))
	}
	if got := h.Get("Content-Type"); got != "text/plain; charset=utf-8" {
		t.Errorf("Content-Type %q, want the stored one", got)
	}
	if got := h.Get("Content-Security-Policy"); got != "sandbox" {
		t.Errorf("CSP %q, want sandbox", got)
	}
	if got := h.Get("X-Nianbao-Source-URL"); got != "https://www.example.gov.cn/xxgknb/zhanjiang-sifaju-2025.txt" {
		t.Errorf("source URL header %q", got)
	}
	for _, bad := range []string{strings.Repeat("0", 64), "xyz"} {
		if code, _, _ := a.get(t, "/captures/"+bad); code != http.StatusNotFound {
			t.Errorf("capture %s: status %d, want 404", bad, code)
		}
	}
}

// chartPoints returns the data-value of each point of a chart's series, by
// series class.
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

func TestWeb_Agency_Charts(t *testing.T) {
	a := newWebArchive(t)
	body := a.mustGet(t, AgencyURL("平潭综合实验区市场监督管理局"))
	tests := []struct {
		chart string
		want  map[string][]string
	}{
		{"received", map[string][]string{"s0": {"2020:5", "2024:4"}}},
		// granted, partial, denied, unavailable, not processed, other
		// (2019's single row, 2021's three rows summed), total.
		{"outcomes", map[string][]string{"s0": {"2020:0", "2024:1"}, "s1": {"2020:2", "2024:1"}, "s2": {"2020:0", "2024:0"},
			"s3": {"2020:0", "2024:2"}, "s4": {"2020:0", "2024:0"}, "s5": {"2020:3", "2024:0"}, "s6": {"2020:5", "2024:4"}}},
		{"appeals", map[string][]string{"s0": {"2020:0", "2024:0"}, "s1": {"2020:0", "2024:0"}}},
	}
	for _, tt := range tests {
		got := chartPoints(t, body, tt.chart)
		if len(got) != len(tt.want) {
			t.Errorf("chart %s: series %v, want %v", tt.chart, got, tt.want)
			continue
		}
		for k, w := range tt.want {
			if strings.Join(got[k], " ") != strings.Join(w, " ") {
				t.Errorf("chart %s series %s: points %v, want %v", tt.chart, k, got[k], w)
			}
		}
	}
	// 行政审批局 2023 has one review and one lawsuit after review.
	one := chartPoints(t, a.mustGet(t, AgencyURL("平潭综合实验区行政审批局")), "appeals")
	if strings.Join(one["s0"], "") != "2023:1" || strings.Join(one["s1"], "") != "2023:1" {
		t.Errorf("行政审批局 appeals chart %v, want one point each of value 1", one)
	}
	// A legacy report has no tables: the agency page shows no points.
	legacy := a.mustGet(t, AgencyURL("平潭综合实验区公安局"))
	if n := strings.Count(legacy, "<circle"); n != 0 {
		t.Errorf("legacy agency page has %d points, want 0", n)
	}
	if code, _, _ := a.get(t, AgencyURL("不存在的机关")); code != http.StatusNotFound {
		t.Errorf("unknown agency: status %d, want 404", code)
	}
}

func TestWeb_Diff_Versions(t *testing.T) {
	a := newWebArchive(t)
	body := a.mustGet(t, reportPath("湛江市司法局", 2025)+"/diff")
	if !strings.Contains(body, "Version 1 → 2: 1 changed cells") {
		t.Errorf("diff page lacks the summary; got %.2000s", body)
	}
	re := regexp.MustCompile(`<tr data-id="t3.total.natural_person"><td>t3</td><td>total</td><td>natural_person</td><td class="num">10</td><td class="num">12</td><td class="num">2</td><td class="num">20.0</td></tr>`)
	if !re.MatchString(body) {
		t.Errorf("diff page lacks the row t3.total.natural_person 10 → 12 (+2, 20%%)")
	}
	one := a.mustGet(t, reportPath("平潭综合实验区行政审批局", 2023)+"/diff")
	if !strings.Contains(one, "Only one version") {
		t.Error("single-version diff page does not say so")
	}
	if code, _, _ := a.get(t, reportPath("湛江市司法局", 2025)+"/diff?from=5"); code != http.StatusNotFound {
		t.Errorf("diff from a missing version: status %d, want 404", code)
	}
}

func TestWeb_Runs(t *testing.T) {
	a := newWebArchive(t)
	body := a.mustGet(t, "/runs")
	for _, want := range []string{"<tr><td>http 404</td><td class=\"num\">2</td></tr>", "<tr><td>blocked: ruishu</td><td class=\"num\">1</td></tr>",
		"https://www.example.gov.cn/c.html", `<td class="num">7</td>`} {
		if !strings.Contains(body, want) {
			t.Errorf("runs page lacks %q", want)
		}
	}
	var got struct {
		Count int         `json:"count"`
		Runs  []store.Run `json:"runs"`
	}
	if err := json.Unmarshal([]byte(a.mustGet(t, "/api/runs")), &got); err != nil {
		t.Fatal(err)
	}
	if got.Count != 1 || len(got.Runs) != 1 || got.Runs[0].Counts.PagesFetched != 7 || got.Runs[0].Counts.Failures["http 404"] != 2 || len(got.Runs[0].Failures) != 3 {
		t.Errorf("/api/runs = %+v", got)
	}
}

func TestWeb_API_Reports(t *testing.T) {
	a := newWebArchive(t)
	var list struct {
		Count   int             `json:"count"`
		Reports []ReportSummary `json:"reports"`
	}
	if err := json.Unmarshal([]byte(a.mustGet(t, "/api/reports?year=2023")), &list); err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(list.Reports, func(r ReportSummary) bool { return r.Agency == "平潭综合实验区行政审批局" })
	if list.Count != 2 || i < 0 || list.Reports[i].NewReceived != "7" || !list.Reports[i].Identified ||
		list.Reports[i].Review != "1" || list.Reports[i].Litigation != "1" || list.Reports[i].Status != "ok" || list.Reports[i].Checked != 42 {
		t.Fatalf("/api/reports?year=2023 = %+v", list)
	}
	if want := "/api/reports/" + list.Reports[i].AgencyID + "/2023"; list.Reports[i].URL != want || !strings.HasPrefix(want, "/api/reports/a:") {
		t.Errorf("API URL %q, want %q", list.Reports[i].URL, want)
	}

	var one struct {
		Agency   string          `json:"agency"`
		Year     int             `json:"year"`
		Count    int             `json:"count"`
		Versions []store.Version `json:"versions"`
	}
	if err := json.Unmarshal([]byte(a.mustGet(t, "/api"+reportPath("湛江市司法局", 2025))), &one); err != nil {
		t.Fatal(err)
	}
	if one.Count != 2 || len(one.Versions) != 2 {
		t.Fatalf("/api/reports/湛江市司法局/2025: %d versions, want 2", len(one.Versions))
	}
	c1, _ := one.Versions[0].Report.Cell("t3", "total", "natural_person")
	c2, _ := one.Versions[1].Report.Cell("t3", "total", "natural_person")
	if c1.Value != "10" || c2.Value != "12" || len(one.Versions[1].Report.Failures) != 3 {
		t.Errorf("versions: total.natural_person %q → %q with %d failures, want 10 → 12 with 3", c1.Value, c2.Value, len(one.Versions[1].Report.Failures))
	}
	code, h, body := a.get(t, "/api/reports/x/2025")
	if code != http.StatusNotFound || !strings.HasPrefix(h.Get("Content-Type"), "application/json") || !strings.Contains(body, `"error"`) {
		t.Errorf("missing report in the API: %d %s %s", code, h.Get("Content-Type"), body)
	}
	var st map[string]any
	if err := json.Unmarshal([]byte(a.mustGet(t, "/api/status")), &st); err != nil || st["reports"] != float64(6) {
		t.Errorf("/api/status = %v (%v)", st, err)
	}
}

func TestWeb_Export(t *testing.T) {
	a := newWebArchive(t)
	for _, tt := range []struct {
		path string
		o    export.Options
	}{
		{"/export/csv?year=2025", export.Options{Format: "csv", Year: 2025}},
		{"/export/wide", export.Options{Format: "wide"}},
		{"/export/reports?agency=" + url.QueryEscape("平潭"), export.Options{Format: "reports", Agency: "平潭"}},
		{"/export/csv?all_versions=1&agency=" + url.QueryEscape("湛江"), export.Options{Format: "csv", Agency: "湛江", AllVersions: true}},
		{"/export/jsonl?year=2020", export.Options{Format: "jsonl", Year: 2020}},
	} {
		code, h, body := a.get(t, tt.path)
		var want bytes.Buffer
		if err := export.Write(context.Background(), a.db, tt.o, &want); err != nil {
			t.Fatal(err)
		}
		if code != http.StatusOK || body != want.String() {
			t.Errorf("GET %s: status %d, %d bytes; want 200 and the %d bytes of 'nianbao export'", tt.path, code, len(body), want.Len())
		}
		if !strings.Contains(h.Get("Content-Disposition"), "attachment; filename=\"nianbao-"+tt.o.Format) {
			t.Errorf("GET %s: Content-Disposition %q", tt.path, h.Get("Content-Disposition"))
		}
	}
	body := a.mustGet(t, "/export/csv?year=2025")
	lines := strings.Split(strings.TrimSpace(body), "\n")
	if lines[0] != strings.Join(parser.Header, ",") || len(lines) != 201 {
		t.Errorf("tidy CSV for 2025: header %q and %d cell rows, want parser.Header and 200", lines[0], len(lines)-1)
	}
	if !strings.Contains(body, "湛江市司法局,2025,2021,t3,total,natural_person,12,12,") {
		t.Error("tidy CSV lacks the latest version's t3 total natural_person = 12")
	}
	if code, _, _ := a.get(t, "/export/warc"); code != http.StatusNotFound {
		t.Errorf("/export/warc: status %d, want 404", code)
	}
	if code, _, _ := a.get(t, "/export/csv?year=-1"); code != http.StatusBadRequest {
		t.Errorf("bad year: status %d, want 400", code)
	}
}

func TestWeb_Metrics(t *testing.T) {
	a := newWebArchive(t)
	code, h, body := a.get(t, "/metrics")
	if code != http.StatusOK || !strings.HasPrefix(h.Get("Content-Type"), "text/plain; version=0.0.4") {
		t.Fatalf("metrics: %d %s", code, h.Get("Content-Type"))
	}
	for _, want := range []string{
		"nianbao_runs_total 1\n",
		"nianbao_pages_fetched_total 7\n",
		"nianbao_not_modified_total 2\n",
		"nianbao_blocked_total 1\n",
		"nianbao_new_captures_total 7\n",
		`nianbao_failures_total{reason="blocked: ruishu"} 1` + "\n",
		`nianbao_failures_total{reason="http 404"} 2` + "\n",
		`nianbao_reports{status="ok"} 4` + "\n",
		`nianbao_reports{status="fail"} 1` + "\n",
		`nianbao_reports{status="none"} 1` + "\n",
		"nianbao_report_versions 7\n",
		"nianbao_last_success_timestamp_seconds " + strconv.FormatInt(a.finished.Unix(), 10) + "\n",
		"# TYPE nianbao_runs_total counter\n",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	// Every sample line is "name{labels} value" with a nianbao_ name.
	for _, line := range strings.Split(strings.TrimSpace(body), "\n") {
		if strings.HasPrefix(line, "#") {
			continue
		}
		if !regexp.MustCompile(`^nianbao_[a-z_]+(\{[a-z]+="[^"]*"\})? -?\d+$`).MatchString(line) {
			t.Errorf("malformed sample %q", line)
		}
	}
}

func TestWeb_ReadOnly(t *testing.T) {
	a := newWebArchive(t)
	for _, method := range []string{http.MethodPost, http.MethodPut, http.MethodDelete, http.MethodPatch} {
		for _, path := range []string{"/", "/api/reports", "/runs", "/metrics", "/export/csv", "/nowhere"} {
			req, _ := http.NewRequest(method, a.srv.URL+path, strings.NewReader("x=1"))
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != "GET, HEAD" {
				t.Errorf("%s %s: status %d Allow %q, want 405 and GET, HEAD", method, path, resp.StatusCode, resp.Header.Get("Allow"))
			}
		}
	}
	resp, err := http.Head(a.srv.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("HEAD /: status %d", resp.StatusCode)
	}
	if body := a.mustGet(t, "/healthz"); body != "ok\n" {
		t.Errorf("/healthz = %q", body)
	}
	// Pages load nothing from elsewhere: no scripts, no external URLs.
	for _, path := range []string{"/", reportPath("湛江市司法局", 2025), AgencyURL("平潭综合实验区市场监督管理局"), "/runs"} {
		code, h, body := a.get(t, path)
		if code != 200 || strings.Contains(body, "<script") || strings.Contains(body, `src="http`) || strings.Contains(body, `<link`) {
			t.Errorf("%s: status %d, or it loads scripts or external resources", path, code)
		}
		if !strings.Contains(h.Get("Content-Security-Policy"), "default-src 'none'") {
			t.Errorf("%s: CSP %q", path, h.Get("Content-Security-Policy"))
		}
	}
}

// Issue 12: a report whose organ is only the site's name is listed as
// unidentified, with its page's URL and title, never under the site's name
// with another report; /agencies pages show the register's organ, every
// name it printed, one line across years.
func TestWeb_Unidentified(t *testing.T) {
	a := newWebArchive(t)
	for i, u := range []string{"https://www.example.gov.cn/bm/a.html", "https://www.example.gov.cn/bm/b.html"} {
		rec, err := a.db.Report("湛江市司法局", 2025)
		if err != nil {
			t.Fatal(err)
		}
		r := *rec.Versions[0].Report
		r.Agency, r.AgencySource, r.SourceURL, r.Title = "某县", parser.IdentityConfig, u, ""
		r.Cells = append([]parser.Cell(nil), r.Cells...)
		r.Cells[0].Value = strconv.Itoa(100 + i) // each page its own numbers
		if _, err := a.db.PutDocuments([]store.Document{{Capture: store.Capture{URL: u, Status: 200, Site: "某县", LinkText: "2025年度报告"},
			Body: []byte(u), Report: &r}}); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.w.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	body := a.mustGet(t, "/?status=unidentified")
	rows := reportRowRE.FindAllStringSubmatch(body, -1)
	if len(rows) != 2 || !strings.Contains(body, "https://www.example.gov.cn/bm/a.html") || !strings.Contains(body, "https://www.example.gov.cn/bm/b.html") ||
		!strings.Contains(body, ">2025年度报告</a>") || strings.Count(body, `class="report unidentified"`) != 2 {
		t.Errorf("unidentified list: %d rows\n%s", len(rows), body)
	}
	if all := reportRowRE.FindAllStringSubmatch(a.mustGet(t, "/"), -1); len(all) != 8 {
		t.Errorf("the full list has %d rows, want 6 reports + 2 unidentified", len(all))
	}
	var list struct {
		Reports []ReportSummary `json:"reports"`
	}
	if err := json.Unmarshal([]byte(a.mustGet(t, "/api/reports?status=unidentified")), &list); err != nil {
		t.Fatal(err)
	}
	if len(list.Reports) != 2 || list.Reports[0].Identified || !strings.HasPrefix(list.Reports[0].AgencyID, "u:") || list.Reports[0].Site != "某县" {
		t.Errorf("API unidentified = %+v", list.Reports)
	}
	// The report page of an unidentified report says so.
	page := a.mustGet(t, list.Reports[0].URL[len("/api"):])
	if !strings.Contains(page, "unidentified: the page names no organ") {
		t.Errorf("report page of an unidentified report:\n%.600s", page)
	}
	// An organ's page by agency_id.
	rec, err := a.db.Report("平潭综合实验区市场监督管理局", 2024)
	if err != nil {
		t.Fatal(err)
	}
	ag := a.mustGet(t, AgencyURL(rec.AgencyID))
	if !strings.Contains(ag, "agency_id <code>"+rec.AgencyID+"</code>") || !strings.Contains(ag, `data-year="2020" data-value="5"`) || !strings.Contains(ag, `data-year="2024" data-value="4"`) {
		i := strings.Index(ag, "<main")
		t.Errorf("agency page by ID:\n%.1500s", ag[max(i, 0):])
	}
}
