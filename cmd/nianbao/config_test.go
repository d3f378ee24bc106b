package main

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"nianbao/crawler"
)

func parseString(t *testing.T, s string) (*Config, error) {
	t.Helper()
	cfg, err := ParseConfig(strings.NewReader(s))
	if err != nil {
		return nil, err
	}
	return cfg, cfg.Validate()
}

func TestParseConfig_Defaults(t *testing.T) {
	cfg, err := parseString(t, `
sites:
  - name: 湛江市司法局
    start: ["https://www.zhanjiang.gov.cn/zjsfw/bmdh/sfj/zwgk/xxgknb/"]
`)
	if err != nil {
		t.Fatal(err)
	}
	def := DefaultConfig()
	if cfg.DB != "data/nianbao.db" || cfg.DB != def.DB {
		t.Errorf("db = %q, want data/nianbao.db", cfg.DB)
	}
	if cfg.UserAgent != "nianbao/1.0 (+https://example.org/contact)" {
		t.Errorf("user_agent = %q", cfg.UserAgent)
	}
	if cfg.Delay.D() != time.Second || cfg.Parallelism != 2 || cfg.ConcurrentSites != 512 || cfg.MaxInFlight != 64 || cfg.MaxConnections != 512 {
		t.Errorf("delay %v parallelism %d concurrent_sites %d max_in_flight %d max_connections %d, want 1s 2 512 64 512",
			cfg.Delay, cfg.Parallelism, cfg.ConcurrentSites, cfg.MaxInFlight, cfg.MaxConnections)
	}
	if cfg.MaxBodySize != 50<<20 || cfg.Retries != 3 || cfg.Timeout.D() != time.Minute {
		t.Errorf("max_body_size %d retries %d timeout %v, want 52428800 3 1m0s", cfg.MaxBodySize, cfg.Retries, cfg.Timeout)
	}
	s := cfg.Sites[0]
	if got := siteDomains(s); len(got) != 1 || got[0] != "www.zhanjiang.gov.cn" {
		t.Errorf("allowed domains = %v, want [www.zhanjiang.gov.cn]", got)
	}
	if cfg.siteDelay(s) != time.Second || cfg.siteParallelism(s) != 2 {
		t.Errorf("site delay %v parallelism %d, want the global 1s and 2", cfg.siteDelay(s), cfg.siteParallelism(s))
	}
}

func TestParseConfig_DurationsAndOverrides(t *testing.T) {
	cfg, err := parseString(t, `
delay: 50ms
timeout: 2m30s
max_body_size: 512KiB
parallelism: 8
schedule: "@every 12h"
sites:
  - name: a
    start: ["http://a.example/"]
    delay: 0s
    parallelism: 3
    max_pages: 10
    allowed_domains: [a.example, b.example]
    report_pattern: '年报\d+'
  - name: b
    start: ["http://b.example/x/", "http://c.example/y/"]
`)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Delay.D() != 50*time.Millisecond || cfg.Timeout.D() != 150*time.Second || cfg.MaxBodySize != 512<<10 {
		t.Errorf("delay %v timeout %v size %d", cfg.Delay, cfg.Timeout, cfg.MaxBodySize)
	}
	a, b := cfg.Sites[0], cfg.Sites[1]
	if cfg.siteDelay(a) != 0 || cfg.siteParallelism(a) != 3 || a.MaxPages == nil || *a.MaxPages != 10 {
		t.Errorf("site a: delay %v parallelism %d max_pages %v, want 0s 3 10", cfg.siteDelay(a), cfg.siteParallelism(a), a.MaxPages)
	}
	if cfg.siteDelay(b) != 50*time.Millisecond || cfg.siteParallelism(b) != 8 {
		t.Errorf("site b: delay %v parallelism %d, want 50ms 8", cfg.siteDelay(b), cfg.siteParallelism(b))
	}
	if got := strings.Join(siteDomains(b), ","); got != "b.example,c.example" {
		t.Errorf("site b domains = %s", got)
	}
}

// oneSite is a config's smallest valid sites: section (3 lines).
const oneSite = "sites:\n  - name: a\n    start: [\"http://a.example/\"]\n"

func TestParseConfig_Errors(t *testing.T) {
	for _, tc := range []struct {
		name, yaml string
		line       int
		key, msg   string
	}{
		{"TypoKey", "sites:\n  - name: a\n    start: [\"http://a.example/\"]\n    list_ulr: x\n", 4, "sites[0].list_ulr", `unknown key "list_ulr"`},
		{"TopTypo", "dealy: 1s\nsites: []\n", 1, "dealy", `did you mean "delay"`},
		{"BadDuration", "delay: 1 sec\n", 1, "delay", `invalid duration "1 sec"`},
		{"BadSiteDuration", "sites:\n  - name: a\n    start: [\"http://a.example/\"]\n    delay: fast\n", 4, "sites[0].delay", "invalid duration"},
		{"BadInt", "parallelism: two\n", 1, "parallelism", "cannot unmarshal"},
		{"StartNotList", "sites:\n  - name: a\n    start: http://a.example/\n", 3, "sites[0].start", "want a list"},
		{"BadRegex", "sites:\n  - name: a\n    start: [\"http://a.example/\"]\n    report_pattern: '年报(('\n", 4, "sites[0].report_pattern", "invalid regular expression"},
		{"RelativeStart", "sites:\n  - name: a\n    start: [\"/zwgk/\"]\n", 3, "sites[0].start[0]", "not an absolute http(s) URL"},
		{"NoName", "sites:\n  - start: [\"http://a.example/\"]\n", 2, "sites[0].name", "needs a name"},
		{"DupName", "sites:\n  - name: a\n    start: [\"http://a.example/\"]\n  - name: a\n    start: [\"http://b.example/\"]\n", 4, "sites[1].name", "also sites[0]"},
		{"StartOffDomain", "sites:\n  - name: a\n    start: [\"http://a.example/\"]\n    allowed_domains: [b.example]\n", 3, "sites[0].start[0]", "not in allowed_domains"},
		{"BadSchedule", "schedule: every night\nsites:\n  - name: a\n    start: [\"http://a.example/\"]\n", 1, "schedule", "want 5 cron fields"},
		{"ZeroParallelism", "parallelism: 0\nsites:\n  - name: a\n    start: [\"http://a.example/\"]\n", 1, "parallelism", "at least 1"},
		{"ZeroInFlight", "max_in_flight: 0\nsites:\n  - name: a\n    start: [\"http://a.example/\"]\n", 1, "max_in_flight", "at least 1"},
		{"ZeroConnections", "max_connections: 0\nsites:\n  - name: a\n    start: [\"http://a.example/\"]\n", 1, "max_connections", "at least 1"},
		{"NoSites", "db: x.db\n", 0, "sites", "no sites"},
		{"BadSize", "max_body_size: lots\n", 1, "max_body_size", "invalid size"},
		// The agencies: section (issue 12).
		{"AgencyTypo", oneSite + "agencies:\n  - name: A局\n    alias: [B局]\n", 6, "agencies[0].alias", `did you mean "aliases"`},
		{"AgencyNoName", oneSite + "agencies:\n  - aliases: [B局]\n", 5, "agencies[0].name", "needs an organ's name"},
		{"AgencyNameTwice", oneSite + "agencies:\n  - name: A局\n  - name: B局\n    aliases: [A局]\n", 7, "agencies[1].aliases[0]", "already a name of agencies[0]"},
		{"AgencyShortFormElsewhere", oneSite + "agencies:\n  - name: 衡阳市人民防空办公室\n  - name: 衡阳市民防局\n    aliases: [衡阳市人防办]\n", 7, "agencies[1].aliases[0]", "already a name of agencies[0]"},
		{"AgencyBadYear", oneSite + "agencies:\n  - name: A局\n    renamed_from:\n      - {name: B局, year: 19}\n", 7, "agencies[0].renamed_from[0].year", "not a statistics year"},
		{"AgencyYearNotNumber", oneSite + "agencies:\n  - name: A局\n    merged_from:\n      - {name: B局, year: soon}\n", 7, "agencies[0].merged_from[0].year", "cannot unmarshal"},
		{"AgencyBadCode", oneSite + "agencies:\n  - name: A局\n    codes: [\"12345\"]\n", 6, "agencies[0].codes[0]", "not an organ code"},
		{"AgencyMergedFromItself", oneSite + "agencies:\n  - name: A局\n    aliases: [甲局]\n    merged_from: [{name: 甲局, year: 2019}]\n", 7, "agencies[0].merged_from", "own organ"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseString(t, tc.yaml)
			var ce *ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("err = %v, want a *ConfigError", err)
			}
			if ce.Line != tc.line || ce.Key != tc.key || !strings.Contains(ce.Err.Error(), tc.msg) {
				t.Errorf("got line %d key %q msg %q; want line %d key %q msg containing %q", ce.Line, ce.Key, ce.Err, tc.line, tc.key, tc.msg)
			}
		})
	}
}

func TestParseConfig_Agencies(t *testing.T) {
	cfg, err := parseString(t, oneSite+`agencies:
  - name: 湛江市司法局
    renamed_from: [{name: 湛江市法制局, year: 2019}]
  - name: 衡阳市人民防空办公室
    aliases: [衡阳市民防局]
    codes: ["00693974-8"]
`)
	if err != nil {
		t.Fatal(err)
	}
	rules, err := cfg.agencyRules()
	if err != nil || rules.Len() != 2 {
		t.Fatalf("rules = %v, %v", rules, err)
	}
	if r := rules.Match("湛江市法制局", ""); r == nil || r.Name != "湛江市司法局" {
		t.Errorf("湛江市法制局 matches %+v, want the 湛江市司法局 rule", r)
	}
	if r := rules.Match("某办", "006939748"); r == nil || r.Name != "衡阳市人民防空办公室" {
		t.Errorf("the organ code matches %+v", r)
	}
	// Without the key, the archive's rules are left alone (nil, not empty).
	cfg, err = parseString(t, oneSite)
	if err != nil {
		t.Fatal(err)
	}
	if rules, err := cfg.agencyRules(); rules != nil || err != nil {
		t.Errorf("no agencies: key gives %v, %v; want nil", rules, err)
	}
	cfg, err = parseString(t, oneSite+"agencies: []\n")
	if err != nil {
		t.Fatal(err)
	}
	if rules, err := cfg.agencyRules(); rules == nil || rules.Len() != 0 || err != nil {
		t.Errorf("agencies: [] gives %v, %v; want no rules (stored as such)", rules, err)
	}
}

func TestReadConfig_ErrorNamesFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(path, []byte("db: x.db\nsites:\n  - name: a\n    strat: [\"http://a.example/\"]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := ReadConfig(path)
	want := path + `:4: sites[0].strat: unknown key "strat" (did you mean "start"?)`
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v\nwant %s", err, want)
	}
}

// TestReadConfig_ShippedConfigs loads every configs/*.yaml so the shipped
// catalogue cannot rot.
func TestReadConfig_ShippedConfigs(t *testing.T) {
	paths, err := filepath.Glob("../../configs/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) < 2 {
		t.Fatalf("found %d shipped configs, want sites.yaml and example.yaml", len(paths))
	}
	for _, p := range paths {
		t.Run(filepath.Base(p), func(t *testing.T) {
			cfg, err := ReadConfig(p)
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range cfg.Sites {
				for _, d := range siteDomains(s) {
					if !strings.HasSuffix(d, ".gov.cn") {
						t.Errorf("site %s: domain %s is not a gov.cn host", s.Name, d)
					}
				}
			}
			if filepath.Base(p) != "sites.yaml" {
				return
			}
			// The catalogue holds the 湛江 columns of spec/sites.md and one
			// site of each CMS family.
			var starts []string
			for _, s := range cfg.Sites {
				starts = append(starts, s.Start...)
			}
			all := strings.Join(starts, "\n")
			for _, want := range []string{
				"/sfj/zwgk/xxgknb/", "/whgdj/zwgk/zfxxgknb/", "/dfz/zwgk/xxgkndbg/", "/gyxxhj/zwgk/xxgknb/",
				"cghzf.zhanjiang.gov.cn/zwgk/xxgk/zfxxgkgzndbg/", "www.zetdz.gov.cn/wz/zwgk/zwgknb/",
				"www.zhanjiang.gov.cn/gkmlpt/", "/col/col", "/xxgk/xxgknb/",
			} {
				if !strings.Contains(all, want) {
					t.Errorf("sites.yaml has no start URL containing %s", want)
				}
			}
			if len(cfg.Sites) < 12 {
				t.Errorf("sites.yaml has %d sites, want at least 12", len(cfg.Sites))
			}
		})
	}
}

func TestCheckSchedule(t *testing.T) {
	for s, ok := range map[string]bool{
		"": true, "0 2 * * *": true, "@daily": true, "@every 12h": true, "CRON_TZ=Asia/Shanghai 30 1 * * 1-5": true,
		"@every 10ms": false, "0 2 * *": false, "CRON_TZ=Mars/Base 0 2 * * *": false, "0 2 * * $": false,
	} {
		if err := checkSchedule(s); (err == nil) != ok {
			t.Errorf("checkSchedule(%q) = %v, want ok=%v", s, err, ok)
		}
	}
}

func TestParseConfig_Browser(t *testing.T) {
	site := "\nsites:\n  - name: 平潭县\n    start: [\"http://www.pingtan.gov.cn/zwgk/\"]\n    render: true\n"
	cfg, err := parseString(t, "browser: \"off\"\nbrowser_tabs: 3\nrender_timeout: 10s"+site)
	if err != nil {
		t.Fatal(err)
	}
	if p, err := cfg.browserPath(); p != "" || err != nil || cfg.BrowserTabs != 3 || cfg.RenderTimeout.D() != 10*time.Second || !cfg.Sites[0].Render {
		t.Errorf("browser %q %v, tabs %d, timeout %v, render %v", p, err, cfg.BrowserTabs, cfg.RenderTimeout, cfg.Sites[0].Render)
	}
	if d := DefaultConfig(); d.Browser != "" || d.BrowserTabs != 2 || d.RenderTimeout.D() != 30*time.Second {
		t.Errorf("defaults: browser %q tabs %d timeout %v", d.Browser, d.BrowserTabs, d.RenderTimeout)
	}
	_, err = parseString(t, "browser: /nonexistent/chromium"+site)
	if err == nil || !strings.Contains(err.Error(), "browser") || !strings.Contains(err.Error(), "not found") {
		t.Errorf("a missing browser: err = %v", err)
	}
	_, err = parseString(t, "browser_tabs: 0"+site)
	if err == nil || !strings.Contains(err.Error(), "browser_tabs") {
		t.Errorf("browser_tabs 0: err = %v", err)
	}
}

// TestParseConfig_Budget: the crawl budget and parse limits have defaults,
// 0 means no limit, and a site's keys override the global ones (issue 10).
func TestParseConfig_Budget(t *testing.T) {
	cfg, err := parseString(t, `
max_pages: 0
stale_pages: 4
parse_timeout: 5s
pdf_memory_limit: 256MiB
sites:
  - name: a
    start: ["http://a.example/"]
  - name: b
    start: ["http://b.example/"]
    max_pages: 500
    max_depth: 0
    max_duration: 30m
`)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := cfg.budget(), (crawler.Budget{MaxPages: -1, MaxDepth: 200, StalePages: 4, MaxDuration: 2 * time.Hour}); got != want {
		t.Errorf("budget = %+v, want %+v", got, want)
	}
	if cfg.ParseTimeout.D() != 5*time.Second || cfg.PDFMemoryLimit != 256<<20 {
		t.Errorf("parse_timeout %v pdf_memory_limit %d", cfg.ParseTimeout, cfg.PDFMemoryLimit)
	}
	var a, b crawler.Site
	siteBudget(&a, cfg.Sites[0])
	siteBudget(&b, cfg.Sites[1])
	if a.MaxPages != 0 || a.MaxDepth != 0 || a.MaxDuration != 0 {
		t.Errorf("site a overrides %+v, want none", a)
	}
	if b.MaxPages != 500 || b.MaxDepth != -1 || b.StalePages != 0 || b.MaxDuration != 30*time.Minute {
		t.Errorf("site b overrides: max_pages %d max_depth %d stale_pages %d max_duration %v", b.MaxPages, b.MaxDepth, b.StalePages, b.MaxDuration)
	}
	def := DefaultConfig()
	if def.MaxPages != 3000 || def.MaxDepth != 200 || def.StalePages != 10 || def.MaxDuration.D() != 2*time.Hour ||
		def.ParseTimeout.D() != 20*time.Second || def.PDFMemoryLimit != 96<<20 {
		t.Errorf("defaults: %d %d %d %v %v %d", def.MaxPages, def.MaxDepth, def.StalePages, def.MaxDuration, def.ParseTimeout, def.PDFMemoryLimit)
	}
	for _, bad := range []string{"max_pages: -1", "max_duration: -1s", "pdf_memory_limit: 1MiB", "parse_timeout: -2s"} {
		if _, err := parseString(t, bad+"\nsites:\n  - name: x\n    start: [\"http://x.example/\"]\n"); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
}
