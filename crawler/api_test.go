package crawler

import (
	"fmt"
	"net/http"
	"sort"
	"testing"
)

func TestAPILinks(t *testing.T) {
	for _, tc := range []struct {
		name, ctype, body string
		want              []string // "href|text|date"
		records, total    int
		pages             int
	}{
		{"TRSSearch", "application/json", `{"recordCount":"21","pageCount":3,"datas":[
{"doctitle":"平潭县2023年政府信息公开工作年度报告","docpuburl":"/xxgk/202401/t20240120_1.html","docreltime":"2024-01-20 09:00:00","picurl":"/p.jpg"},
{"doctitle":"平潭县2022年政府信息公开工作年度报告","docpuburl":"../2023/t20230120_2.html","docreltime":"2023-01-20"}]}`,
			[]string{"/xxgk/202401/t20240120_1.html|平潭县2023年政府信息公开工作年度报告|2024-01-20", "../2023/t20230120_2.html|平潭县2022年政府信息公开工作年度报告|2023-01-20"}, 2, 21, 3},
		{"NestedAttachments", "application/json", `{"data":{"total":40,"rows":[{"title":"<em>平潭县</em>2021年年报","url":"/a.html","publishTime":1611100800000,
"files":[{"name":"附件1.pdf","fileUrl":"/f/1.pdf"},{"name":"附件2.docx","fileUrl":"/f/2.docx"}]}]}}`,
			[]string{"/a.html|平潭县2021年年报|2021-01-20", "/f/1.pdf|附件1.pdf|", "/f/2.docx|附件2.docx|"}, 1, 40, 0},
		{"JSONP", "application/javascript", `jQuery1124({"list":[{"title":"2020年报","link":"http://www.pingtan.gov.cn/x.shtml"}]});`,
			[]string{"http://www.pingtan.gov.cn/x.shtml|2020年报|"}, 1, 0, 0},
		{"XMLItems", "text/xml", `<?xml version="1.0" encoding="UTF-8"?><result><total>7</total><list>
<item><title><![CDATA[平潭县2019年政府信息公开工作年度报告]]></title><url>/b/2019.html</url><date>2020-01-10</date></item>
<item><title>平潭县2018年政府信息公开工作年度报告</title><url>/b/2018.html</url></item></list></result>`,
			[]string{"/b/2019.html|平潭县2019年政府信息公开工作年度报告|2020-01-10", "/b/2018.html|平潭县2018年政府信息公开工作年度报告|"}, 2, 7, 0},
		{"XMLHTMLRecords", "text/xml", `<datastore><recordset><record><![CDATA[<li><a href="/art/1.html" title="2023年年报">2023年年报</a></li>]]></record>
<record><![CDATA[<li><a href="/art/2.html">2022年年报</a></li>]]></record></recordset></datastore>`,
			[]string{"/art/1.html|2023年年报|", "/art/2.html|2022年年报|"}, 2, 0, 0},
		{"NotAList", "application/json", `{"visits":1234,"weather":{"city":"平潭","temp":"20"}}`, nil, 0, 0, 0},
		{"Broken", "application/json", `{"list":[{"title":"x","url":"/x.html"`, nil, 0, 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := apiLinks(tc.ctype, []byte(tc.body))
			var got []string
			for _, l := range d.links {
				got = append(got, l.href+"|"+l.label()+"|"+l.date)
			}
			sort.Strings(got)
			want := append([]string(nil), tc.want...)
			sort.Strings(want)
			if fmt.Sprint(got) != fmt.Sprint(want) || d.records != tc.records || d.total != tc.total || d.pages != tc.pages {
				t.Errorf("links %q records %d total %d pages %d\nwant %q records %d total %d pages %d", got, d.records, d.total, d.pages, want, tc.records, tc.total, tc.pages)
			}
		})
	}
}

func TestNextAPIPage(t *testing.T) {
	for _, tc := range []struct {
		name     string
		it       Item
		wantURL  string
		wantForm string
		cur      int
		ok       bool
	}{
		{"Query", Item{URL: "http://h/trs/search?channelid=5&page=1&prepage=10"}, "http://h/trs/search?channelid=5&page=2&prepage=10", "", 1, true},
		{"QueryZeroBased", Item{URL: "http://h/api?pageIndex=0&size=20"}, "http://h/api?pageIndex=1&size=20", "", 0, true},
		{"Form", Item{URL: "http://h/gk/list.do", Method: "POST", Form: "lmid=88&pageIndex=1&pageSize=4"}, "http://h/gk/list.do", "lmid=88&pageIndex=2&pageSize=4", 1, true},
		{"JSON", Item{URL: "http://h/api/list", Method: "POST", Form: `{"channelId":"12","pageNo":3,"pageSize":10}`}, "http://h/api/list", `{"channelId":"12","pageNo":4,"pageSize":10}`, 3, true},
		{"NoPage", Item{URL: "http://h/api/list?channel=12"}, "", "", 0, false},
		{"PageSizeOnly", Item{URL: "http://h/api/list?pageSize=12"}, "", "", 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			next, cur, key, ok := nextAPIPage(tc.it)
			if ok != tc.ok || (ok && (next.URL != tc.wantURL || next.Form != tc.wantForm || cur != tc.cur || key == "")) {
				t.Errorf("nextAPIPage = %q %q %d %v (key %q), want %q %q %d %v", next.URL, next.Form, cur, ok, key, tc.wantURL, tc.wantForm, tc.cur, tc.ok)
			}
			if ok {
				// The key is the same for every page of the list.
				_, _, key2, _ := nextAPIPage(next)
				if key2 != key {
					t.Errorf("key of the next page %q != %q", key2, key)
				}
			}
		})
	}
}

func TestCrawler_Fetch_PlainListAPI(t *testing.T) {
	// A JSON list API given as a start URL is read without a browser, and
	// paged by its page parameter until a page brings nothing new.
	p := newPortal(t)
	var hits pageHits
	p.mux.HandleFunc("/api/nb", func(w http.ResponseWriter, r *http.Request) {
		n := 0
		fmt.Sscan(r.URL.Query().Get("page"), &n)
		hits.add(r.URL.Query().Get("page"))
		if n > 2 {
			n = 2 // the last page again, as many servers do
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"rows":[{"title":"平潭县%d年政府信息公开工作年度报告","url":"/nb/%d.html"}]}`, 2020+n, 2020+n)
	})
	for _, y := range []int{2021, 2022} {
		p.report(fmt.Sprintf("/nb/%d.html", y), "年报")
	}
	st := mustFetch(t, New(testOptions(nil)), Site{Name: "x", Start: []string{p.url("/api/nb?page=1")}}, &collect{})
	if st.Reports != 2 {
		t.Errorf("reports = %d, want 2", st.Reports)
	}
	if got := fmt.Sprint(hits.get()); got != "map[1:1 2:1 3:1]" {
		t.Errorf("pages requested %s, want 1, 2 and 3 (which repeats 2) once", got)
	}
}
