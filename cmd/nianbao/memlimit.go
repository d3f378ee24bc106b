package main

import "runtime/debug"

// crawlMemoryLimit is the soft limit of the Go heap during 'nianbao crawl'
// (runtime/debug.SetMemoryLimit), unless GOMEMLIMIT is set. A crawl's live
// heap is small, but the garbage of a large document (its body read,
// decoded, compressed and written) would otherwise pile up to twice the
// live heap before the collector runs. With the PDF engine's ceiling
// (pdf_memory_limit, 96 MiB) and the program itself, it keeps a crawl under
// 300 MB whatever the documents (README, "Measured performance").
const crawlMemoryLimit = 128 << 20

// setCrawlMemoryLimit applies crawlMemoryLimit unless the environment sets
// GOMEMLIMIT, and returns a function that restores the previous limit.
func setCrawlMemoryLimit(getenv func(string) string) (restore func()) {
	if getenv("GOMEMLIMIT") != "" {
		return func() {}
	}
	prev := debug.SetMemoryLimit(crawlMemoryLimit)
	return func() { debug.SetMemoryLimit(prev) }
}
