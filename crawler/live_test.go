//go:build integration

package crawler

import (
	"context"
	"testing"
	"time"
)

// TestCrawler_Fetch_Live crawls a few pages of a real column. It needs
// internet access to Chinese government sites and runs only with
// `go test -tags integration ./crawler`.
func TestCrawler_Fetch_Live(t *testing.T) {
	opts := DefaultOptions
	opts.UserAgent = "nianbao-integration-test/1.0 (+https://github.com/nianbao)"
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	site := Site{Name: "湛江市司法局", Start: []string{"https://www.zhanjiang.gov.cn/zjsfw/bmdh/sfj/zwgk/xxgknb/"}, MaxPages: 5}
	var sink collect
	st, err := New(opts).Fetch(ctx, site, &sink)
	t.Logf("stats: %+v, err: %v", st, err)
	if st.Lists == 0 {
		t.Fatalf("no list page fetched")
	}
	if st.Reports == 0 {
		t.Errorf("no report found on the first %d pages", site.MaxPages)
	}
}
