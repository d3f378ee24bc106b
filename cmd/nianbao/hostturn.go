package main

import (
	"context"

	"golang.org/x/sync/errgroup"
)

// runSitesByHost calls fn(ctx, i) for every site i, in catalogue order, at
// most limit at a time, and never two sites at once that share a start
// host (hosts[i] are site i's, crawler.Site.Hosts). Sites on one host share
// its politeness (the crawler spaces all requests to a host, whichever
// site makes them), so running them together would not crawl the host
// faster; it would only stretch every one of their runs over the whole
// host's crawl, past their max_duration, and hold their memory. A site
// waits for the first of its hosts to be free while later sites on other
// hosts go ahead; a site that waits keeps its hosts from later sites, so
// none waits for ever. As errgroup.WithContext, the first error cancels
// the ctx of the others (sites not started yet are still called, with the
// cancelled ctx) and is returned.
func runSitesByHost(ctx context.Context, hosts [][]string, limit int, fn func(ctx context.Context, i int) error) error {
	g, gctx := errgroup.WithContext(ctx)
	done := make(chan int)
	started := make([]bool, len(hosts))
	busy := map[string]bool{} // the hosts of the sites running
	running := 0
	for left := len(hosts); left > 0; left-- {
		claimed := map[string]bool{}
		for h := range busy {
			claimed[h] = true
		}
		for i := range hosts {
			if running >= limit {
				break
			}
			if started[i] {
				continue
			}
			free := true
			for _, h := range hosts[i] {
				free = free && !claimed[h]
				claimed[h] = true // a waiting site keeps its hosts from later ones
			}
			if !free {
				continue
			}
			started[i] = true
			running++
			for _, h := range hosts[i] {
				busy[h] = true
			}
			g.Go(func() error {
				defer func() { done <- i }()
				return fn(gctx, i)
			})
		}
		i := <-done
		running--
		for _, h := range hosts[i] {
			delete(busy, h)
		}
	}
	return g.Wait()
}
