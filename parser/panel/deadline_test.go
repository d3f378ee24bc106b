package panel

import (
	"strings"
	"testing"
	"time"

	"nianbao/parser"
)

func TestClassifyOrgan(t *testing.T) {
	tests := []struct {
		name  string
		scope parser.Scope
		want  OrganType
	}{
		{"湛江市司法局", parser.ScopeSelf, Department},
		{"平潭综合实验区市场监督管理局", parser.ScopeSelf, Department},
		{"湛江市发展和改革委员会", parser.ScopeSelf, Department},
		{"某市城乡建设局", parser.ScopeSelf, Department},
		{"某市乡镇企业局", parser.ScopeSelf, Department},
		{"某县乡村振兴局", parser.ScopeSelf, Department},
		{"淮安市洪泽区人民政府", parser.ScopeSelf, Government},
		{"洪泽区人民政府", parser.ScopeAggregate, Government},
		{"某某县人民政府", parser.ScopeSelf, Government},
		{"广东省人民政府", parser.ScopeSelf, Government},
		{"淮安市人民政府办公室", parser.ScopeAggregate, Government},
		{"淮安市人民政府办公室", parser.ScopeSelf, Department},
		{"某县老街镇人民政府", parser.ScopeSelf, Township},
		{"某区东湖街道办事处", parser.ScopeSelf, Township},
		{"某县城关镇", parser.ScopeSelf, Township},
		{"某县老街镇综合执法办", parser.ScopeSelf, Other},
		{"平潭综合实验区君山片区管理局", parser.ScopeSelf, Other},
		{"某市高新技术产业开发区管委会", parser.ScopeSelf, Other},
		{"某市公安局东区分局", parser.ScopeSelf, Other},
		{"某市公共资源交易中心", parser.ScopeSelf, Other},
		{"", parser.ScopeSelf, Other},
	}
	for _, tt := range tests {
		got := ClassifyOrgan(tt.name, tt.scope)
		if got.Type != tt.want || got.Rule == "" {
			t.Errorf("ClassifyOrgan(%q, %s) = %s (%s), want %s", tt.name, tt.scope, got.Type, got.Rule, tt.want)
		}
	}
}

func TestDeadline(t *testing.T) {
	tests := []struct {
		year     int
		organ    OrganType
		override map[OrganType]string
		want     string
		rule     string
	}{
		{2024, Department, nil, "2025-01-31", "条例 (2019) art. 49"},
		{2024, Government, nil, "2025-03-31", "条例 (2019) art. 49"},
		{2019, Department, nil, "2020-01-31", "条例 (2019) art. 49"},
		{2024, Township, nil, "", "no statutory deadline"},
		{2024, Other, nil, "", "no statutory deadline"},
		{2018, Department, nil, "2019-03-31", "条例 (2007) art. 31"},
		{2018, Township, nil, "2019-03-31", "条例 (2007) art. 31"},
		{2007, Department, nil, "", "before statistics year 2008"},
		{2024, Department, map[OrganType]string{Department: "01-28"}, "2025-01-28", "site configuration"},
		{2024, Township, map[OrganType]string{Township: "02-20"}, "2025-02-20", "site configuration"},
		{2024, Government, map[OrganType]string{Government: "none"}, "", "site configuration"},
		// Overrides apply from 2019; before, the 2007 rule holds for all.
		{2018, Department, map[OrganType]string{Department: "01-28"}, "2019-03-31", "条例 (2007) art. 31"},
	}
	for _, tt := range tests {
		got, rule := Deadline(tt.year, tt.organ, tt.override)
		if got != tt.want || !strings.Contains(rule, tt.rule) {
			t.Errorf("Deadline(%d, %s, %v) = %q (%s), want %q (%s)", tt.year, tt.organ, tt.override, got, rule, tt.want, tt.rule)
		}
	}
}

// at returns a time in China.
func at(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, cst)
	if err != nil {
		panic(err)
	}
	return t
}

func TestTimeliness(t *testing.T) {
	a := New(Options{Deadlines: map[string]map[OrganType]string{"严格市": {Department: "01-28"}}})
	tests := []struct {
		name      string
		e         Entry
		published string
		basis     string
		daysLate  int
		late      bool
		signals   []string // date signals expected
	}{
		{"OnTheDeadline", Entry{Agency: "某市司法局", Year: 2024, Report: &parser.Report{Published: "2025-01-31"}},
			"2025-01-31", "printed", 0, false, nil},
		{"OneDayLate", Entry{Agency: "某市司法局", Year: 2024, Report: &parser.Report{Published: "2025-02-01"}},
			"2025-02-01", "printed", 1, true, nil},
		{"GovernmentInMarch", Entry{Agency: "某市人民政府", Year: 2024, Report: &parser.Report{Published: "2025-03-20"}},
			"2025-03-20", "printed", -11, false, nil},
		{"Rule2007", Entry{Agency: "某市司法局", Year: 2018, Report: &parser.Report{Published: "2019-03-15"}},
			"2019-03-15", "printed", -16, false, nil},
		{"SiteOverride", Entry{Agency: "某市司法局", Site: "严格市", Year: 2024, Report: &parser.Report{Published: "2025-01-30"}},
			"2025-01-30", "printed", 2, true, nil},
		{"TownshipNoDeadline", Entry{Agency: "某县老街镇人民政府", Year: 2024, Report: &parser.Report{Published: "2025-06-30"}},
			"2025-06-30", "printed", 0, false, nil},
		{"MetadataDate", Entry{Agency: "某市司法局", Year: 2024, Report: &parser.Report{}, MetaPublished: "2025-02-03"},
			"2025-02-03", "metadata", 3, true, nil},
		// CASS: a column showed a report as published the day before it
		// was there. Our crawl of 1 February 03:00 did not find it.
		{"DatedBeforeOurCrawl", Entry{Agency: "某市司法局", Year: 2024, Report: &parser.Report{Published: "2025-01-30"},
			PrevCrawl: at("2025-02-01 03:00"), FirstSeen: at("2025-02-02 03:00")},
			"2025-02-01", "crawl", 1, true, []string{SignalDatedBeforeFirstSeen}},
		// The same day as the crawl that missed it: it may have appeared
		// later that day; no contradiction.
		{"DatedOnCrawlDay", Entry{Agency: "某市司法局", Year: 2024, Report: &parser.Report{Published: "2025-01-31"},
			PrevCrawl: at("2025-01-31 03:00"), FirstSeen: at("2025-02-01 03:00")},
			"2025-01-31", "printed", 0, false, nil},
		// Dated after we had it: the date moved; our capture decides.
		{"DatedAfterFirstSeen", Entry{Agency: "某市司法局", Year: 2024, Report: &parser.Report{Published: "2025-02-10"},
			FirstSeen: at("2025-01-25 03:00")},
			"2025-01-25", "first_seen", -6, false, []string{SignalDateMoved}},
		// No date anywhere: our first capture proves it on time…
		{"FirstSeenBeforeDeadline", Entry{Agency: "某市司法局", Year: 2024, Report: &parser.Report{}, FirstSeen: at("2025-01-20 03:00")},
			"2025-01-20", "first_seen", -11, false, nil},
		// … but a first capture after the deadline proves nothing unless
		// the site was watched before.
		{"FirstSeenLateUnwatched", Entry{Agency: "某市司法局", Year: 2024, Report: &parser.Report{}, FirstSeen: at("2025-06-01 03:00")},
			"", "", 0, false, nil},
		{"FirstSeenLateWatched", Entry{Agency: "某市司法局", Year: 2024, Report: &parser.Report{},
			PrevCrawl: at("2025-02-04 03:00"), FirstSeen: at("2025-02-05 03:00")},
			"2025-02-05", "first_seen", 5, true, nil},
		// First seen late at night UTC is the next day in China.
		{"ChinaDay", Entry{Agency: "某市司法局", Year: 2024, Report: &parser.Report{},
			FirstSeen: time.Date(2025, 1, 31, 17, 0, 0, 0, time.UTC)},
			"", "", 0, false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := tt.e
			e.Report.Agency, e.Report.Year = e.Agency, e.Year
			got := a.Timeliness(&e)
			if got.Published != tt.published || got.Basis != tt.basis || got.DaysLate != tt.daysLate || got.Late != tt.late {
				t.Errorf("timeliness = %s by %q, %d days late (%v); want %s by %q, %d (%v); deadline %s (%s)",
					got.Published, got.Basis, got.DaysLate, got.Late, tt.published, tt.basis, tt.daysLate, tt.late, got.Deadline, got.DeadlineRule)
			}
			var ids []string
			for _, s := range dateSignals(&e, got) {
				ids = append(ids, s.ID)
			}
			if strings.Join(ids, ",") != strings.Join(tt.signals, ",") {
				t.Errorf("date signals %v, want %v", ids, tt.signals)
			}
			res := a.Analyze([]*Entry{&e}, nil)
			if _, has := signal(res[0], SignalLate); has != tt.late {
				t.Errorf("late signal %v, want %v: %v", has, tt.late, res[0].Signals)
			}
		})
	}
}

// TestTimeliness_LateDetail shows the evidence of a late report in words
// and numbers.
func TestTimeliness_LateDetail(t *testing.T) {
	e := &Entry{Agency: "某市司法局", Year: 2024, Report: &parser.Report{Published: "2025-01-30"},
		PrevCrawl: at("2025-02-01 03:00"), FirstSeen: at("2025-02-02 03:10")}
	res := New(Options{}).Analyze([]*Entry{e}, nil)[0]
	late, ok := signal(res, SignalLate)
	want := "published 2025-02-01, 1 day after the deadline 2025-01-31 (条例 (2019) art. 49: 县级以上人民政府的部门 by 31 January of the following year); " +
		"the page is dated 2025-01-30 but was not on the site at our crawl of 2025-02-01 03:00 (a lower bound); first seen 2025-02-02 03:10"
	if !ok || late.Detail != want {
		t.Errorf("late = %q\nwant %q", late.Detail, want)
	}
	d, ok := signal(res, SignalDatedBeforeFirstSeen)
	if want := "dated 2025-01-30, but our crawl of the site on 2025-02-01 03:00 CST did not find it; first captured 2025-02-02 03:10 CST"; !ok || d.Detail != want {
		t.Errorf("dated_before_first_seen = %q\nwant %q", d.Detail, want)
	}
}

// TestDateMoved_Versions: a date that differs between stored versions.
func TestDateMoved_Versions(t *testing.T) {
	v1 := &parser.Report{Agency: "某市司法局", Year: 2024, Published: "2025-01-20"}
	v2 := &parser.Report{Agency: "某市司法局", Year: 2024, Published: "2025-02-15"}
	e := &Entry{Agency: "某市司法局", Year: 2024, Report: v2, FirstSeen: at("2025-01-20 09:00"),
		Versions: []Version{{N: 1, Report: v1, StoredAt: at("2025-01-20 09:00")}, {N: 2, Report: v2, StoredAt: at("2025-02-15 09:00")}}}
	s, ok := signal(New(Options{}).Analyze([]*Entry{e}, nil)[0], SignalDateMoved)
	want := "version 1 printed 2025-01-20, version 2 (stored 2025-02-15) prints 2025-02-15; the page is dated 2025-02-15, later than our first capture of it on 2025-01-20 09:00 CST"
	if !ok || s.Detail != want {
		t.Errorf("date_moved = %q\nwant %q", s.Detail, want)
	}
	// Versions loaded without their reports, with the dates they printed.
	e.Versions[0].Report, e.Versions[0].Published = nil, "2025-01-20"
	e.FirstSeen = time.Time{}
	s, ok = signal(New(Options{}).Analyze([]*Entry{e}, nil)[0], SignalDateMoved)
	if want := "version 1 printed 2025-01-20, version 2 (stored 2025-02-15) prints 2025-02-15"; !ok || s.Detail != want {
		t.Errorf("date_moved = %q\nwant %q", s.Detail, want)
	}
}

func TestOptions_Validate(t *testing.T) {
	good := Options{Deadlines: map[string]map[OrganType]string{"a": {Department: "01-28", Township: "none"}}}
	if err := good.Validate(); err != nil {
		t.Errorf("valid options: %v", err)
	}
	bad := Options{Deadlines: map[string]map[OrganType]string{"某县": {Department: "1-28", "bureau": "01-31"}}, CopyThreshold: 1.5}
	err := bad.Validate()
	if err == nil {
		t.Fatal("invalid options accepted")
	}
	for _, s := range []string{`site "某县": department: deadline "1-28": want MM-DD or none`, `unknown organ type "bureau"`, "copy threshold 1.5"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error %q does not say %q", err, s)
		}
	}
}

// TestTimeliness_Fixtures: real reports against their deadlines.
func TestTimeliness_Fixtures(t *testing.T) {
	tests := []struct {
		file     string
		override map[OrganType]string
		organ    OrganType
		deadline string
		daysLate int
		late     bool
	}{
		// A department, published 27 January 2025: four days early.
		{"pingtan-shichangjianguanju-2024.html", nil, Department, "2025-01-31", -4, false},
		// The same under a city's stricter rule (20 January): a week late.
		{"pingtan-shichangjianguanju-2024.html", map[OrganType]string{Department: "01-20"}, Department, "2025-01-20", 7, true},
		{"pingtan-xingzhengshenpiju-2023.html", nil, Department, "2024-01-31", -1, false},
		// A 片区管理局 (zone authority): no national deadline.
		{"pingtan-junshanpianqu-2023.html", nil, Other, "", 0, false},
		// 2018: every organ by 31 March (条例 2007 art. 31).
		{"pingtan-gonganju-2018.html", nil, Department, "2019-03-31", -74, false},
	}
	for _, tt := range tests {
		e := entry(parseFixture(t, tt.file), "平潭")
		a := New(Options{Deadlines: map[string]map[OrganType]string{"平潭": tt.override}})
		res := a.Analyze([]*Entry{e}, nil)[0]
		tm := res.Timeliness
		if res.Organ.Type != tt.organ || tm.Deadline != tt.deadline || tm.DaysLate != tt.daysLate || tm.Late != tt.late || res.Has(SignalLate) != tt.late {
			t.Errorf("%s: %s (%s), deadline %q, %d days late (%v); want %s, %q, %d (%v)",
				tt.file, res.Organ.Type, res.Organ.Rule, tm.Deadline, tm.DaysLate, tm.Late, tt.organ, tt.deadline, tt.daysLate, tt.late)
		}
	}
}
