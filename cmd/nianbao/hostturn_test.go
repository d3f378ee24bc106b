package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"
)

// turnLog records the starts and ends of runSitesByHost's calls, in order.
type turnLog struct {
	mu     sync.Mutex // protects events
	events []string   // "+i" at a start, "-i" at an end
}

func (l *turnLog) add(e string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.events = append(l.events, e)
}

// replay returns the largest number of calls running at once, over all
// and per host, and the order the calls started in.
func (l *turnLog) replay(hosts [][]string) (peak int, perHost map[string]int, order []int) {
	perHost = map[string]int{}
	cur := map[string]int{}
	running := 0
	for _, e := range l.events {
		var i int
		fmt.Sscanf(e[1:], "%d", &i)
		d := 1
		if e[0] == '-' {
			d = -1
		} else {
			order = append(order, i)
		}
		running += d
		peak = max(peak, running)
		for _, h := range hosts[i] {
			cur[h] += d
			perHost[h] = max(perHost[h], cur[h])
		}
	}
	return peak, perHost, order
}

func TestRunSitesByHost(t *testing.T) {
	// run runs the sites; each call waits (up to a second) until wave
	// calls run at once, so that the calls that may overlap do.
	run := func(t *testing.T, hosts [][]string, per, limit, wave int) *turnLog {
		t.Helper()
		var l turnLog
		calls := make([]int, len(hosts))
		var mu sync.Mutex // protects running
		running, full := 0, make(chan struct{})
		closeFull := sync.OnceFunc(func() { close(full) })
		perHost := make([]int, len(hosts))
		for i := range perHost {
			perHost[i] = per
		}
		err := runSitesByHost(context.Background(), hosts, perHost, limit, func(ctx context.Context, i int) error {
			l.add(fmt.Sprint("+", i))
			calls[i]++
			mu.Lock()
			if running++; running == wave {
				closeFull()
			}
			mu.Unlock()
			select {
			case <-full:
			case <-time.After(time.Second):
			}
			mu.Lock()
			running--
			mu.Unlock()
			l.add(fmt.Sprint("-", i))
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		for i, n := range calls {
			if n != 1 {
				t.Errorf("site %d called %d times", i, n)
			}
		}
		return &l
	}
	t.Run("OnePerHost", func(t *testing.T) {
		hosts := [][]string{{"a"}, {"a"}, {"b"}, {"c"}, {"a"}, {"b"}, {"d"}, {}}
		peak, perHost, _ := run(t, hosts, 1, 10, 5).replay(hosts)
		for h, n := range perHost {
			if n != 1 {
				t.Errorf("host %s: %d sites at once, want 1", h, n)
			}
		}
		if peak != 5 {
			t.Errorf("at most %d sites at once, want the 4 hosts and the site without one together (5)", peak)
		}
	})
	t.Run("Parallelism", func(t *testing.T) {
		// With parallelism 2, two sites at once on a host.
		hosts := [][]string{{"a"}, {"a"}, {"a"}, {"a"}, {"b"}}
		peak, perHost, _ := run(t, hosts, 2, 10, 3).replay(hosts)
		if perHost["a"] != 2 || peak != 3 {
			t.Errorf("%d sites at once on host a, %d in all; want 2 and 3", perHost["a"], peak)
		}
	})
	t.Run("Limit", func(t *testing.T) {
		hosts := [][]string{{"a"}, {"b"}, {"c"}, {"d"}, {"e"}, {"f"}}
		if peak, _, _ := run(t, hosts, 1, 2, 2).replay(hosts); peak != 2 {
			t.Errorf("%d sites at once, want the limit 2", peak)
		}
	})
	t.Run("WaitingSiteKeepsItsHosts", func(t *testing.T) {
		// Site 1 waits for a; site 2 (on b, free) must not go ahead of
		// it, or a stream of b sites could keep site 1 waiting for ever.
		hosts := [][]string{{"a"}, {"a", "b"}, {"b"}, {"c"}}
		_, _, order := run(t, hosts, 1, 10, 2).replay(hosts)
		if i1, i2 := slices.Index(order, 1), slices.Index(order, 2); i2 < i1 {
			t.Errorf("start order %v: site 2 went ahead of site 1", order)
		}
	})
	t.Run("Error", func(t *testing.T) {
		boom := errors.New("store failed")
		hosts := [][]string{{"a"}, {"a"}, {"b"}}
		var mu sync.Mutex
		cancelled := 0
		err := runSitesByHost(context.Background(), hosts, []int{1, 1, 1}, 1, func(ctx context.Context, i int) error {
			if i == 0 {
				return boom
			}
			mu.Lock()
			defer mu.Unlock()
			if ctx.Err() != nil {
				cancelled++
			}
			return nil
		})
		if !errors.Is(err, boom) || cancelled != 2 {
			t.Errorf("err = %v, %d later sites saw the cancel; want the error and 2", err, cancelled)
		}
	})
}
