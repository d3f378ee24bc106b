package main

import (
	"context"
	"runtime"
	"sync"

	"nianbao/parser"
)

// forEachOrdered runs work(i) for every i in [0, n) on up to workers
// goroutines and hands each result to emit(i, result) on the calling
// goroutine, in index order, as soon as it and all before it are done.
// workers < 1 means GOMAXPROCS; with one worker (or one item) everything
// runs on the calling goroutine, one item after another.
//
// Memory is bounded: at most 2×workers results are computed ahead of the
// one emit waits for. work must be safe for concurrent use; emit is never
// called concurrently, so it may write output and stores without locking.
// The first error of emit or ctx stops the loop: no new work starts, the
// work in flight finishes (it is not interrupted) and is discarded, and no
// goroutine outlives the call.
func forEachOrdered[T any](ctx context.Context, n, workers int, work func(i int) T, emit func(i int, v T) error) error {
	if workers < 1 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = min(workers, n)
	if workers <= 1 {
		for i := range n {
			if err := ctx.Err(); err != nil {
				return err
			}
			if err := emit(i, work(i)); err != nil {
				return err
			}
		}
		return nil
	}

	type slot struct {
		v    T
		done chan struct{} // closed when v is set
	}
	window := 2 * workers
	ring := make([]*slot, window) // item i lives in ring[i%window] until emitted
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				s := ring[i%window] // set before i was sent: the send orders it
				s.v = work(i)
				close(s.done)
			}
		}()
	}
	defer func() {
		close(jobs)
		wg.Wait()
	}()

	next := 0 // the next item to hand out
	for i := range n {
		// Keep the workers fed up to window items ahead of i. The slot of
		// item next was last used by item next-window < i, already emitted.
		for next < n && next < i+window {
			ring[next%window] = &slot{done: make(chan struct{})}
			select {
			case jobs <- next:
			case <-ctx.Done():
				return ctx.Err()
			}
			next++
		}
		s := ring[i%window]
		select {
		case <-s.done:
		case <-ctx.Done():
			return ctx.Err()
		}
		if err := ctx.Err(); err != nil {
			return err // a result and the cancel were both ready
		}
		if err := emit(i, s.v); err != nil {
			return err
		}
		s.v = *new(T) // let the result go before the slot is reused
	}
	return nil
}

// parseGate runs parser.Parse calls on many goroutines. HTML, text and DOCX
// parse fully in parallel; PDFs go through the gate one at a time, because
// a Parser has one PDF engine that reads one document at a time anyway,
// and a PDF that crashes the engine makes the Parser drop it: a second
// PDF already holding that engine would then fail with "pdf engine closed"
// instead of getting a fresh one. One PDF at a time keeps every PDF's
// result what a sequential run gives.
type parseGate struct {
	p  *parser.Parser
	mu sync.Mutex // held while a PDF is parsed
}

// Parse is p.Parse, serialised for PDFs.
func (g *parseGate) Parse(body []byte, src parser.Source) (*parser.Report, error) {
	if parser.Kind(body) == "pdf" {
		g.mu.Lock()
		defer g.mu.Unlock()
	}
	return g.p.Parse(body, src)
}
