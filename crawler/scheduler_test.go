package crawler

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeClock is a manual clock: Now is what the test set, and timers fire
// only when the test advances the clock past them. Every NewTimer call is
// announced on timers, so a test knows the scheduler is waiting (and for
// how long) without sleeping.
type fakeClock struct {
	mu      sync.Mutex // protects now and pending
	now     time.Time
	pending []*fakeTimer
	timers  chan time.Duration
}

type fakeTimer struct {
	when    time.Time
	c       chan time.Time
	stopped bool
}

func newFakeClock(now time.Time) *fakeClock {
	return &fakeClock{now: now, timers: make(chan time.Duration, 100)}
}

func (f *fakeClock) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

func (f *fakeClock) NewTimer(d time.Duration) (<-chan time.Time, func() bool) {
	f.mu.Lock()
	t := &fakeTimer{when: f.now.Add(d), c: make(chan time.Time, 1)}
	f.pending = append(f.pending, t)
	f.mu.Unlock()
	f.timers <- d
	return t.c, func() bool {
		f.mu.Lock()
		defer f.mu.Unlock()
		was := !t.stopped
		t.stopped = true
		return was
	}
}

// Advance moves the clock by d and fires the timers that are due.
func (f *fakeClock) Advance(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.now = f.now.Add(d)
	var keep []*fakeTimer
	for _, t := range f.pending {
		switch {
		case t.stopped:
		case !t.when.After(f.now):
			t.c <- f.now
		default:
			keep = append(keep, t)
		}
	}
	f.pending = keep
}

// waitTimer returns the duration of the next timer the scheduler starts.
func (f *fakeClock) waitTimer(t *testing.T) time.Duration {
	t.Helper()
	select {
	case d := <-f.timers:
		return d
	case <-time.After(10 * time.Second):
		t.Fatal("the scheduler started no timer")
		return 0
	}
}

func mustSchedule(t *testing.T, spec string) Schedule {
	t.Helper()
	s, err := ParseSchedule(spec)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

var shanghai = time.FixedZone("CST", 8*3600)

func TestParseSchedule(t *testing.T) {
	from := time.Date(2026, 11, 28, 18, 30, 0, 0, shanghai)
	tests := []struct {
		spec string
		want time.Time
	}{
		{"0 3 * * *", time.Date(2026, 11, 29, 3, 0, 0, 0, shanghai)},
		{"", time.Date(2026, 11, 29, 3, 0, 0, 0, shanghai)},            // DefaultSchedule
		{"30 2 * * 1", time.Date(2026, 11, 30, 2, 30, 0, 0, shanghai)}, // Monday
		{"0 */6 * * *", time.Date(2026, 11, 29, 0, 0, 0, 0, shanghai)},
		{"@daily", time.Date(2026, 11, 29, 0, 0, 0, 0, shanghai)},
		{"@every 90m", time.Date(2026, 11, 28, 20, 0, 0, 0, shanghai)},
		{"@every 1s", time.Date(2026, 11, 28, 18, 30, 1, 0, shanghai)},
		{"15 0 3 * * *", time.Date(2026, 11, 29, 3, 0, 15, 0, shanghai)}, // with seconds
		{"0 0 1 1 *", time.Date(2027, 1, 1, 0, 0, 0, 0, shanghai)},
	}
	for _, tt := range tests {
		got := mustSchedule(t, tt.spec).Next(from)
		if !got.Equal(tt.want) {
			t.Errorf("%q.Next(%s) = %s, want %s", tt.spec, from, got, tt.want)
		}
	}
	// A time zone prefix: 03:00 in Shanghai is 19:00 UTC the day before.
	got := mustSchedule(t, "CRON_TZ=Asia/Shanghai 0 3 * * *").Next(time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC))
	if want := time.Date(2026, 11, 28, 19, 0, 0, 0, time.UTC); !got.Equal(want) {
		t.Errorf("CRON_TZ schedule: next = %s, want %s", got.UTC(), want)
	}
	for _, bad := range []string{"0 3 * *", "61 3 * * *", "@fortnightly", "0 3 * * * * *", "a b c d e"} {
		if _, err := ParseSchedule(bad); err == nil {
			t.Errorf("ParseSchedule(%q): no error", bad)
		}
	}
}

func TestNextRun(t *testing.T) {
	daily := mustSchedule(t, "0 3 * * *")
	at := func(day, hour, min int) time.Time { return time.Date(2026, 11, day, hour, min, 0, 0, shanghai) }
	tests := []struct {
		name      string
		last, now time.Time
		want      time.Time
	}{
		{"NeverRan", time.Time{}, at(28, 18, 0), at(29, 3, 0)},
		{"RanToday", at(28, 3, 20), at(28, 18, 0), at(29, 3, 0)},
		{"DueExactlyNow", at(27, 3, 20), at(28, 3, 0), at(28, 3, 0)},
		// Down for three days: the three missed runs become one, now.
		{"MissedThreeRuns", at(25, 3, 10), at(28, 18, 0), at(28, 18, 0)},
		{"MissedOne", at(27, 3, 10), at(28, 4, 0), at(28, 4, 0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := NextRun(daily, tt.last, tt.now); !got.Equal(tt.want) {
				t.Errorf("NextRun(last %s, now %s) = %s, want %s", tt.last, tt.now, got, tt.want)
			}
		})
	}
	// A schedule that never fires (30 February).
	if got := NextRun(mustSchedule(t, "0 3 30 2 *"), at(1, 0, 0), at(28, 0, 0)); !got.IsZero() {
		t.Errorf("never-firing schedule: NextRun = %s, want zero", got)
	}
}

// jobRecorder is a Job that records its calls and can be held open.
type jobRecorder struct {
	mu      sync.Mutex // protects calls
	calls   [][]string
	started chan []string
	release chan struct{} // when non-nil, each call waits for a value
	active  atomic.Int32
	maxSeen atomic.Int32
	err     error
}

func newJobRecorder() *jobRecorder { return &jobRecorder{started: make(chan []string, 100)} }

func (j *jobRecorder) Job(ctx context.Context, sites []string) error {
	n := j.active.Add(1)
	defer j.active.Add(-1)
	for {
		m := j.maxSeen.Load()
		if n <= m || j.maxSeen.CompareAndSwap(m, n) {
			break
		}
	}
	j.mu.Lock()
	j.calls = append(j.calls, sites)
	j.mu.Unlock()
	j.started <- sites
	if j.release != nil {
		select {
		case <-j.release:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return j.err
}

func (j *jobRecorder) waitCall(t *testing.T) []string {
	t.Helper()
	select {
	case s := <-j.started:
		return s
	case <-time.After(10 * time.Second):
		t.Fatal("the job was not called")
		return nil
	}
}

func (j *jobRecorder) count() int {
	j.mu.Lock()
	defer j.mu.Unlock()
	return len(j.calls)
}

// startScheduler runs s in a goroutine; the returned stop cancels it and
// waits for Run to return.
func startScheduler(t *testing.T, s *Scheduler) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("Run returned %v, want nil after cancel", err)
				}
			case <-time.After(10 * time.Second):
				t.Error("Run did not return after cancel")
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

func TestScheduler_Run_FiresAtScheduleTime(t *testing.T) {
	clock := newFakeClock(time.Date(2026, 11, 28, 2, 0, 0, 0, shanghai))
	job := newJobRecorder()
	s, err := NewScheduler(SchedulerOptions{
		Sites: []ScheduledSite{{"a", mustSchedule(t, "0 3 * * *")}, {"b", mustSchedule(t, "0 3 * * *")}, {"c", mustSchedule(t, "0 4 * * *")}},
		Job:   job.Job, Now: clock.Now, NewTimer: clock.NewTimer,
	})
	if err != nil {
		t.Fatal(err)
	}
	startScheduler(t, s)
	if d := clock.waitTimer(t); d != time.Hour {
		t.Fatalf("first timer %s, want 1h (02:00 → 03:00)", d)
	}
	clock.Advance(time.Hour)
	if got := job.waitCall(t); len(got) != 2 || got[0] != "a" || got[1] != "b" {
		t.Fatalf("03:00 run got sites %v, want [a b]", got)
	}
	if d := clock.waitTimer(t); d != time.Hour {
		t.Fatalf("timer after the 03:00 run %s, want 1h (to c at 04:00)", d)
	}
	clock.Advance(time.Hour)
	if got := job.waitCall(t); len(got) != 1 || got[0] != "c" {
		t.Fatalf("04:00 run got sites %v, want [c]", got)
	}
	if d := clock.waitTimer(t); d != 23*time.Hour {
		t.Fatalf("timer after the 04:00 run %s, want 23h (a and b tomorrow 03:00)", d)
	}
	st := s.Status()
	if st.Runs != 2 || len(st.Running) != 0 {
		t.Errorf("status: runs %d running %v, want 2 and none", st.Runs, st.Running)
	}
	if want := time.Date(2026, 11, 29, 3, 0, 0, 0, shanghai); !st.NextDue().Equal(want) {
		t.Errorf("status next due %s, want %s", st.NextDue(), want)
	}
	if got := st.Last["c"]; !got.Equal(time.Date(2026, 11, 28, 4, 0, 0, 0, shanghai)) {
		t.Errorf("status last[c] = %s", got)
	}
}

func TestScheduler_Run_MissedRunsRunOnce(t *testing.T) {
	// The process was down from the 25th to the 28th at 10:00: three daily
	// runs were missed. One run starts at once, then the schedule resumes.
	now := time.Date(2026, 11, 28, 10, 0, 0, 0, shanghai)
	clock := newFakeClock(now)
	job := newJobRecorder()
	s, err := NewScheduler(SchedulerOptions{
		Sites: []ScheduledSite{{"a", mustSchedule(t, "0 3 * * *")}, {"fresh", mustSchedule(t, "0 3 * * *")}},
		Last:  map[string]time.Time{"a": time.Date(2026, 11, 25, 3, 40, 0, 0, shanghai)},
		Job:   job.Job, Now: clock.Now, NewTimer: clock.NewTimer,
	})
	if err != nil {
		t.Fatal(err)
	}
	startScheduler(t, s)
	if got := job.waitCall(t); len(got) != 1 || got[0] != "a" {
		t.Fatalf("catch-up run got %v, want [a] only (fresh never ran: it waits for its time)", got)
	}
	if d := clock.waitTimer(t); d != 17*time.Hour {
		t.Fatalf("timer after the catch-up run %s, want 17h (tomorrow 03:00)", d)
	}
	if n := job.count(); n != 1 {
		t.Fatalf("%d runs, want 1 for three missed days", n)
	}
	clock.Advance(17 * time.Hour)
	if got := job.waitCall(t); len(got) != 2 {
		t.Fatalf("next day's run got %v, want both sites", got)
	}
	clock.waitTimer(t)
	if n := job.count(); n != 2 {
		t.Fatalf("%d runs after the next day, want 2", n)
	}
}

func TestScheduler_Run_ResumeInterrupted(t *testing.T) {
	// a's last run was interrupted at 02:10 by a shutdown: it is due at
	// start-up although its last finished run (yesterday) leaves nothing
	// missed; b, finished normally, waits for 03:00.
	clock := newFakeClock(time.Date(2026, 11, 28, 2, 30, 0, 0, shanghai))
	job := newJobRecorder()
	yesterday := time.Date(2026, 11, 27, 3, 20, 0, 0, shanghai)
	s, err := NewScheduler(SchedulerOptions{
		Sites:  []ScheduledSite{{"a", mustSchedule(t, "0 3 * * *")}, {"b", mustSchedule(t, "0 3 * * *")}},
		Last:   map[string]time.Time{"a": yesterday, "b": yesterday},
		Resume: []string{"a"},
		Job:    job.Job, Now: clock.Now, NewTimer: clock.NewTimer,
	})
	if err != nil {
		t.Fatal(err)
	}
	startScheduler(t, s)
	if got := job.waitCall(t); len(got) != 1 || got[0] != "a" {
		t.Fatalf("start-up run got %v, want [a]", got)
	}
	if d := clock.waitTimer(t); d != 30*time.Minute {
		t.Fatalf("timer after the resumed run %s, want 30m (b at 03:00)", d)
	}
	clock.Advance(30 * time.Minute)
	// The resumed run finished the interrupted one; 03:00 is a's regular
	// time, so both run then.
	if got := job.waitCall(t); len(got) != 2 {
		t.Fatalf("03:00 run got %v, want [a b]", got)
	}
}

func TestScheduler_Run_NoOverlap(t *testing.T) {
	// A run that takes three days: the due times passing meanwhile neither
	// start a second run nor queue up several; the next run is planned from
	// the end of the long one.
	clock := newFakeClock(time.Date(2026, 11, 28, 2, 59, 0, 0, shanghai))
	job := newJobRecorder()
	job.release = make(chan struct{})
	s, err := NewScheduler(SchedulerOptions{
		Sites: []ScheduledSite{{"a", mustSchedule(t, "0 3 * * *")}, {"b", mustSchedule(t, "@every 1h")}},
		Job:   job.Job, Now: clock.Now, NewTimer: clock.NewTimer,
	})
	if err != nil {
		t.Fatal(err)
	}
	startScheduler(t, s)
	if d := clock.waitTimer(t); d != time.Minute {
		t.Fatalf("first timer %s, want 1m", d)
	}
	clock.Advance(time.Minute)
	job.waitCall(t) // a at 03:00
	for range 72 {
		clock.Advance(time.Hour) // no timer is pending: nothing may start
	}
	if st := s.Status(); len(st.Running) != 1 || st.Running[0] != "a" {
		t.Fatalf("status while running: %v, want [a]", st.Running)
	}
	select {
	case got := <-job.started:
		t.Fatalf("a second run started while the first was running: %v", got)
	default:
	}
	job.release <- struct{}{}
	// b's first hourly time (04:00 on the 28th) passed during the run: it
	// runs once, right after.
	if got := job.waitCall(t); len(got) != 1 || got[0] != "b" {
		t.Fatalf("run after the long one got %v, want [b]", got)
	}
	job.release <- struct{}{}
	if d := clock.waitTimer(t); d != time.Hour {
		t.Fatalf("timer after the runs %s, want 1h (b hourly from its end)", d)
	}
	if n, m := job.count(), job.maxSeen.Load(); n != 2 || m != 1 {
		t.Fatalf("%d runs, at most %d at once; want 2 runs, 1 at once", n, m)
	}
	st := s.Status()
	if want := time.Date(2026, 12, 2, 3, 0, 0, 0, shanghai); !st.Next["a"].Equal(want) {
		t.Errorf("a next due %s, want %s (the first 03:00 after the run ended at 03:00 on 1 Dec)", st.Next["a"], want)
	}
}

func TestScheduler_Run_Jitter(t *testing.T) {
	const jitter = 30 * time.Minute
	for _, tt := range []struct {
		name string
		r    int64
	}{{"Lowest", 0}, {"Highest", int64(jitter) - 1}, {"Middle", int64(jitter) / 2}} {
		t.Run(tt.name, func(t *testing.T) {
			clock := newFakeClock(time.Date(2026, 11, 28, 2, 0, 0, 0, shanghai))
			job := newJobRecorder()
			var asked atomic.Int64
			s, err := NewScheduler(SchedulerOptions{
				Sites: []ScheduledSite{{"a", mustSchedule(t, "0 3 * * *")}},
				Job:   job.Job, Now: clock.Now, NewTimer: clock.NewTimer, Jitter: jitter,
				Rand: func(n int64) int64 { asked.Store(n); return tt.r },
			})
			if err != nil {
				t.Fatal(err)
			}
			startScheduler(t, s)
			d := clock.waitTimer(t)
			if want := time.Hour + time.Duration(tt.r); d != want {
				t.Fatalf("timer %s, want %s", d, want)
			}
			if asked.Load() != int64(jitter) {
				t.Fatalf("Rand asked for [0, %d), want [0, %d)", asked.Load(), int64(jitter))
			}
			clock.Advance(d - 1)
			select {
			case <-job.started:
				t.Fatal("ran before the jittered time")
			default:
			}
			clock.Advance(1)
			job.waitCall(t)
		})
	}
	t.Run("DefaultRandWithinBounds", func(t *testing.T) {
		s, err := NewScheduler(SchedulerOptions{Job: newJobRecorder().Job, Jitter: jitter})
		if err != nil {
			t.Fatal(err)
		}
		var lo, hi time.Duration = jitter, 0
		for range 10000 {
			j := s.jitter()
			if j < 0 || j >= jitter {
				t.Fatalf("jitter %s outside [0, %s)", j, jitter)
			}
			lo, hi = min(lo, j), max(hi, j)
		}
		// 10000 uniform draws cover nearly all of the range.
		if lo > time.Minute || hi < jitter-time.Minute {
			t.Errorf("jitter range [%s, %s] does not spread over [0, %s)", lo, hi, jitter)
		}
	})
	t.Run("Zero", func(t *testing.T) {
		s, _ := NewScheduler(SchedulerOptions{Job: newJobRecorder().Job, Rand: func(int64) int64 { panic("Rand called without jitter") }})
		if j := s.jitter(); j != 0 {
			t.Fatalf("jitter %s, want 0", j)
		}
	})
}

func TestScheduler_Run_Shutdown(t *testing.T) {
	t.Run("WhileWaiting", func(t *testing.T) {
		clock := newFakeClock(time.Date(2026, 11, 28, 2, 0, 0, 0, shanghai))
		job := newJobRecorder()
		s, _ := NewScheduler(SchedulerOptions{Sites: []ScheduledSite{{"a", mustSchedule(t, "0 3 * * *")}},
			Job: job.Job, Now: clock.Now, NewTimer: clock.NewTimer})
		stop := startScheduler(t, s)
		clock.waitTimer(t)
		stop() // fails the test unless Run returns nil promptly
		if n := job.count(); n != 0 {
			t.Fatalf("%d runs, want 0", n)
		}
	})
	t.Run("WhileRunning", func(t *testing.T) {
		clock := newFakeClock(time.Date(2026, 11, 28, 10, 0, 0, 0, shanghai))
		job := newJobRecorder()
		job.release = make(chan struct{}) // never released: only ctx ends it
		last := time.Date(2026, 11, 27, 3, 5, 0, 0, shanghai)
		s, _ := NewScheduler(SchedulerOptions{Sites: []ScheduledSite{{"a", mustSchedule(t, "0 3 * * *")}},
			Last: map[string]time.Time{"a": last}, Job: job.Job, Now: clock.Now, NewTimer: clock.NewTimer})
		stop := startScheduler(t, s)
		job.waitCall(t)
		stop()
		st := s.Status()
		if !st.Last["a"].Equal(last) {
			t.Errorf("last run of a = %s after an interrupted run, want it unchanged (%s) so the run resumes next start", st.Last["a"], last)
		}
		if !errors.Is(st.LastErr, context.Canceled) {
			t.Errorf("LastErr = %v, want context.Canceled", st.LastErr)
		}
		if len(st.Running) != 0 {
			t.Errorf("still running %v after shutdown", st.Running)
		}
	})
	t.Run("NothingScheduled", func(t *testing.T) {
		s, _ := NewScheduler(SchedulerOptions{Sites: []ScheduledSite{{"a", mustSchedule(t, "0 3 30 2 *")}}, Job: newJobRecorder().Job})
		startScheduler(t, s)() // returns on cancel although no timer is set
	})
}

func TestScheduler_Run_JobErrorContinues(t *testing.T) {
	clock := newFakeClock(time.Date(2026, 11, 28, 2, 0, 0, 0, shanghai))
	job := newJobRecorder()
	job.err = errors.New("3 URLs failed")
	s, _ := NewScheduler(SchedulerOptions{Sites: []ScheduledSite{{"a", mustSchedule(t, "@every 1h")}},
		Job: job.Job, Now: clock.Now, NewTimer: clock.NewTimer})
	startScheduler(t, s)
	for i := range 3 {
		if d := clock.waitTimer(t); d != time.Hour {
			t.Fatalf("timer %d: %s, want 1h", i, d)
		}
		clock.Advance(time.Hour)
		job.waitCall(t)
	}
	clock.waitTimer(t)
	if st := s.Status(); st.Runs != 3 || st.LastErr == nil {
		t.Fatalf("status runs %d err %v, want 3 runs and the job's error", st.Runs, st.LastErr)
	}
}

func TestNewScheduler_Invalid(t *testing.T) {
	daily := mustSchedule(t, "@daily")
	job := newJobRecorder().Job
	for name, o := range map[string]SchedulerOptions{
		"NoJob":       {Sites: []ScheduledSite{{"a", daily}}},
		"NoName":      {Sites: []ScheduledSite{{"", daily}}, Job: job},
		"NoSchedule":  {Sites: []ScheduledSite{{"a", nil}}, Job: job},
		"Duplicate":   {Sites: []ScheduledSite{{"a", daily}, {"a", daily}}, Job: job},
		"NegativeJit": {Sites: []ScheduledSite{{"a", daily}}, Job: job, Jitter: -time.Second},
	} {
		if _, err := NewScheduler(o); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}
