package main

import (
	"context"

	"golang.org/x/sync/errgroup"
)

// runSitesByHost calls fn(ctx, i) for every site i, in catalogue order, at
// most limit at a time, and at most perHost[i] sites at once on any of
// site i's start hosts (hosts[i], crawler.Site.Hosts): its parallelism.
// Sites on one host share its politeness (the crawler spaces all requests
// to a host, whichever site makes them), so more of them at once would not
// crawl the host faster; it would only stretch each of their runs over the
// host's whole crawl, past their max_duration, and hold their memory. As
// many as the host's parallelism keep its requests going while one site
// waits on a slow URL. A site waits while one of its hosts is full, and
// later sites on its hosts wait behind it, so none waits for ever. As
// errgroup.WithContext, the first error cancels the ctx of the others
// (sites not started yet are still called, with the cancelled ctx) and is
// returned.
func runSitesByHost(ctx context.Context, hosts [][]string, perHost []int, limit int, fn func(ctx context.Context, i int) error) error {
	g, gctx := errgroup.WithContext(ctx)
	done := make(chan int)
	started := make([]bool, len(hosts))
	busy := map[string]int{} // sites running per host
	running := 0
	for left := len(hosts); left > 0; left-- {
		blocked := map[string]bool{} // hosts a waiting site is first in line for
		for i := range hosts {
			if running >= limit {
				break
			}
			if started[i] {
				continue
			}
			free := true
			for _, h := range hosts[i] {
				free = free && !blocked[h] && busy[h] < max(perHost[i], 1)
			}
			if !free {
				for _, h := range hosts[i] {
					blocked[h] = true
				}
				continue
			}
			started[i] = true
			running++
			for _, h := range hosts[i] {
				busy[h]++
			}
			g.Go(func() error {
				defer func() { done <- i }()
				return fn(gctx, i)
			})
		}
		i := <-done
		running--
		for _, h := range hosts[i] {
			busy[h]--
		}
	}
	return g.Wait()
}
