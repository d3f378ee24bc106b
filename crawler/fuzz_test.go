package crawler

import (
	"net/http"
	"net/url"
	"testing"
)

// FuzzDiscovery feeds hostile bytes to every parser of untrusted responses:
// they must not panic.
func FuzzDiscovery(f *testing.F) {
	f.Add([]byte(reportPage("2023年政府信息公开工作年度报告", `<a href="/a.pdf">附件</a>`)))
	f.Add([]byte(listPage("年报", [][2]string{{"a.html", "2023年年报"}}, `<script>createPageHTML('page_div',3,1,'index','html',7);</script>`)))
	f.Add([]byte(`<datastore><recordset><record><![CDATA[<li><a href="x">2023年年报</a></li>]]></record></recordset><totalrecord>9</totalrecord></datastore>`))
	f.Add([]byte(`{"classify":{"post_count":"3"},"articles":[{"title":"%u6E5B","url":"/p.html","display_publish_time":1700000000}]}`))
	f.Add([]byte(`<a href="x title='y>z</a><a href=>`))
	page, _ := url.Parse("http://x.gov.cn/gkmlpt/index")
	f.Fuzz(func(t *testing.T, b []byte) {
		scanHTML(b)
		scanReport(b)
		nextStaticPages([]string{string(b)})
		gkmlptAPI(page, "12", b)
		hanwebRecords(string(b))
		hanwebProxy(page, string(b))
		jsUnescape(string(b))
		detectCharset(b, "text/html")
		blockKind(200, http.Header{}, b)
		decodeWith(b, "gb18030")
	})
}
