package main

import (
	"context"
	"errors"
	"runtime"
	"sync/atomic"
	"testing"
	"time"
)

func TestForEachOrdered_OrderAndBound(t *testing.T) {
	for _, workers := range []int{1, 2, 3, 8} {
		const n = 200
		var started, maxAhead atomic.Int64
		var emitted atomic.Int64
		var got []int
		err := forEachOrdered(context.Background(), n, workers, func(i int) int {
			started.Add(1)
			// Items ahead of the one emit waits for.
			if a := int64(i) - emitted.Load(); a > maxAhead.Load() {
				maxAhead.Store(a)
			}
			if i%7 == 0 {
				time.Sleep(time.Millisecond) // finish out of order
			}
			return i * i
		}, func(i, v int) error {
			if v != i*i {
				t.Errorf("emit(%d, %d): result of another item", i, v)
			}
			got = append(got, i)
			emitted.Add(1)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		for i, g := range got {
			if g != i {
				t.Fatalf("workers=%d: emitted %v…, want 0, 1, 2…", workers, got[:i+1])
			}
		}
		if len(got) != n || started.Load() != n {
			t.Errorf("workers=%d: emitted %d, started %d, want %d", workers, len(got), started.Load(), n)
		}
		if limit := int64(2 * max(workers, 1)); maxAhead.Load() >= limit {
			t.Errorf("workers=%d: an item started %d ahead of the emitted ones, want < %d", workers, maxAhead.Load(), limit)
		}
	}
}

func TestForEachOrdered_Stops(t *testing.T) {
	before := runtime.NumGoroutine()
	t.Run("EmitError", func(t *testing.T) {
		var started atomic.Int64
		stop := errors.New("stop")
		err := forEachOrdered(context.Background(), 1000, 4, func(i int) int { started.Add(1); return i },
			func(i, _ int) error {
				if i == 10 {
					return stop
				}
				return nil
			})
		if !errors.Is(err, stop) {
			t.Fatalf("err = %v, want the emit error", err)
		}
		if s := started.Load(); s > 11+8 {
			t.Errorf("%d items started after emit failed at item 10, want at most 19", s)
		}
	})
	t.Run("ContextCanceled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		n := 0
		err := forEachOrdered(ctx, 1000, 3, func(i int) int { return i }, func(i, _ int) error {
			if n++; i == 5 {
				cancel()
			}
			return nil
		})
		if !errors.Is(err, context.Canceled) || n > 6+6 {
			t.Fatalf("err = %v after %d items, want context.Canceled soon after item 5", err, n)
		}
	})
	// No goroutine outlives the calls: the workers have returned (a
	// goroutine past wg.Done may take a moment to exit).
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if after := runtime.NumGoroutine(); after > before {
		t.Errorf("%d goroutines after, %d before", after, before)
	}
}
