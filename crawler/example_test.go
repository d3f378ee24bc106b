package crawler_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"

	"nianbao/crawler"
)

// Fetch one site: a report column with one annual report and its PDF
// attachment. The sink receives the list page, the report page and the
// attachment as they arrive.
func ExampleCrawler_Fetch() {
	mux := http.NewServeMux()
	mux.HandleFunc("/xxgknb/", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `<ul><li><a href="content/post_1.html">某局2024年政府信息公开工作年度报告</a></li>
<li><a href="content/post_2.html">某局2024年政府信息公开工作年度报告解读</a></li></ul>`)
	})
	mux.HandleFunc("/xxgknb/content/post_1.html", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `<html><head><title>某局2024年政府信息公开工作年度报告</title></head>
<body><table><tr><td>规章</td><td>3</td></tr></table><a href="/att/1.pdf">附件：年报.pdf</a></body></html>`)
	})
	mux.HandleFunc("/att/1.pdf", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/pdf")
		fmt.Fprint(w, "%PDF-1.7 …")
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()

	c := crawler.New(crawler.Options{UserAgent: "nianbao-example/1.0 (+mailto:you@example.org)", Parallelism: 1})
	var mu sync.Mutex
	kinds := map[crawler.Kind]int{}
	sink := crawler.SinkFunc(func(ctx context.Context, d crawler.Document) error {
		mu.Lock()
		defer mu.Unlock()
		kinds[d.Kind]++
		return nil
	})
	st, err := c.Fetch(context.Background(), crawler.Site{Name: "某局", Start: []string{srv.URL + "/xxgknb/"}}, sink)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("lists:", kinds[crawler.KindList], "reports:", kinds[crawler.KindReport], "attachments:", kinds[crawler.KindAttachment])
	fmt.Println("requests:", st.Requests, "new:", st.New, "failed:", st.Failed)
	// Output:
	// lists: 1 reports: 1 attachments: 1
	// requests: 3 new: 2 failed: 0
}
