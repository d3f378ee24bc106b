package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"nianbao/cmd/nianbao/web"
	"nianbao/crawler"
	"nianbao/store"
)

const serveHelp = `Usage: nianbao serve [--config FILE] [--db PATH] [--addr 127.0.0.1:8080] [--jitter 30m] [--now]

Runs as one long-lived process that owns the database: it crawls the
configured sites on their schedule (the config's 'schedule:', per site
'schedule:' overriding it; cron syntax "0 3 * * *", "@daily", "@every 6h",
optionally "CRON_TZ=Asia/Shanghai 0 3 * * *"; default daily at 03:00), and
serves a read-only web view and JSON API of the archive.

Scheduling: each due time gets a random delay in [0, --jitter) so that many
installations with the same schedule do not hit a site in the same second.
A run never overlaps the previous one. Runs missed while serve was down
(the last finished run is read from the database) run once at start-up,
not once per missed day; a site that was never crawled waits for its first
scheduled time, unless --now is given ('nianbao crawl' also fills a new
archive at once). --now crawls every site at start-up, then follows the
schedule. Ctrl-C or SIGTERM stops the current run at a safe
point (its queue is kept in the database) and the next start resumes it
at once.
To drive crawls from system cron or a systemd timer instead, use
'nianbao crawl' and do not run serve.

The web server binds to 127.0.0.1 (this machine only) unless --addr says
otherwise; it has no authentication, and only answers GET and HEAD:
  /                      reports, filtered by ?agency= &year= &format= &status=ok|fail|none
  /reports/AGENCY/YEAR   tables 二, 三, 四 as printed, failed checks highlighted (?v=N: version N)
  /reports/AGENCY/YEAR/diff?from=N&to=M   changes between stored versions
  /agencies/AGENCY       year-on-year charts of the main series
  /runs                  run history and failures by reason
  /captures/SHA256       an archived body with its original Content-Type
  /api/reports, /api/reports/AGENCY/YEAR, /api/runs, /api/status   JSON
  /export/csv, /export/wide, /export/reports, /export/jsonl   downloads
                         (?year= &agency= &all_versions=1, as 'nianbao export')
  /metrics               Prometheus text format (nianbao_*)
  /healthz               200 "ok" while serving
AGENCY is the agency name, URL-escaped.

While serve runs, 'nianbao export', 'diff' and 'ls' read the database's
snapshot, and 'nianbao crawl' exits 4 (the database is in use).

Exit status:
  0    stopped by SIGTERM or Ctrl-C (a clean shutdown)
  1    fatal error (cannot listen on --addr, database unreadable)
  2    usage or config error (bad schedule, unknown flag)
  4    the database is in use by another nianbao process

Flags:
`

// serveShutdownTimeout bounds how long open HTTP requests may take to
// finish once serve is told to stop.
const serveShutdownTimeout = 10 * time.Second

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgPath := fs.String("config", "configs/sites.yaml", "config file (YAML)")
	dbPath := fs.String("db", "", "database file (default: the config's db)")
	addr := fs.String("addr", "127.0.0.1:8080", "listen `address` of the web view (127.0.0.1: this machine only)")
	jitter := fs.Duration("jitter", crawler.DefaultJitter, "random delay added to each scheduled time, up to this `duration` (0: none)")
	now := fs.Bool("now", false, "crawl every site at start-up, then follow the schedule")
	verbose := fs.Bool("v", false, "log every fetch and report of scheduled crawls to stderr")
	fs.Usage = func() { fmt.Fprint(stderr, serveHelp); fs.PrintDefaults() }
	if done, err := parseFlags(fs, args); done {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{msg: fmt.Sprintf("unexpected argument %q", fs.Arg(0)), hint: "nianbao serve takes flags only"}
	}
	if *jitter < 0 {
		return usageError{msg: fmt.Sprintf("bad --jitter %s", *jitter)}
	}
	cfg, err := ReadConfig(*cfgPath)
	if err != nil {
		return usageError{msg: err.Error()}
	}
	if *dbPath != "" {
		cfg.DB = *dbPath
	}
	scheduled := make([]crawler.ScheduledSite, 0, len(cfg.Sites))
	for _, s := range cfg.Sites {
		spec := s.Schedule
		if strings.TrimSpace(spec) == "" {
			spec = cfg.Schedule
		}
		sch, err := crawler.ParseSchedule(spec)
		if err != nil {
			return usageError{msg: fmt.Sprintf("%s: site %s: %v", *cfgPath, s.Name, err)}
		}
		scheduled = append(scheduled, crawler.ScheduledSite{Name: s.Name, Schedule: sch})
	}

	db, err := store.Open(cfg.DB, nil)
	if err != nil {
		return err
	}
	defer db.Close()

	logger := slog.New(slog.NewTextHandler(stderr, nil))
	last, interrupted, err := lastRuns(ctx, db)
	if err != nil {
		return err
	}

	w, err := web.New(db, logger)
	if err != nil {
		return err
	}
	if err := w.Refresh(ctx); err != nil {
		return err
	}
	job := func(ctx context.Context, names []string) error {
		return serveCrawl(ctx, db, cfg, names, w, logger, stderr, *verbose)
	}
	if *now {
		interrupted = interrupted[:0]
		for _, site := range scheduled {
			interrupted = append(interrupted, site.Name)
		}
	}
	sched, err := crawler.NewScheduler(crawler.SchedulerOptions{Sites: scheduled, Last: last, Resume: interrupted,
		Job: job, Jitter: *jitter, Logger: logger})
	if err != nil {
		return err
	}
	w.SetScheduler(sched.Status, len(scheduled))

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("serve: listen on %s: %w", *addr, err)
	}
	srv := &http.Server{Handler: w.Handler(), ReadHeaderTimeout: 10 * time.Second,
		ErrorLog: slog.NewLogLogger(logger.Handler(), slog.LevelWarn)}
	url := "http://" + ln.Addr().String() + "/"
	fmt.Fprintf(stdout, "nianbao serve: web view at %s (database %s, %d sites)\n", url, cfg.DB, len(scheduled))
	if host, _, _ := net.SplitHostPort(ln.Addr().String()); !net.ParseIP(host).IsLoopback() {
		fmt.Fprintf(stdout, "nianbao serve: warning: listening on %s, reachable from other machines; the web view has no authentication\n", host)
	}

	sctx, stopSched := context.WithCancel(ctx)
	defer stopSched()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		_ = sched.Run(sctx) // returns nil when sctx is done
	}()
	if next := sched.Status().NextDue(); !next.IsZero() {
		fmt.Fprintf(stdout, "nianbao serve: next crawl at %s\n", next.Format(time.RFC3339))
	}
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()

	select {
	case <-ctx.Done():
		logger.Info("shutting down: stopping the current run at a safe point")
	case err = <-serveErr:
		err = fmt.Errorf("serve: %w", err)
	}
	stopSched()
	hctx, cancel := context.WithTimeout(context.Background(), serveShutdownTimeout)
	defer cancel()
	if herr := srv.Shutdown(hctx); herr != nil {
		logger.Warn("http shutdown", "err", herr)
	}
	wg.Wait()
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, "nianbao serve: stopped")
	return nil
}

// serveCrawl is the scheduled job: it crawls the named sites through the
// same path as 'nianbao crawl' on serve's open database, logs one line per
// site, and refreshes the web view's index.
func serveCrawl(ctx context.Context, db *store.DB, cfg *Config, names []string, w *web.Server, logger *slog.Logger, stderr io.Writer, verbose bool) error {
	sites := make([]SiteConfig, 0, len(names))
	for _, n := range names {
		s, err := cfg.site(n)
		if err != nil {
			return err
		}
		sites = append(sites, s)
	}
	start := time.Now()
	res, err := crawlSitesDB(ctx, db, cfg, sites, crawlOutput{stdout: io.Discard, stderr: stderr, verbose: verbose, quietSummary: true})
	if res != nil {
		for _, s := range res.Sites {
			logger.Info("site crawled", "run", res.RunID, "site", s.Name, "pages", s.Stats.Lists+s.Stats.Reports+s.Stats.Attachments,
				"new", s.Reports.New, "changed", s.Reports.Changed, "not_modified", s.Stats.NotModified, "failed", s.Stats.Failed,
				"pending", s.Stats.Pending, "duration", time.Since(start).Round(time.Millisecond))
		}
	}
	// The index is refreshed even after an interrupted or partial run:
	// what was stored is in the archive.
	if rerr := w.Refresh(context.WithoutCancel(ctx)); rerr != nil {
		logger.Warn("refresh web index", "err", rerr)
	}
	return err
}

// lastRuns reads the crawl runs: by site, when its last finished run
// ended (interrupted runs left out), and the sites whose latest run was
// interrupted, so that serve resumes them at once.
func lastRuns(ctx context.Context, db *store.DB) (last map[string]time.Time, interrupted []string, err error) {
	last = map[string]time.Time{}
	latest := map[string]store.Run{}
	err = db.Runs(ctx, func(r store.Run) error {
		if r.Kind != "crawl" {
			return nil
		}
		cut := r.Finished.IsZero() || r.Counts.Failures["interrupted"] > 0
		for _, s := range r.Sites {
			if old, ok := latest[s]; !ok || !r.Started.Before(old.Started) {
				latest[s] = r
			}
			if !cut && r.Finished.After(last[s]) {
				last[s] = r.Finished
			}
		}
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("read runs: %w", err)
	}
	for s, r := range latest {
		if r.Finished.IsZero() || r.Counts.Failures["interrupted"] > 0 {
			interrupted = append(interrupted, s)
		}
	}
	sort.Strings(interrupted)
	return last, interrupted, nil
}
