package web

import (
	"bytes"
	"cmp"
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"math"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"nianbao/cmd/nianbao/export"
	"nianbao/crawler"
	"nianbao/parser"
	"nianbao/store"
)

//go:embed *.html
var webTemplates embed.FS

// Server is serve's read-only web view and JSON API over the archive. It
// never writes to db. Listing and metrics read an in-memory index of the
// reports' latest versions, rebuilt by refresh after every scheduled run
// (serve is the only writer, so the index is never stale for long); report
// pages read the store directly.
type Server struct {
	db    *store.DB
	log   *slog.Logger
	pages map[string]*template.Template
	// status reports the scheduler's state; nil when there is none (tests).
	status func() crawler.SchedulerStatus
	// sites is the number of scheduled sites.
	sites int

	mu  sync.RWMutex // protects idx
	idx *archiveIndex
}

// archiveIndex summarises the archive for listing and metrics.
type archiveIndex struct {
	Reports  []ReportSummary
	Versions int
	Built    time.Time
}

// ReportSummary is one report's latest version as the list shows it.
type ReportSummary struct {
	// AgencyID is the register's agency_id ("u:…" for a report whose
	// organ is not identified; Identified is then false, and Site, Title
	// and SourceURL say which page it is).
	AgencyID   string        `json:"agency_id"`
	Identified bool          `json:"identified"`
	Agency     string        `json:"agency"`
	Site       string        `json:"site,omitempty"`
	Title      string        `json:"title,omitempty"`
	Year       int           `json:"year"`
	Format     parser.Format `json:"format"`
	Input      string        `json:"input"`
	Versions   int           `json:"versions"`
	Cells      int           `json:"cells"`
	Checked    int           `json:"checked"`
	Failed     int           `json:"failed"`
	Status     string        `json:"status"` // ok, fail or none (no tables)
	NoTables   string        `json:"no_tables,omitempty"`
	Published  string        `json:"published"`
	SourceURL  string        `json:"source_url"`
	Updated    time.Time     `json:"updated"`
	// Key numbers: t3 new_received.total, t3 total.total, t4 review.total
	// and the two litigation totals, as canonical decimals ("" if blank).
	NewReceived string `json:"t3_new_received_total"`
	Processed   string `json:"t3_total_total"`
	Review      string `json:"t4_review_total"`
	Litigation  string `json:"t4_litigation_total"`
	URL         string `json:"url"`
}

// New returns the web view over db. It never writes to db. log receives
// rendering and export errors; nil discards them. Call Refresh before
// serving, and after every run that changed the archive.
func New(db *store.DB, log *slog.Logger) (*Server, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	w := &Server{db: db, log: log, pages: map[string]*template.Template{}, idx: &archiveIndex{}}
	funcs := template.FuncMap{
		"reportURL": ReportURL,
		"agencyURL": AgencyURL,
		"time": func(t time.Time) string {
			if t.IsZero() {
				return "—"
			}
			return t.Local().Format("2006-01-02 15:04:05")
		},
		"dash": dash,
		"sub":  func(a, b int) int { return a - b },
		"short": func(s string) string {
			if len(s) > 12 {
				return s[:12]
			}
			return s
		},
	}
	for _, name := range []string{"reports", "report", "agency", "diff", "runs", "error"} {
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(webTemplates, "layout.html", name+".html")
		if err != nil {
			return nil, fmt.Errorf("web template %s: %w", name, err)
		}
		w.pages[name] = t
	}
	return w, nil
}

// SetScheduler makes the status, runs and metrics pages report the
// scheduler's state (status) and the number of scheduled sites. Call it
// before the handler serves requests; without it they report no schedule.
func (w *Server) SetScheduler(status func() crawler.SchedulerStatus, sites int) {
	w.status, w.sites = status, sites
}

// ReportURL is the path of a report page: /reports/AGENCY/YEAR, AGENCY
// being the report's agency_id (a printed name is accepted too, and is
// path-escaped: a "/" in a name becomes %2F).
func ReportURL(agency string, year int) string {
	return "/reports/" + url.PathEscape(agency) + "/" + strconv.Itoa(year)
}

// AgencyURL is the path of an organ's year-on-year page (agency_id, or a
// name).
func AgencyURL(agency string) string { return "/agencies/" + url.PathEscape(agency) }

// Refresh rebuilds the index from the store.
func (w *Server) Refresh(ctx context.Context) error {
	idx := &archiveIndex{Reports: []ReportSummary{}, Built: time.Now()}
	err := w.db.ForEachReportParallel(ctx, store.Filter{LatestOnly: true}, 0, func(rec *store.ReportRecord) error {
		idx.Versions += rec.Count
		idx.Reports = append(idx.Reports, summarize(rec))
		return nil
	})
	if err != nil {
		return fmt.Errorf("index archive: %w", err)
	}
	// List by organ name (the register's), years in order; reports whose
	// organ is unidentified last, by site.
	names := map[string]string{}
	err = w.db.AgencyNames(ctx, func(id, name string) error { names[id] = name; return nil })
	if err != nil {
		return fmt.Errorf("index archive: %w", err)
	}
	slices.SortStableFunc(idx.Reports, func(a, b ReportSummary) int {
		na, nb := cmp.Or(names[a.AgencyID], a.Agency), cmp.Or(names[b.AgencyID], b.Agency)
		if !a.Identified {
			na = "\uffff" + a.Site
		}
		if !b.Identified {
			nb = "\uffff" + b.Site
		}
		return cmp.Or(strings.Compare(na, nb), strings.Compare(a.AgencyID, b.AgencyID), cmp.Compare(a.Year, b.Year))
	})
	w.mu.Lock()
	w.idx = idx
	w.mu.Unlock()
	return nil
}

func (w *Server) index() *archiveIndex {
	w.mu.RLock()
	defer w.mu.RUnlock()
	return w.idx
}

func summarize(rec *store.ReportRecord) ReportSummary {
	s := ReportSummary{AgencyID: rec.AgencyID, Identified: rec.Identified, Agency: rec.Agency, Site: rec.Site, Title: rec.Title,
		Year: rec.Year, Versions: rec.Count, Updated: rec.Updated, URL: ReportURL(rec.AgencyID, rec.Year)}
	v := rec.Latest()
	if v == nil || v.Report == nil {
		s.Status = "none"
		return s
	}
	r := v.Report
	s.Format, s.Input, s.Cells, s.Checked, s.Failed = r.Format, r.Input, len(r.Cells), r.Checked, len(r.Failures)
	s.NoTables, s.Published, s.SourceURL = r.NoTables, r.Published, r.SourceURL
	switch {
	case len(r.Cells) == 0:
		s.Status = "none"
	case len(r.Failures) > 0:
		s.Status = "fail"
	default:
		s.Status = "ok"
	}
	val := func(t, row, col string) string {
		c, _ := r.Cell(t, row, col)
		return c.Value
	}
	s.NewReceived = val("t3", "new_received", "total")
	s.Processed = val("t3", "total", "total")
	s.Review = val("t4", "review", "total")
	s.Litigation = sumValues(val("t4", "litigation_direct", "total"), val("t4", "litigation_after_review", "total"))
	return s
}

// sumValues adds canonical decimals; blanks are skipped and "" is returned
// when all are blank.
func sumValues(vs ...string) string {
	var sum float64
	any := false
	for _, v := range vs {
		if f, err := strconv.ParseFloat(v, 64); err == nil {
			sum += f
			any = true
		}
	}
	if !any {
		return ""
	}
	return strconv.FormatFloat(sum, 'f', -1, 64)
}

// Handler returns the HTTP handler: GET and HEAD only.
func (w *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", w.handleReports)
	mux.HandleFunc("GET /reports", w.handleReports)
	mux.HandleFunc("GET /reports/{agency}/{year}", w.handleReport)
	mux.HandleFunc("GET /reports/{agency}/{year}/diff", w.handleDiff)
	mux.HandleFunc("GET /agencies/{agency}", w.handleAgency)
	mux.HandleFunc("GET /runs", w.handleRuns)
	mux.HandleFunc("GET /captures/{sha}", w.handleCapture)
	mux.HandleFunc("GET /api/reports", w.handleAPIReports)
	mux.HandleFunc("GET /api/reports/{agency}/{year}", w.handleAPIReport)
	mux.HandleFunc("GET /api/runs", w.handleAPIRuns)
	mux.HandleFunc("GET /api/status", w.handleAPIStatus)
	mux.HandleFunc("GET /export/{format}", w.handleExport)
	mux.HandleFunc("GET /metrics", w.handleMetrics)
	mux.HandleFunc("GET /healthz", w.handleHealthz)
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		// Nothing on the web changes data: refuse every other method
		// before routing, whatever the path.
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			rw.Header().Set("Allow", "GET, HEAD")
			http.Error(rw, "405 method not allowed: this server is read-only", http.StatusMethodNotAllowed)
			return
		}
		rw.Header().Set("X-Content-Type-Options", "nosniff")
		mux.ServeHTTP(rw, r)
	})
}

// render executes page with data; errors after the header are logged.
func (w *Server) render(rw http.ResponseWriter, status int, page string, data any) {
	var buf bytes.Buffer
	if err := w.pages[page].Execute(&buf, data); err != nil {
		w.log.Error("render page", "page", page, "err", err)
		http.Error(rw, "500 internal error: "+err.Error(), http.StatusInternalServerError)
		return
	}
	h := rw.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	// No scripts, no external resources: the pages work offline and an
	// archived body can never run in this origin's pages.
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:")
	rw.WriteHeader(status)
	_, _ = rw.Write(buf.Bytes())
}

func (w *Server) fail(rw http.ResponseWriter, r *http.Request, status int, msg string) {
	if strings.HasPrefix(r.URL.Path, "/api/") {
		writeJSON(rw, status, map[string]string{"error": msg})
		return
	}
	w.render(rw, status, "error", map[string]any{"Title": http.StatusText(status), "Code": status, "Message": msg})
}

func writeJSON(rw http.ResponseWriter, status int, v any) {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		http.Error(rw, err.Error(), http.StatusInternalServerError)
		return
	}
	rw.Header().Set("Content-Type", "application/json; charset=utf-8")
	rw.WriteHeader(status)
	_, _ = rw.Write(append(b, '\n'))
}

// reportFilter is the list filter from the query string.
type reportFilter struct {
	Agency string
	Year   int
	Format string
	Status string
}

func parseReportFilter(q url.Values) (reportFilter, error) {
	f := reportFilter{Agency: strings.TrimSpace(q.Get("agency")), Format: q.Get("format"), Status: q.Get("status")}
	if y := q.Get("year"); y != "" {
		n, err := strconv.Atoi(y)
		if err != nil || n < 0 {
			return f, fmt.Errorf("bad year %q", y)
		}
		f.Year = n
	}
	switch f.Status {
	case "", "ok", "fail", "none", "unidentified":
	default:
		return f, fmt.Errorf("bad status %q (ok, fail, none or unidentified)", f.Status)
	}
	return f, nil
}

// page is a window on a long list: ?offset=N&limit=M.
type page struct {
	Offset, Limit, Total int
}

// parsePage reads offset and limit (default def, at most 10000).
func parsePage(q url.Values, def int) (page, error) {
	p := page{Limit: def}
	for name, dst := range map[string]*int{"offset": &p.Offset, "limit": &p.Limit} {
		if v := q.Get(name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 || (name == "limit" && (n == 0 || n > 10000)) {
				return p, fmt.Errorf("bad %s %q", name, v)
			}
			*dst = n
		}
	}
	return p, nil
}

// window returns the page's part of list and sets Total.
func (p *page) window(list []ReportSummary) []ReportSummary {
	p.Total = len(list)
	lo := min(p.Offset, len(list))
	return list[lo:min(lo+p.Limit, len(list))]
}

// Next and Prev are the offsets of the neighbouring pages (-1: none).
func (p page) Next() int {
	if p.Offset+p.Limit >= p.Total {
		return -1
	}
	return p.Offset + p.Limit
}

func (p page) Prev() int {
	if p.Offset == 0 {
		return -1
	}
	return max(0, p.Offset-p.Limit)
}

// First and Last number the rows shown, from 1.
func (p page) First() int { return min(p.Offset+1, p.Total) }
func (p page) Last() int  { return min(p.Offset+p.Limit, p.Total) }

// match reports whether s passes the filter; ids are the agency_ids the
// register finds for the agency text (nil without one).
func (f reportFilter) match(s ReportSummary, ids map[string]bool) bool {
	return (f.Agency == "" || ids[s.AgencyID]) &&
		(f.Year == 0 || s.Year == f.Year) &&
		(f.Format == "" || string(s.Format) == f.Format) &&
		(f.Status == "" || s.Status == f.Status || f.Status == "unidentified" && !s.Identified)
}

// filtered returns the index's reports that pass f. The agency text is
// looked up in the register (agency_id, organ code, any name the organ
// printed), so an organ is found by a former name too.
func (w *Server) filtered(f reportFilter) ([]ReportSummary, error) {
	var ids map[string]bool
	if f.Agency != "" {
		found, _, err := w.db.LookupAgencies(f.Agency)
		if err != nil {
			return nil, err
		}
		ids = map[string]bool{}
		for _, id := range found {
			ids[id] = true
		}
	}
	out := []ReportSummary{}
	for _, s := range w.index().Reports {
		if f.match(s, ids) {
			out = append(out, s)
		}
	}
	return out, nil
}

func (w *Server) handleReports(rw http.ResponseWriter, r *http.Request) {
	f, err := parseReportFilter(r.URL.Query())
	if err != nil {
		w.fail(rw, r, http.StatusBadRequest, err.Error())
		return
	}
	idx := w.index()
	years, formats := map[int]bool{}, map[string]bool{}
	for _, s := range idx.Reports {
		years[s.Year] = true
		formats[string(s.Format)] = true
	}
	var ys []int
	for y := range years {
		ys = append(ys, y)
	}
	sort.Sort(sort.Reverse(sort.IntSlice(ys)))
	var fs []string
	for f := range formats {
		fs = append(fs, f)
	}
	sort.Strings(fs)
	pg, err := parsePage(r.URL.Query(), 500)
	if err != nil {
		w.fail(rw, r, http.StatusBadRequest, err.Error())
		return
	}
	all, err := w.filtered(f)
	if err != nil {
		w.fail(rw, r, http.StatusInternalServerError, err.Error())
		return
	}
	list := pg.window(all)
	// The filter's query without the window, for the paging and download
	// links.
	q := r.URL.Query()
	q.Del("offset")
	w.render(rw, http.StatusOK, "reports", map[string]any{
		"Title": "年报 Reports", "Filter": f, "Reports": list, "Total": len(idx.Reports), "Years": ys, "Formats": fs,
		"Status": w.statusView(), "Query": template.URL(q.Encode()), "Page": pg, // encoded by url.Values
	})
}

// statusView is the scheduler state for page headers.
type statusView struct {
	Running []string
	Started time.Time
	Next    time.Time
	Sites   int
	Reports int
	Built   time.Time
}

func (w *Server) statusView() statusView {
	idx := w.index()
	v := statusView{Sites: w.sites, Reports: len(idx.Reports), Built: idx.Built}
	if w.status != nil {
		st := w.status()
		v.Running, v.Started, v.Next = st.Running, st.Started, st.NextDue()
	}
	return v
}

// reportParams reads /…/{agency}/{year}.
func reportParams(r *http.Request) (string, int, error) {
	agency := r.PathValue("agency")
	year, err := strconv.Atoi(r.PathValue("year"))
	if err != nil || agency == "" {
		return "", 0, fmt.Errorf("bad report address %q: want /reports/AGENCY/YEAR", r.URL.Path)
	}
	return agency, year, nil
}

func (w *Server) loadReport(rw http.ResponseWriter, r *http.Request) (*store.ReportRecord, bool) {
	agency, year, err := reportParams(r)
	if err != nil {
		w.fail(rw, r, http.StatusBadRequest, err.Error())
		return nil, false
	}
	rec, err := w.db.Report(agency, year)
	switch {
	case errors.Is(err, store.ErrNotFound):
		w.fail(rw, r, http.StatusNotFound, fmt.Sprintf("no report of %s for %d in the archive", agency, year))
		return nil, false
	case errors.Is(err, store.ErrAmbiguous):
		w.fail(rw, r, http.StatusNotFound, err.Error())
		return nil, false
	case err != nil:
		w.fail(rw, r, http.StatusInternalServerError, err.Error())
		return nil, false
	}
	return rec, true
}

// pickVersion returns version ?v=N of rec, or the latest.
func pickVersion(rec *store.ReportRecord, q string) (*store.Version, error) {
	if q == "" {
		if v := rec.Latest(); v != nil {
			return v, nil
		}
		return nil, fmt.Errorf("report %s %d has no versions", rec.Agency, rec.Year)
	}
	n, err := strconv.Atoi(q)
	if err != nil {
		return nil, fmt.Errorf("bad version %q", q)
	}
	for i := range rec.Versions {
		if rec.Versions[i].N == n {
			return &rec.Versions[i], nil
		}
	}
	return nil, fmt.Errorf("report %s %d has no version %d (it has %d)", rec.Agency, rec.Year, n, rec.Count)
}

func (w *Server) handleReport(rw http.ResponseWriter, r *http.Request) {
	rec, ok := w.loadReport(rw, r)
	if !ok {
		return
	}
	v, err := pickVersion(rec, r.URL.Query().Get("v"))
	if err != nil {
		w.fail(rw, r, http.StatusNotFound, err.Error())
		return
	}
	rep := v.Report
	var tables []tableView
	for _, t := range parser.Tables {
		if tv := layoutTable(rep, t); tv != nil {
			tables = append(tables, *tv)
		}
	}
	var captures []captureLink
	for _, sha := range v.Captures {
		c, err := w.db.Capture(sha)
		if err != nil {
			captures = append(captures, captureLink{SHA256: sha})
			continue
		}
		captures = append(captures, captureLink{SHA256: sha, URL: c.URL, ContentType: c.ContentType, Size: c.Size, FetchedAt: c.FetchedAt})
	}
	failures := make([]string, len(rep.Failures))
	for i, f := range rep.Failures {
		failures[i] = f.String()
	}
	w.render(rw, http.StatusOK, "report", map[string]any{
		"Title": fmt.Sprintf("%s %d", rec.Agency, rec.Year), "Rec": rec, "V": v, "R": rep, "Tables": tables,
		"Failures": failures, "Captures": captures, "Status": w.statusView(),
	})
}

type captureLink struct {
	SHA256      string
	URL         string
	ContentType string
	Size        int64
	FetchedAt   time.Time
}

func (w *Server) handleDiff(rw http.ResponseWriter, r *http.Request) {
	rec, ok := w.loadReport(rw, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	to, err := pickVersion(rec, q.Get("to"))
	if err != nil {
		w.fail(rw, r, http.StatusNotFound, err.Error())
		return
	}
	fromQ := q.Get("from")
	if fromQ == "" {
		fromQ = strconv.Itoa(to.N - 1)
	}
	data := map[string]any{"Title": fmt.Sprintf("%s %d versions", rec.Agency, rec.Year), "Rec": rec, "To": to, "Status": w.statusView()}
	if to.N > 1 || q.Get("from") != "" {
		from, err := pickVersion(rec, fromQ)
		if err != nil {
			w.fail(rw, r, http.StatusNotFound, err.Error())
			return
		}
		changed, notComparable := parser.SplitComparable(parser.Diff(from.Report, to.Report))
		data["From"], data["Changes"], data["NotComparable"] = from, changed, notComparable
	}
	w.render(rw, http.StatusOK, "diff", data)
}

func (w *Server) handleCapture(rw http.ResponseWriter, r *http.Request) {
	sha := strings.ToLower(r.PathValue("sha"))
	c, err := w.db.Capture(sha)
	if err != nil {
		status := http.StatusInternalServerError
		if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrInvalid) {
			status = http.StatusNotFound
		}
		http.Error(rw, fmt.Sprintf("%d capture %s: %v", status, sha, err), status)
		return
	}
	body, err := w.db.CaptureBody(sha)
	if err != nil {
		http.Error(rw, fmt.Sprintf("500 capture %s: %v", sha, err), http.StatusInternalServerError)
		return
	}
	h := rw.Header()
	ct := c.ContentType
	if ct == "" {
		ct = "application/octet-stream"
	}
	h.Set("Content-Type", ct)
	// The body is a government page as fetched: show it, but sandboxed
	// (no scripts, no same-origin access to this server).
	h.Set("Content-Security-Policy", "sandbox")
	h.Set("X-Nianbao-Source-URL", c.URL)
	h.Set("Last-Modified", c.FetchedAt.UTC().Format(http.TimeFormat))
	h.Set("ETag", `"`+sha+`"`)
	h.Set("Cache-Control", "public, max-age=31536000, immutable") // content-addressed
	http.ServeContent(rw, r, "", c.FetchedAt, bytes.NewReader(body))
}

// handleAgency draws an organ's years: /agencies/ID (an agency_id, or a
// name that the register finds exactly one organ for). The organ is the
// register's, so its years are one line whatever names they print.
func (w *Server) handleAgency(rw http.ResponseWriter, r *http.Request) {
	agency := r.PathValue("agency")
	id := agency
	if !store.IsAgencyID(agency) {
		ids, exact, err := w.db.LookupAgencies(agency)
		if err != nil {
			w.fail(rw, r, http.StatusInternalServerError, err.Error())
			return
		}
		if len(exact) > 0 {
			ids = exact
		}
		switch len(ids) {
		case 0:
			w.fail(rw, r, http.StatusNotFound, fmt.Sprintf("no reports of %s in the archive", agency))
			return
		case 1:
			id = ids[0]
		default:
			w.fail(rw, r, http.StatusNotFound, fmt.Sprintf("%s names %d organs (%s): use an agency_id", agency, len(ids), strings.Join(ids, ", ")))
			return
		}
	}
	var recs []*store.ReportRecord
	err := w.db.ForEachReport(r.Context(), store.Filter{AgencyID: id, LatestOnly: true}, func(rec *store.ReportRecord) error {
		recs = append(recs, rec)
		return nil
	})
	if err != nil {
		w.fail(rw, r, http.StatusInternalServerError, err.Error())
		return
	}
	if len(recs) == 0 {
		w.fail(rw, r, http.StatusNotFound, fmt.Sprintf("no reports of %s in the archive", agency))
		return
	}
	name, names := recs[len(recs)-1].Agency, []string(nil)
	var organ *store.Agency
	if a, err := w.db.Agency(id); err == nil {
		organ, name = a, a.Name
		for _, n := range a.Names {
			names = append(names, n.Name)
		}
	}
	charts := agencyCharts(recs)
	var reports []ReportSummary
	for _, rec := range recs {
		reports = append(reports, summarize(rec))
	}
	w.render(rw, http.StatusOK, "agency", map[string]any{"Title": name, "Agency": name, "ID": recs[0].AgencyID, "Organ": organ,
		"Names": names, "Charts": charts, "Reports": reports, "Status": w.statusView()})
}

func (w *Server) handleRuns(rw http.ResponseWriter, r *http.Request) {
	runs, err := w.runs(r.Context())
	if err != nil {
		w.fail(rw, r, http.StatusInternalServerError, err.Error())
		return
	}
	totals := map[string]int{}
	for _, run := range runs {
		for reason, n := range run.Counts.Failures {
			totals[reason] += n
		}
	}
	w.render(rw, http.StatusOK, "runs", map[string]any{"Title": "Runs", "Runs": runs, "Reasons": sortedCounts(totals),
		"Status": w.statusView()})
}

// runs returns the stored runs, newest first.
func (w *Server) runs(ctx context.Context) ([]store.Run, error) {
	var runs []store.Run
	err := w.db.Runs(ctx, func(r store.Run) error {
		runs = append(runs, r)
		return nil
	})
	for i, j := 0, len(runs)-1; i < j; i, j = i+1, j-1 {
		runs[i], runs[j] = runs[j], runs[i]
	}
	return runs, err
}

// reasonCount is one failure reason and its count.
type reasonCount struct {
	Reason string
	N      int
}

func sortedCounts(m map[string]int) []reasonCount {
	out := make([]reasonCount, 0, len(m))
	for k, n := range m {
		out = append(out, reasonCount{k, n})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].N != out[j].N {
			return out[i].N > out[j].N
		}
		return out[i].Reason < out[j].Reason
	})
	return out
}

func (w *Server) handleAPIReports(rw http.ResponseWriter, r *http.Request) {
	f, err := parseReportFilter(r.URL.Query())
	if err != nil {
		w.fail(rw, r, http.StatusBadRequest, err.Error())
		return
	}
	pg, err := parsePage(r.URL.Query(), 1000)
	if err != nil {
		w.fail(rw, r, http.StatusBadRequest, err.Error())
		return
	}
	all, err := w.filtered(f)
	if err != nil {
		w.fail(rw, r, http.StatusInternalServerError, err.Error())
		return
	}
	list := slices.Clone(pg.window(all))
	for i := range list {
		list[i].URL = "/api" + list[i].URL
	}
	writeJSON(rw, http.StatusOK, map[string]any{"count": pg.Total, "offset": pg.Offset, "limit": pg.Limit, "reports": list})
}

func (w *Server) handleAPIReport(rw http.ResponseWriter, r *http.Request) {
	rec, ok := w.loadReport(rw, r)
	if !ok {
		return
	}
	writeJSON(rw, http.StatusOK, map[string]any{"agency_id": rec.AgencyID, "identified": rec.Identified, "agency": rec.Agency,
		"year": rec.Year, "count": rec.Count, "created": rec.Created, "updated": rec.Updated, "versions": rec.Versions})
}

func (w *Server) handleAPIRuns(rw http.ResponseWriter, r *http.Request) {
	runs, err := w.runs(r.Context())
	if err != nil {
		w.fail(rw, r, http.StatusInternalServerError, err.Error())
		return
	}
	if runs == nil {
		runs = []store.Run{}
	}
	writeJSON(rw, http.StatusOK, map[string]any{"count": len(runs), "runs": runs})
}

func (w *Server) handleAPIStatus(rw http.ResponseWriter, r *http.Request) {
	st := w.statusView()
	out := map[string]any{"sites": st.Sites, "reports": st.Reports, "running": st.Running, "index_built": st.Built}
	if st.Running == nil {
		out["running"] = []string{}
	}
	if !st.Next.IsZero() {
		out["next_run"] = st.Next
	}
	writeJSON(rw, http.StatusOK, out)
}

func (w *Server) handleHealthz(rw http.ResponseWriter, r *http.Request) {
	rw.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = rw.Write([]byte("ok\n"))
}

// handleExport streams an export through the export command's code.
func (w *Server) handleExport(rw http.ResponseWriter, r *http.Request) {
	format := r.PathValue("format")
	q := r.URL.Query()
	o := export.Options{Format: format, Agency: q.Get("agency"), AllVersions: q.Get("all_versions") == "1", BOM: q.Get("bom") == "1"}
	ext, ctype := ".csv", "text/csv; charset=utf-8"
	switch format {
	case "csv", "wide", "reports":
	case "jsonl":
		ext, ctype, o.BOM = ".jsonl", "application/jsonl; charset=utf-8", false
	default:
		w.fail(rw, r, http.StatusNotFound, fmt.Sprintf("unknown export %q: csv, wide, reports or jsonl", format))
		return
	}
	if y := q.Get("year"); y != "" {
		n, err := strconv.Atoi(y)
		if err != nil || n < 0 {
			w.fail(rw, r, http.StatusBadRequest, fmt.Sprintf("bad year %q", y))
			return
		}
		o.Year = n
	}
	name := "nianbao-" + format
	if o.Year > 0 {
		name += "-" + strconv.Itoa(o.Year)
	}
	rw.Header().Set("Content-Type", ctype)
	rw.Header().Set("Content-Disposition", `attachment; filename="`+name+ext+`"`)
	if err := export.Write(r.Context(), w.db, o, rw); err != nil {
		// The header is out; all that is left is to log and cut the body.
		w.log.Warn("export", "format", format, "err", err)
	}
}

// handleMetrics writes the Prometheus text exposition format by hand.
func (w *Server) handleMetrics(rw http.ResponseWriter, r *http.Request) {
	runs, err := w.runs(r.Context())
	if err != nil {
		http.Error(rw, err.Error(), http.StatusInternalServerError)
		return
	}
	var total, interrupted, pages, notMod, blocked, newCaptures, rendered, challenges int
	failures := map[string]int{}
	var lastOK time.Time
	running := w.status != nil && len(w.status().Running) > 0
	for i, run := range runs { // newest first
		if run.Kind != "crawl" {
			continue
		}
		if run.Finished.IsZero() && !(running && i == 0) {
			interrupted++ // never finished, and not the run in progress
		}
		total++
		pages += run.Counts.PagesFetched
		notMod += run.Counts.NotModified
		newCaptures += run.Counts.NewCaptures
		rendered += run.Counts.Rendered
		challenges += run.Counts.ChallengesPassed
		for reason, n := range run.Counts.Failures {
			failures[reason] += n
			if strings.HasPrefix(reason, "blocked") {
				blocked += n
			}
		}
		// Older builds finished an interrupted run with an "interrupted"
		// failure count instead of leaving Finished zero.
		if run.Counts.Failures["interrupted"] > 0 {
			interrupted++
		} else if !run.Finished.IsZero() && run.Finished.After(lastOK) {
			lastOK = run.Finished
		}
	}
	idx := w.index()
	byStatus := map[string]int{"ok": 0, "fail": 0, "none": 0}
	unidentified := 0
	for _, s := range idx.Reports {
		byStatus[s.Status]++
		if !s.Identified {
			unidentified++
		}
	}
	var b strings.Builder
	metric := func(name, typ, help string) {
		fmt.Fprintf(&b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, typ)
	}
	metric("nianbao_runs_total", "counter", "Crawl runs recorded in the archive.")
	fmt.Fprintf(&b, "nianbao_runs_total %d\n", total)
	metric("nianbao_runs_interrupted_total", "counter", "Crawl runs stopped before they finished (Ctrl-C, SIGTERM, a crash).")
	fmt.Fprintf(&b, "nianbao_runs_interrupted_total %d\n", interrupted)
	metric("nianbao_pages_fetched_total", "counter", "Pages and attachments fetched (full bodies) over all runs.")
	fmt.Fprintf(&b, "nianbao_pages_fetched_total %d\n", pages)
	metric("nianbao_not_modified_total", "counter", "Report pages and attachments that answered 304 Not Modified.")
	fmt.Fprintf(&b, "nianbao_not_modified_total %d\n", notMod)
	metric("nianbao_blocked_total", "counter", "URLs refused by anti-bot challenges or block pages.")
	fmt.Fprintf(&b, "nianbao_blocked_total %d\n", blocked)
	metric("nianbao_new_captures_total", "counter", "Distinct bodies newly archived.")
	fmt.Fprintf(&b, "nianbao_new_captures_total %d\n", newCaptures)
	metric("nianbao_rendered_pages_total", "counter", "Pages rendered in the headless browser (challenges, script-built lists, sites with render).")
	fmt.Fprintf(&b, "nianbao_rendered_pages_total %d\n", rendered)
	metric("nianbao_challenges_passed_total", "counter", "Anti-bot challenges the headless browser passed.")
	fmt.Fprintf(&b, "nianbao_challenges_passed_total %d\n", challenges)
	metric("nianbao_failures_total", "counter", "Failed URLs by reason over all runs.")
	for _, rc := range sortedByReason(failures) {
		fmt.Fprintf(&b, "nianbao_failures_total{reason=\"%s\"} %d\n", promEscape(rc.Reason), rc.N)
	}
	metric("nianbao_reports", "gauge", "Reports (organ, year) stored, by the check status of their latest version.")
	for _, st := range []string{"fail", "none", "ok"} {
		fmt.Fprintf(&b, "nianbao_reports{status=\"%s\"} %d\n", st, byStatus[st])
	}
	metric("nianbao_reports_unidentified", "gauge", "Reports whose organ could not be identified (only the site's configured name was known); each is keyed by its page.")
	fmt.Fprintf(&b, "nianbao_reports_unidentified %d\n", unidentified)
	metric("nianbao_report_versions", "gauge", "Report versions stored.")
	fmt.Fprintf(&b, "nianbao_report_versions %d\n", idx.Versions)
	metric("nianbao_last_success_timestamp_seconds", "gauge", "When the last crawl run that was not interrupted finished (unix seconds; 0 if none).")
	fmt.Fprintf(&b, "nianbao_last_success_timestamp_seconds %d\n", unixOrZero(lastOK))
	if w.status != nil {
		st := w.status()
		metric("nianbao_run_in_progress", "gauge", "1 while a scheduled crawl is running.")
		fmt.Fprintf(&b, "nianbao_run_in_progress %d\n", min(1, len(st.Running)))
		metric("nianbao_next_run_timestamp_seconds", "gauge", "When the next scheduled crawl is due (unix seconds; 0 if none).")
		fmt.Fprintf(&b, "nianbao_next_run_timestamp_seconds %d\n", unixOrZero(st.NextDue()))
	}
	rw.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	_, _ = rw.Write([]byte(b.String()))
}

func sortedByReason(m map[string]int) []reasonCount {
	out := sortedCounts(m)
	sort.Slice(out, func(i, j int) bool { return out[i].Reason < out[j].Reason })
	return out
}

func unixOrZero(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.Unix()
}

// promEscape escapes a label value for the text format.
func promEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s)
}

// Table layout: the report page prints tables 二, 三 and 四 the way the
// national template lays them out.

// tableView is one table as the report page prints it.
type tableView struct {
	ID    string
	Title string
	// Groups are the table's blocks; each has its own header rows (table
	// 二 is a column of small tables, one per column set).
	Groups []tableGroup
}

type tableGroup struct {
	Head [][]headCell
	Rows []rowView
}

type headCell struct {
	Text             string
	Colspan, Rowspan int
}

type rowView struct {
	ID    string
	Label string
	Cells []cellView
}

type cellView struct {
	ID      string // t3.new_received.total
	Text    string // as printed
	Value   string
	Merged  string // the row whose printed cell covers this one
	Fail    bool
	Missing bool // the report does not print this cell
}

var tableTitles = map[string]string{
	parser.TableActive:   "二、主动公开政府信息情况",
	parser.TableRequests: "三、收到和处理政府信息公开申请情况",
	parser.TableAppeals:  "四、政府信息公开行政复议、行政诉讼情况",
}

// columnLabels are the template's column headings by canonical column ID.
var columnLabels = map[string]string{
	"issued": "本年制发件数", "repealed": "本年废止件数", "in_force": "现行有效件数",
	"decisions": "本年处理决定数量", "amount_10k_yuan": "本年收费金额（单位：万元）",
	"new_made": "本年新制作数量", "new_published": "本年新公开数量", "total_published": "对外公开总数量",
	"prev_items": "上一年项目数量", "change": "本年增/减", "items": "采购项目数量", "amount": "采购总金额",
	"natural_person": "自然人", "commercial": "商业企业", "research": "科研机构", "social_org": "社会公益组织",
	"legal_service": "法律服务机构", "other_org": "其他", "total": "总计",
	"upheld": "结果维持", "corrected": "结果纠正", "other": "其他结果", "pending": "尚未审结",
}

// t3GroupLabels are the template's group headings printed before the
// first row of each group of table 三.
var t3GroupLabels = map[string]string{
	"granted":                  "三、本年度办理结果 ",
	"denied.state_secret":      "（三）不予公开 ",
	"unavailable.not_held":     "（四）无法提供 ",
	"not_processed.petition":   "（五）不予处理 ",
	"other.overdue_supplement": "（六）其他处理 ",
}

// layoutTable lays out table t of r, or returns nil when the report's
// format has no such table.
func layoutTable(r *parser.Report, t string) *tableView {
	rows := r.TableRows(t)
	if rows == nil {
		return nil
	}
	cells := map[string]parser.Cell{}
	for _, c := range r.Cells {
		if c.Table == t {
			cells[c.Row+"\x00"+c.Column] = c
		}
	}
	cell := func(row, col string) cellView {
		c, ok := cells[row+"\x00"+col]
		cv := cellView{ID: t + "." + row + "." + col, Missing: !ok}
		if ok {
			cv.Text, cv.Value, cv.Merged = c.Raw, c.Value, c.MergedWith
			if cv.Text == "" {
				cv.Text = c.Value
			}
		}
		for _, f := range r.Failures {
			if failInvolves(f, t, row, col) {
				cv.Fail = true
			}
		}
		return cv
	}
	tv := &tableView{ID: t, Title: tableTitles[t]}
	switch t {
	case parser.TableAppeals:
		// One row of 15 numbers under a three-row header.
		head := [][]headCell{
			{{Text: "行政复议", Colspan: 5}, {Text: "行政诉讼", Colspan: 10}},
			{},
			{},
		}
		for _, col := range rows[0].Columns {
			head[1] = append(head[1], headCell{Text: columnLabels[col], Rowspan: 2})
		}
		for _, rs := range rows[1:] {
			head[1] = append(head[1], headCell{Text: strings.TrimPrefix(rs.Label, "行政诉讼·"), Colspan: len(rs.Columns)})
			for _, col := range rs.Columns {
				head[2] = append(head[2], headCell{Text: columnLabels[col]})
			}
		}
		row := rowView{ID: "all"}
		for _, rs := range rows {
			for _, col := range rs.Columns {
				row.Cells = append(row.Cells, cell(rs.ID, col))
			}
		}
		tv.Groups = []tableGroup{{Head: head, Rows: []rowView{row}}}
	case parser.TableRequests:
		cols := rows[0].Columns
		head := [][]headCell{
			{{Text: "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）", Rowspan: 3}, {Text: "申请人情况", Colspan: len(cols)}},
			{{Text: columnLabels[cols[0]], Rowspan: 2}, {Text: "法人或其他组织", Colspan: len(cols) - 2}, {Text: columnLabels[cols[len(cols)-1]], Rowspan: 2}},
			{},
		}
		for _, col := range cols[1 : len(cols)-1] {
			head[2] = append(head[2], headCell{Text: columnLabels[col]})
		}
		g := tableGroup{Head: head}
		for _, rs := range rows {
			rv := rowView{ID: rs.ID, Label: t3GroupLabels[rs.ID] + rs.Label}
			for _, col := range rs.Columns {
				rv.Cells = append(rv.Cells, cell(rs.ID, col))
			}
			g.Rows = append(g.Rows, rv)
		}
		tv.Groups = []tableGroup{g}
	default:
		// Table 二: consecutive rows with the same columns form one block
		// with its own heading row, as the template prints them.
		for _, rs := range rows {
			key := strings.Join(rs.Columns, ",")
			if n := len(tv.Groups); n == 0 || groupKey(tv.Groups[n-1]) != key {
				h := []headCell{{Text: "信息内容"}}
				for _, col := range rs.Columns {
					h = append(h, headCell{Text: columnLabels[col]})
				}
				tv.Groups = append(tv.Groups, tableGroup{Head: [][]headCell{h}})
			}
			rv := rowView{ID: rs.ID, Label: rs.Label}
			for _, col := range rs.Columns {
				rv.Cells = append(rv.Cells, cell(rs.ID, col))
			}
			g := &tv.Groups[len(tv.Groups)-1]
			g.Rows = append(g.Rows, rv)
		}
	}
	return tv
}

func groupKey(g tableGroup) string {
	if len(g.Rows) == 0 {
		return ""
	}
	var cols []string
	for _, c := range g.Rows[0].Cells {
		cols = append(cols, c.ID[strings.LastIndex(c.ID, ".")+1:])
	}
	return strings.Join(cols, ",")
}

// failInvolves reports whether failure f involves cell table/row/col: the
// cells whose sum makes either side of the broken identity.
func failInvolves(f parser.CheckFailure, table, row, col string) bool {
	if f.Table != table {
		return false
	}
	switch f.Rule {
	case "R1": // new_received + carried_over = total + carried_forward, per column
		return col == f.Column && (row == "new_received" || row == "carried_over" || row == "total" || row == "carried_forward")
	case "R2": // total = the outcome rows, per column
		return col == f.Column && row != "new_received" && row != "carried_over" && row != "carried_forward"
	}
	return (f.Row == "" || f.Row == row) && (f.Column == "" || f.Column == col)
}

// Charts: year-on-year series of one agency, drawn as inline SVG.

// chartView is one chart: its series over the agency's years.
type chartView struct {
	ID     string
	Title  string
	Width  int
	Height int
	Years  []axisTick
	YTicks []axisTick
	Series []seriesView
}

type axisTick struct {
	Pos   float64
	Label string
}

type seriesView struct {
	Name   string
	Class  string
	Points []pointView
	Line   string // the polyline's points attribute
}

type pointView struct {
	X, Y  float64
	Year  int
	Value string
}

// chartSpec names a chart's series: each a label and the cells it sums.
type chartSpec struct {
	id, title string
	series    []seriesSpec
}

type seriesSpec struct {
	name string
	ids  []string // cell IDs added up; a row prefix "t3.denied.*" sums its rows
}

var agencyChartSpecs = []chartSpec{
	{"received", "收到申请 Applications received (表三 一、本年新收)", []seriesSpec{
		{"本年新收 new_received", []string{"t3.new_received.total"}},
	}},
	{"outcomes", "办理结果 Outcomes (表三 三、本年度办理结果, 总计列)", []seriesSpec{
		{"予以公开 granted", []string{"t3.granted.total"}},
		{"部分公开 partial", []string{"t3.partial.total"}},
		{"不予公开 denied", []string{"t3.denied.*.total"}},
		{"无法提供 unavailable", []string{"t3.unavailable.*.total"}},
		{"不予处理 not processed", []string{"t3.not_processed.*.total"}},
		{"其他处理 other", []string{"t3.other.total", "t3.other.*.total"}}, // 2019: one row; 2021: three
		{"总计 total", []string{"t3.total.total"}},
	}},
	{"appeals", "复议诉讼 Review and litigation (表四 总计)", []seriesSpec{
		{"行政复议 review", []string{"t4.review.total"}},
		{"行政诉讼 litigation", []string{"t4.litigation_direct.total", "t4.litigation_after_review.total"}},
	}},
}

// seriesValue sums the cells of spec in r; ok is false when none is
// printed with a value.
func seriesValue(r *parser.Report, spec seriesSpec) (float64, bool) {
	var sum float64
	ok := false
	for _, id := range spec.ids {
		table, rest, _ := strings.Cut(id, ".")
		i := strings.LastIndex(rest, ".")
		row, col := rest[:i], rest[i+1:]
		prefix, wild := strings.CutSuffix(row, "*") // "denied.*": every denied.… row
		for _, c := range r.Cells {
			if c.Table != table || c.Column != col {
				continue
			}
			if (wild && strings.HasPrefix(c.Row, prefix)) || (!wild && c.Row == row) {
				if f, err := strconv.ParseFloat(c.Value, 64); err == nil {
					sum += f
					ok = true
				}
			}
		}
	}
	return sum, ok
}

// agencyCharts draws the charts for recs (one agency, year order). A year
// whose report does not print a series has no point on it.
func agencyCharts(recs []*store.ReportRecord) []chartView {
	const width, height, left, right, top, bottom = 720, 260, 56, 16, 16, 36
	var years []int
	for _, rec := range recs {
		if l := rec.Latest(); l != nil && l.Report != nil && len(l.Report.Cells) > 0 {
			years = append(years, rec.Year)
		}
	}
	// x is proportional to the year, so that a gap in the archive shows.
	xOf := func(i int) float64 {
		if len(years) == 1 {
			return float64(left+width-right) / 2
		}
		first, last := years[0], years[len(years)-1]
		return left + float64(years[i]-first)*float64(width-left-right)/float64(last-first)
	}
	var charts []chartView
	for _, spec := range agencyChartSpecs {
		ch := chartView{ID: spec.id, Title: spec.title, Width: width, Height: height}
		for i, y := range years {
			ch.Years = append(ch.Years, axisTick{Pos: xOf(i), Label: strconv.Itoa(y)})
		}
		type raw struct {
			year int
			i    int
			v    float64
		}
		var all [][]raw
		maxV := 0.0
		for _, ss := range spec.series {
			var pts []raw
			i := 0
			for _, rec := range recs {
				l := rec.Latest()
				if l == nil || l.Report == nil || len(l.Report.Cells) == 0 {
					continue
				}
				if v, ok := seriesValue(l.Report, ss); ok {
					pts = append(pts, raw{rec.Year, i, v})
					maxV = math.Max(maxV, v)
				}
				i++
			}
			all = append(all, pts)
		}
		top := niceMax(maxV)
		yOf := func(v float64) float64 { return float64(height-bottom) - v/top*float64(height-bottom-top) }
		for k := 0; k <= 4; k++ {
			v := top * float64(k) / 4
			ch.YTicks = append(ch.YTicks, axisTick{Pos: yOf(v), Label: strconv.FormatFloat(v, 'f', -1, 64)})
		}
		for si, ss := range spec.series {
			sv := seriesView{Name: ss.name, Class: fmt.Sprintf("s%d", si)}
			var line []string
			for _, p := range all[si] {
				pv := pointView{X: math.Round(xOf(p.i)*10) / 10, Y: math.Round(yOf(p.v)*10) / 10, Year: p.year,
					Value: strconv.FormatFloat(p.v, 'f', -1, 64)}
				sv.Points = append(sv.Points, pv)
				line = append(line, fmt.Sprintf("%g,%g", pv.X, pv.Y))
			}
			sv.Line = strings.Join(line, " ")
			ch.Series = append(ch.Series, sv)
		}
		charts = append(charts, ch)
	}
	return charts
}

// niceMax returns the top of a y axis with four ticks for values up to
// v: four times a step of 1, 2 or 5 × 10^k (at least 1).
func niceMax(v float64) float64 {
	step := v / 4
	if step <= 1 {
		return 4
	}
	p := math.Pow(10, math.Floor(math.Log10(step)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= step {
			return 4 * m * p
		}
	}
	return 40 * p
}

// dash shows an empty value as "·", as nianbao diff does.
func dash(s string) string {
	if s == "" {
		return "·"
	}
	return s
}
