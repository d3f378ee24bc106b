package crawler

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/robfig/cron/v3"
)

// DefaultSchedule is the schedule used for an empty spec: daily at 03:00
// local time.
const DefaultSchedule = "0 3 * * *"

// DefaultJitter is the random delay callers should add to each due time
// unless told otherwise, so that many installations with the same
// schedule do not hit the same sites in the same second.
const DefaultJitter = 30 * time.Minute

// Schedule says when a scheduled job is next due. Next returns the first
// due time strictly after t, or the zero time when there is none.
type Schedule interface {
	Next(t time.Time) time.Time
}

// cronParser accepts what the config documents: five fields (minute hour
// day-of-month month day-of-week), six with leading seconds, descriptors
// (@daily, @hourly…), "@every <duration>", and a CRON_TZ= or TZ= prefix.
var cronParser = cron.NewParser(cron.SecondOptional | cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// ParseSchedule parses a cron spec such as "0 3 * * *", "@daily",
// "@every 6h" or "CRON_TZ=Asia/Shanghai 0 3 * * *". An empty spec means
// DefaultSchedule. Times without a CRON_TZ prefix are in the local time
// zone. "@every" intervals are rounded to whole seconds, at least 1 s.
func ParseSchedule(spec string) (Schedule, error) {
	spec = strings.TrimSpace(spec)
	if spec == "" {
		spec = DefaultSchedule
	}
	s, err := cronParser.Parse(spec)
	if err != nil {
		return nil, fmt.Errorf("crawler: parse schedule %q: %w", spec, err)
	}
	return s, nil
}

// NextRun returns when a job on schedule s is due, given the time of its
// last run (zero when it never ran) and the current time. A job that never
// ran is due at the schedule's next time after now. A job whose next time
// after last is already past (the process was down, or the previous run
// overran) is due now, once: however many due times were missed, NextRun
// never returns more than one of them. The zero time means never.
func NextRun(s Schedule, last, now time.Time) time.Time {
	if last.IsZero() {
		return s.Next(now)
	}
	n := s.Next(last)
	if n.IsZero() {
		return n
	}
	if n.Before(now) {
		return now
	}
	return n
}

// ScheduledSite is one site the Scheduler runs.
type ScheduledSite struct {
	Name     string
	Schedule Schedule
}

// SchedulerOptions configure a Scheduler. Only Sites and Job are required.
type SchedulerOptions struct {
	// Sites are the sites to run, each on its own schedule.
	Sites []ScheduledSite
	// Last seeds the time each site last finished a run (by name), e.g.
	// from the store's run records, so that a run missed while the process
	// was down runs once at start-up. Missing sites never ran. Nil by
	// default.
	Last map[string]time.Time
	// Resume lists sites that are due at once, before their schedule: sites
	// whose last run was interrupted (e.g. by a shutdown), so that their
	// persisted queue is finished without waiting a day. Nil by default.
	Resume []string
	// Job runs the named sites, which are due together. It is called from
	// the Scheduler's goroutine only, so runs never overlap; it should
	// return soon after ctx is cancelled. Its error is logged, not fatal.
	Job func(ctx context.Context, sites []string) error
	// Jitter is the upper bound of a random delay added to every due time
	// (uniform in [0, Jitter)). Zero means none (default; tests); callers
	// that want the usual spread pass DefaultJitter.
	Jitter time.Duration
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
	// NewTimer starts a timer that delivers on the returned channel after
	// d; stop stops it. Nil means time.NewTimer. Tests inject a fake clock
	// here and in Now, so that they never sleep.
	NewTimer func(d time.Duration) (c <-chan time.Time, stop func() bool)
	// Rand returns a random int64 in [0, n); nil means math/rand/v2.Int64N.
	Rand func(n int64) int64
	// Logger receives one line per run (sites, duration, error) and the
	// next due time. Nil discards.
	Logger *slog.Logger
}

// Scheduler runs a job for sites on their schedules from a single
// goroutine (Run): one run at a time, missed runs once, random jitter.
type Scheduler struct {
	opts SchedulerOptions
	log  *slog.Logger

	mu sync.Mutex // protects the fields below
	// next and last are by site name: the planned due time (jitter
	// included) and the end of the last completed run.
	next    map[string]time.Time
	last    map[string]time.Time
	running []string // the sites of the run in progress; nil when idle
	started time.Time
	runs    int
	lastErr error
}

// NewScheduler checks opts and returns a Scheduler; Run starts it. It
// returns an error when Job is nil, a site has no name or schedule, or a
// name repeats.
func NewScheduler(opts SchedulerOptions) (*Scheduler, error) {
	if opts.Job == nil {
		return nil, fmt.Errorf("crawler: scheduler: no job")
	}
	seen := map[string]bool{}
	for _, s := range opts.Sites {
		switch {
		case s.Name == "":
			return nil, fmt.Errorf("crawler: scheduler: site without a name")
		case s.Schedule == nil:
			return nil, fmt.Errorf("crawler: scheduler: site %q has no schedule", s.Name)
		case seen[s.Name]:
			return nil, fmt.Errorf("crawler: scheduler: site %q listed twice", s.Name)
		}
		seen[s.Name] = true
	}
	if opts.Jitter < 0 {
		return nil, fmt.Errorf("crawler: scheduler: negative jitter %s", opts.Jitter)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.NewTimer == nil {
		opts.NewTimer = func(d time.Duration) (<-chan time.Time, func() bool) {
			t := time.NewTimer(d)
			return t.C, t.Stop
		}
	}
	if opts.Rand == nil {
		opts.Rand = rand.Int64N
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Scheduler{opts: opts, log: log, next: map[string]time.Time{}, last: map[string]time.Time{}}
	for name, t := range opts.Last {
		s.last[name] = t
	}
	// Plan now, so that Status tells the first due times before Run.
	now := opts.Now()
	for _, site := range opts.Sites {
		s.planLocked(site, now)
		if slices.Contains(opts.Resume, site.Name) {
			s.next[site.Name] = now.Add(s.jitter())
		}
	}
	return s, nil
}

// jitter returns a random delay in [0, Jitter).
func (s *Scheduler) jitter() time.Duration {
	if s.opts.Jitter <= 0 {
		return 0
	}
	return time.Duration(s.opts.Rand(int64(s.opts.Jitter)))
}

// planLocked sets the due time of site from its last run; s.mu must be
// held (or s not yet shared).
func (s *Scheduler) planLocked(site ScheduledSite, now time.Time) {
	n := NextRun(site.Schedule, s.last[site.Name], now)
	if n.IsZero() {
		delete(s.next, site.Name)
		return
	}
	s.next[site.Name] = n.Add(s.jitter())
}

// Run runs the job for due sites (planned by NewScheduler from Last and
// the time then) until ctx is cancelled, then returns nil
// (cancellation is the normal way to stop). A run in progress is given
// the cancelled ctx and Run waits for it to return; the sites of an
// interrupted run keep their previous last-run time, so they are due
// again (once) when the scheduler next starts.
func (s *Scheduler) Run(ctx context.Context) error {
	for {
		if ctx.Err() != nil {
			return nil
		}
		now := s.opts.Now()
		due, wait, ok := s.due(now)
		if !ok { // nothing will ever be due
			<-ctx.Done()
			return nil
		}
		if len(due) == 0 {
			c, stop := s.opts.NewTimer(wait)
			select {
			case <-ctx.Done():
				stop()
				return nil
			case <-c:
			}
			continue
		}
		s.runJob(ctx, due, now)
	}
}

// due returns the sites due at now, or how long to wait for the next one;
// ok is false when no site has a due time.
func (s *Scheduler) due(now time.Time) (due []ScheduledSite, wait time.Duration, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var first time.Time
	for _, site := range s.opts.Sites {
		n, has := s.next[site.Name]
		if !has {
			continue
		}
		if !n.After(now) {
			due = append(due, site)
		}
		if first.IsZero() || n.Before(first) {
			first = n
		}
	}
	if first.IsZero() {
		return nil, 0, false
	}
	return due, first.Sub(now), true
}

// runJob runs the job for due, then plans their next runs from its end.
func (s *Scheduler) runJob(ctx context.Context, due []ScheduledSite, start time.Time) {
	names := make([]string, len(due))
	for i, d := range due {
		names[i] = d.Name
	}
	s.mu.Lock()
	s.running, s.started = names, start
	s.mu.Unlock()
	s.log.Info("scheduled run starting", "sites", len(names))
	err := s.opts.Job(ctx, slices.Clone(names))
	end := s.opts.Now()

	s.mu.Lock()
	defer s.mu.Unlock()
	s.running = nil
	s.runs++
	s.lastErr = err
	if ctx.Err() != nil {
		s.log.Info("scheduled run interrupted; it resumes at the next start", "sites", len(names), "duration", end.Sub(start))
		return
	}
	for _, d := range due {
		s.last[d.Name] = end
		s.planLocked(d, end)
	}
	var next time.Time
	for _, n := range s.next {
		if next.IsZero() || n.Before(next) {
			next = n
		}
	}
	if err != nil {
		s.log.Warn("scheduled run finished with errors", "sites", len(names), "duration", end.Sub(start), "err", err, "next", next)
	} else {
		s.log.Info("scheduled run finished", "sites", len(names), "duration", end.Sub(start), "next", next)
	}
}

// SchedulerStatus is a snapshot of a Scheduler's state for status pages.
type SchedulerStatus struct {
	// Running lists the sites of the run in progress (nil when idle) and
	// Started when it began.
	Running []string
	Started time.Time
	// Next and Last are by site: the planned due time (jitter included;
	// absent for a schedule that never fires) and the end of the last
	// completed run (absent when unknown).
	Next map[string]time.Time
	Last map[string]time.Time
	// Runs counts the runs this Scheduler started; LastErr is the error of
	// the latest one (nil when it succeeded or none ran).
	Runs    int
	LastErr error
}

// NextDue returns the earliest planned due time, or the zero time.
func (st SchedulerStatus) NextDue() time.Time {
	var first time.Time
	for _, n := range st.Next {
		if first.IsZero() || n.Before(first) {
			first = n
		}
	}
	return first
}

// Status returns the Scheduler's current state. It is safe to call from
// any goroutine.
func (s *Scheduler) Status() SchedulerStatus {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := SchedulerStatus{Running: slices.Clone(s.running), Started: s.started, Runs: s.runs, LastErr: s.lastErr,
		Next: make(map[string]time.Time, len(s.next)), Last: make(map[string]time.Time, len(s.last))}
	for k, v := range s.next {
		st.Next[k] = v
	}
	for k, v := range s.last {
		st.Last[k] = v
	}
	return st
}
