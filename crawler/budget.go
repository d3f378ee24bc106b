package crawler

import (
	"fmt"
	"time"
)

// Budget bounds one Fetch of one site, so that a crawl ends by itself
// whatever the site does: a calendar or search page that answers every
// page number, an index_N column that never runs out, a server that drips.
// A limit that is hit is recorded as a failure of the site with the reason
// "budget: <limit> <value> reached" (a *FetchError wrapping ErrBudget), so
// that it shows in the summary, the run record and the metrics.
//
// Each field's zero value means the DefaultBudget value; a negative value
// means no limit.
type Budget struct {
	// MaxPages caps the URLs a run takes from the queue (list pages,
	// reports and attachments; robots.txt and retries within the run are
	// not counted). When it is reached with URLs still queued, the run
	// ends after the requests in flight, "budget: max_pages N reached" is
	// recorded and the queue is dropped: the next run starts again from
	// the start pages instead of resuming past the limit (URLs that failed
	// stay queued for their retry). Default 3000.
	MaxPages int
	// MaxDepth caps pagination per column: how many pagination links
	// (下一页, index_N, ?page=N, createPageHTML, list API pages) are followed
	// from a column's first page. The pages past it are not queued and
	// "budget: max_depth N reached" is recorded for the column. Default
	// 200.
	MaxDepth int
	// StalePages is the novelty rule: a column stops paginating after this
	// many consecutive list pages that bring no new report, that is no
	// report link whose text (or list API title) was not seen before in the
	// run. A known text under a new URL is not new: calendars and search
	// pages repeat the same reports under ever new URLs. "budget:
	// stale_pages N reached" is recorded for the column. Default 10.
	StalePages int
	// MaxDuration caps the wall-clock time of one run. When it runs out,
	// the requests in flight are cancelled, "budget: max_duration D
	// reached" is recorded and the queue is dropped as for MaxPages.
	// Default 2h.
	MaxDuration time.Duration
}

// DefaultBudget holds the limits used for zero Budget fields.
var DefaultBudget = Budget{
	MaxPages:    3000,
	MaxDepth:    200,
	StalePages:  10,
	MaxDuration: 2 * time.Hour,
}

// resolve returns b with zero fields taken from def and negative ones
// turned into 0 (no limit).
func (b Budget) resolve(def Budget) Budget {
	pick := func(v, d int) int {
		if v == 0 {
			v = d
		}
		return max(v, 0)
	}
	b.MaxPages = pick(b.MaxPages, def.MaxPages)
	b.MaxDepth = pick(b.MaxDepth, def.MaxDepth)
	b.StalePages = pick(b.StalePages, def.StalePages)
	if b.MaxDuration == 0 {
		b.MaxDuration = def.MaxDuration
	}
	b.MaxDuration = max(b.MaxDuration, 0)
	return b
}

// override returns b with the non-zero fields of site's limits.
func (b Budget) override(site Site) Budget {
	if site.MaxPages != 0 {
		b.MaxPages = site.MaxPages
	}
	if site.MaxDepth != 0 {
		b.MaxDepth = site.MaxDepth
	}
	if site.StalePages != 0 {
		b.StalePages = site.StalePages
	}
	if site.MaxDuration != 0 {
		b.MaxDuration = site.MaxDuration
	}
	return b
}

// paginate queues the next pages of the list page it, within the budget.
// fresh counts the URLs on the page not linked from an earlier list page of
// the run, found the items the page yields.
func (r *run) paginate(it Item, pages []Item, fresh int, found []Item) {
	novel := r.novel(found)
	if len(pages) == 0 {
		return
	}
	if fresh == 0 {
		// Nothing new at all: the end of the column (a server that answers
		// every page number with the last page).
		return
	}
	stale := 0
	if novel == 0 {
		stale = it.Stale + 1
	}
	depth := it.Depth + 1
	switch {
	case r.budget.StalePages > 0 && stale >= r.budget.StalePages:
		r.budgetHit(it.URL, fmt.Sprintf("budget: stale_pages %d reached", r.budget.StalePages),
			fmt.Errorf("%w: %d consecutive list pages without a new report", ErrBudget, stale))
		return
	case r.budget.MaxDepth > 0 && depth > r.budget.MaxDepth:
		r.budgetHit(it.URL, fmt.Sprintf("budget: max_depth %d reached", r.budget.MaxDepth),
			fmt.Errorf("%w: page %d of the column not followed", ErrBudget, depth+1))
		return
	}
	for i := range pages {
		pages[i].Depth, pages[i].Stale = depth, stale
	}
	r.add(pages)
}

// novel counts the reports among items whose link text was not seen
// before in the run, and marks them seen.
func (r *run) novel(items []Item) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, it := range items {
		if it.Kind == KindList {
			continue
		}
		key := collapse(it.LinkText)
		if key == "" {
			key = it.URL // no text to compare: the URL is all there is
		}
		if !r.reportSeen[key] {
			r.reportSeen[key] = true
			n++
		}
	}
	return n
}

// exhaust ends the run on a site-wide limit (MaxPages, MaxDuration): it is
// recorded once, and the pending queue is dropped when Fetch returns.
func (r *run) exhaust(reason string, cause error) {
	r.mu.Lock()
	if r.exhausted != "" || r.finished {
		r.mu.Unlock()
		return
	}
	r.exhausted = reason
	r.mu.Unlock()
	r.budgetHit(r.site.Start[0], reason, cause)
}

// budgetHit records a budget limit reached at url as a failure of the site.
func (r *run) budgetHit(url, reason string, cause error) {
	fe := &FetchError{URL: url, Reason: reason, Err: cause}
	r.mu.Lock()
	r.stats.Failed++
	if r.stats.Failures == nil {
		r.stats.Failures = map[string]int{}
	}
	r.stats.Failures[reason]++
	r.errs = append(r.errs, fe)
	r.mu.Unlock()
	r.log.Warn("crawl budget reached", "url", url, "reason", reason, "err", cause)
	r.emit(Event{Type: EventFailure, URL: url, Reason: reason, Err: fe})
}

// dropQueue removes the pending items of the site's queue after a run that
// exhausted its budget, so that the next run does not resume past the
// limit. Items that failed stay queued for their retry.
func (r *run) dropQueue() error {
	q, err := r.state.Queue(r.site.Name)
	if err != nil {
		return err
	}
	var keys []string
	for _, it := range q {
		if it.Failure == "" {
			keys = append(keys, it.Key())
		}
	}
	if len(keys) == 0 {
		return nil
	}
	return r.state.Drop(r.site.Name, keys)
}
