package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"nianbao/crawler"
	"nianbao/parser"
	"nianbao/parser/agency"
)

// Config is the nianbao configuration file (YAML). A user lists sites by
// name and start URL; every other key has a default (see DefaultConfig).
type Config struct {
	// DB is the path of the archive (a bbolt file).
	DB string `yaml:"db"`
	// UserAgent is sent with every request; it should name a contact.
	UserAgent string `yaml:"user_agent"`
	// Delay is the least time between two requests to one host, over all
	// sites, jittered up to half as much again.
	Delay Duration `yaml:"delay"`
	// Parallelism is the number of requests in flight per host.
	Parallelism int `yaml:"parallelism"`
	// ConcurrentSites is how many sites are crawled at the same time; no
	// more at once on a start host than its parallelism.
	ConcurrentSites int `yaml:"concurrent_sites"`
	// MaxInFlight bounds the requests in flight over all hosts.
	MaxInFlight int `yaml:"max_in_flight"`
	// MaxConnections bounds the connections open over all hosts.
	MaxConnections int `yaml:"max_connections"`
	// MaxBodySize caps every response body; a longer body is a failure
	// ("truncated"), never stored as complete. Bytes, or "50MB", "512KiB".
	MaxBodySize ByteSize `yaml:"max_body_size"`
	// Retries is how often a URL is retried after a timeout, 429 or 5xx.
	Retries int `yaml:"retries"`
	// Timeout bounds one request, body included.
	Timeout Duration `yaml:"timeout"`
	// IgnoreRobots disables robots.txt. Leave it false on real sites.
	IgnoreRobots bool `yaml:"ignore_robots"`
	// MaxPages, MaxDepth, StalePages and MaxDuration are every site's crawl
	// budget (crawler.Budget): URLs per run, pagination links followed per
	// column, consecutive list pages without a new report before a column
	// stops, and wall-clock time per run. 0 means no limit.
	MaxPages    int      `yaml:"max_pages"`
	MaxDepth    int      `yaml:"max_depth"`
	StalePages  int      `yaml:"stale_pages"`
	MaxDuration Duration `yaml:"max_duration"`
	// ParseTimeout bounds the reading of one document (parser
	// Options.Timeout); 0 means no limit.
	ParseTimeout Duration `yaml:"parse_timeout"`
	// PDFMemoryLimit caps the PDF engine's memory (parser
	// Options.PDFMemoryLimit).
	PDFMemoryLimit ByteSize `yaml:"pdf_memory_limit"`
	// Schedule is the cron expression 'nianbao serve' runs the crawl on
	// ("0 2 * * *", "@daily", "@every 12h"); empty means daily.
	Schedule string `yaml:"schedule"`
	// Browser is the Chromium that renders the pages needing JavaScript
	// (challenges, script-built lists, sites with render): empty looks for
	// chromium, chromium-browser or google-chrome on PATH; "off" renders
	// nothing; otherwise a path or command name.
	Browser string `yaml:"browser"`
	// BrowserTabs is how many pages are rendered at once.
	BrowserTabs int `yaml:"browser_tabs"`
	// RenderTimeout bounds the rendering of one page.
	RenderTimeout Duration `yaml:"render_timeout"`
	// Sites is the site catalogue.
	Sites []SiteConfig `yaml:"sites"`
	// Agencies are statements about organs for the agency register:
	// aliases, renames with the year they took effect, mergers and splits
	// (see AgencyConfig). A crawl, serve or reparse with this config
	// stores them in the archive; a config without the key leaves the
	// archive's rules as they are.
	Agencies []AgencyConfig `yaml:"agencies"`

	// file is where the config was read from ("" for a reader).
	file string
	// lines maps a key path ("sites[2].delay") to its line in file.
	lines map[string]int
}

// SiteConfig is one site of the catalogue. Only Name and Start are
// required; a zero value of any other field means "use the global setting"
// or the documented default.
type SiteConfig struct {
	// Name is the organ's name (机构名称); it is the site's identity in the
	// store and in --site.
	Name string `yaml:"name"`
	// Start lists the URLs the crawl starts from: the report column, a
	// gkmlpt index, a Hanweb col page.
	Start []string `yaml:"start"`
	// AllowedDomains are the hosts links may be followed to; default: the
	// hosts of Start.
	AllowedDomains []string `yaml:"allowed_domains"`
	// Delay overrides the global delay for this site.
	Delay *Duration `yaml:"delay"`
	// Parallelism overrides the global per-host parallelism.
	Parallelism int `yaml:"parallelism"`
	// MaxPages, MaxDepth, StalePages and MaxDuration override the global
	// crawl budget for this site: unset means the global value, 0 no
	// limit.
	MaxPages    *int      `yaml:"max_pages"`
	MaxDepth    *int      `yaml:"max_depth"`
	StalePages  *int      `yaml:"stale_pages"`
	MaxDuration *Duration `yaml:"max_duration"`
	// ReportPattern, when set, is a regular expression a report link's URL
	// or text must match, replacing the title heuristics.
	ReportPattern string `yaml:"report_pattern"`
	// ListPattern, when set, is a regular expression a list page's URL must
	// match to be followed.
	ListPattern string `yaml:"list_pattern"`
	// Schedule overrides the global schedule for this site.
	Schedule string `yaml:"schedule"`
	// Render renders every HTML page of the site in the browser.
	Render bool `yaml:"render"`
}

// AgencyConfig is one entry of the agencies: section: an organ as it is
// called now, and what the register cannot know by itself about it.
type AgencyConfig struct {
	// Name is the organ's current name; the register calls it so.
	Name string `yaml:"name"`
	// Aliases are other names of the same organ (a short form its pages
	// print, a second name it bears).
	Aliases []string `yaml:"aliases"`
	// Codes are its organ codes (9-character organisation code or
	// 18-character credit code); a report carrying one is the organ's.
	Codes []string `yaml:"codes"`
	// RenamedFrom are its former names, each with the first statistics
	// year of the new name: one organ, one agency_id across the rename.
	RenamedFrom []AgencyChange `yaml:"renamed_from"`
	// MergedFrom are organs merged into it from the year given; they stay
	// organs of their own for their earlier years, linked to it.
	MergedFrom []AgencyChange `yaml:"merged_from"`
	// SplitFrom is the organ it was split from, from the year given.
	SplitFrom []AgencyChange `yaml:"split_from"`
}

// AgencyChange names another organ and the first statistics year of a
// change.
type AgencyChange struct {
	Name string `yaml:"name"`
	Year int    `yaml:"year"`
}

// agencyRules returns the agencies: section as checked rules, or nil when
// the config has no agencies: key.
func (c *Config) agencyRules() (*agency.Rules, error) {
	if _, ok := c.lines["agencies"]; !ok && len(c.Agencies) == 0 {
		return nil, nil
	}
	rules := make([]agency.Rule, len(c.Agencies))
	changes := func(cs []AgencyChange) []agency.Change {
		var out []agency.Change
		for _, x := range cs {
			out = append(out, agency.Change{Name: strings.TrimSpace(x.Name), Year: x.Year})
		}
		return out
	}
	for i, a := range c.Agencies {
		rules[i] = agency.Rule{Name: strings.TrimSpace(a.Name), Codes: a.Codes, RenamedFrom: changes(a.RenamedFrom),
			MergedFrom: changes(a.MergedFrom), SplitFrom: changes(a.SplitFrom)}
		for _, al := range a.Aliases {
			rules[i].Aliases = append(rules[i].Aliases, strings.TrimSpace(al))
		}
	}
	rs, err := agency.NewRules(rules)
	var re *agency.RuleError
	if errors.As(err, &re) {
		key := fmt.Sprintf("agencies[%d].%s", re.Entry, re.Field)
		line := c.lines[key]
		if line == 0 {
			line = c.lines[fmt.Sprintf("agencies[%d]", re.Entry)]
		}
		return nil, &ConfigError{File: c.file, Line: line, Key: key, Err: re.Err}
	}
	return rs, err
}

// Duration is a time.Duration written Go-style in YAML: "1s", "50ms", "0s".
type Duration time.Duration

// D returns d as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// String renders d Go-style.
func (d Duration) String() string { return time.Duration(d).String() }

// UnmarshalYAML reads a Go duration string.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := parseDuration(n.Value)
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// MarshalYAML writes d Go-style.
func (d Duration) MarshalYAML() (any, error) { return d.String(), nil }

func parseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "0" {
		return 0, nil
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("invalid duration %q (write e.g. 1s, 500ms, 0s)", s)
	}
	return v, nil
}

// ByteSize is a size in bytes, written as a number or with a unit: "50MB",
// "512KiB", "1GB" (decimal and binary units both mean powers of 1024).
type ByteSize int64

// UnmarshalYAML reads a byte count with an optional unit.
func (b *ByteSize) UnmarshalYAML(n *yaml.Node) error {
	v, err := parseByteSize(n.Value)
	if err != nil {
		return err
	}
	*b = ByteSize(v)
	return nil
}

var byteSizeRE = regexp.MustCompile(`^(\d+)\s*([KMG]?)(I?B)?$`)

func parseByteSize(s string) (int64, error) {
	m := byteSizeRE.FindStringSubmatch(strings.ToUpper(strings.TrimSpace(s)))
	if m == nil {
		return 0, fmt.Errorf("invalid size %q (write e.g. 52428800, 50MB, 512KiB)", s)
	}
	v, err := strconv.ParseInt(m[1], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("invalid size %q: %w", s, err)
	}
	shift := map[string]uint{"": 0, "K": 10, "M": 20, "G": 30}[m[2]]
	if v > (1<<62)>>shift {
		return 0, fmt.Errorf("invalid size %q: too large", s)
	}
	return v << shift, nil
}

// DefaultConfig returns the settings used for every key a config omits.
func DefaultConfig() *Config {
	return &Config{
		DB:              "data/nianbao.db",
		UserAgent:       "nianbao/1.0 (+https://example.org/contact)",
		Delay:           Duration(time.Second),
		Parallelism:     2,
		ConcurrentSites: 512,
		MaxInFlight:     crawler.DefaultOptions.MaxInFlight,
		MaxConnections:  crawler.DefaultOptions.MaxConnections,
		MaxBodySize:     50 << 20,
		Retries:         3,
		Timeout:         Duration(60 * time.Second),
		BrowserTabs:     2,
		RenderTimeout:   Duration(30 * time.Second),
		MaxPages:        crawler.DefaultBudget.MaxPages,
		MaxDepth:        crawler.DefaultBudget.MaxDepth,
		StalePages:      crawler.DefaultBudget.StalePages,
		MaxDuration:     Duration(crawler.DefaultBudget.MaxDuration),
		ParseTimeout:    Duration(parser.DefaultTimeout),
		PDFMemoryLimit:  parser.DefaultPDFMemoryLimit,
	}
}

// ConfigError is a problem in a config file, with the place it was found.
type ConfigError struct {
	File string // "" when read from a reader without a name
	Line int    // 0 when unknown
	Key  string // key path, e.g. "sites[2].delay"; "" for the whole file
	Err  error
}

func (e *ConfigError) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
	} else {
		b.WriteString("config")
	}
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	b.WriteString(": ")
	if e.Key != "" {
		b.WriteString(e.Key)
		b.WriteString(": ")
	}
	b.WriteString(e.Err.Error())
	return b.String()
}

func (e *ConfigError) Unwrap() error { return e.Err }

// ReadConfig reads, parses and validates the config file at path.
func ReadConfig(path string) (*Config, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	defer f.Close()
	cfg, err := parseConfig(f, path)
	if err != nil {
		return nil, err
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return cfg, nil
}

// ParseConfig parses a YAML config on top of DefaultConfig. It rejects
// unknown keys and malformed values with their line; it does not run
// Validate.
func ParseConfig(r io.Reader) (*Config, error) { return parseConfig(r, "") }

func parseConfig(r io.Reader, file string) (*Config, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, &ConfigError{File: file, Err: err}
	}
	cfg := DefaultConfig()
	cfg.file = file
	cfg.lines = map[string]int{}

	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, &ConfigError{File: file, Line: yamlErrorLine(err), Err: cleanYAMLError(err)}
	}
	if len(root.Content) == 0 {
		return nil, &ConfigError{File: file, Err: errors.New("empty config")}
	}
	if err := walkConfig(root.Content[0], reflect.TypeOf(Config{}), "", cfg.lines, file); err != nil {
		return nil, err
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(cfg); err != nil {
		line := yamlErrorLine(err)
		return nil, &ConfigError{File: file, Line: line, Key: cfg.keyAt(line), Err: cleanYAMLError(err)}
	}
	return cfg, nil
}

var (
	durationType = reflect.TypeOf(Duration(0))
	byteSizeType = reflect.TypeOf(ByteSize(0))
)

// walkConfig checks the YAML tree against the Go type t before decoding:
// unknown keys, wrong shapes and malformed durations and sizes are reported
// with their line and key path. It records every key's line in lines.
func walkConfig(n *yaml.Node, t reflect.Type, path string, lines map[string]int, file string) error {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	fail := func(n *yaml.Node, format string, args ...any) error {
		return &ConfigError{File: file, Line: n.Line, Key: path, Err: fmt.Errorf(format, args...)}
	}
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return nil
	}
	switch {
	case t == durationType:
		if n.Kind != yaml.ScalarNode {
			return fail(n, "want a duration such as 1s")
		}
		if _, err := parseDuration(n.Value); err != nil {
			return fail(n, "%w", err)
		}
		return nil
	case t == byteSizeType:
		if n.Kind != yaml.ScalarNode {
			return fail(n, "want a size such as 50MB")
		}
		if _, err := parseByteSize(n.Value); err != nil {
			return fail(n, "%w", err)
		}
		return nil
	}
	switch t.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			return fail(n, "want a mapping of keys, got %s", nodeKind(n))
		}
		fields := map[string]reflect.Type{}
		var names []string
		for i := range t.NumField() {
			f := t.Field(i)
			tag, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
			if tag == "" || tag == "-" || !f.IsExported() {
				continue
			}
			fields[tag] = f.Type
			names = append(names, tag)
		}
		seen := map[string]bool{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			sub := k.Value
			if path != "" {
				sub = path + "." + k.Value
			}
			ft, ok := fields[k.Value]
			if !ok {
				msg := fmt.Sprintf("unknown key %q", k.Value)
				if s := closest(k.Value, names); s != "" {
					msg += fmt.Sprintf(" (did you mean %q?)", s)
				}
				return &ConfigError{File: file, Line: k.Line, Key: sub, Err: errors.New(msg)}
			}
			if seen[k.Value] {
				return &ConfigError{File: file, Line: k.Line, Key: sub, Err: errors.New("key given twice")}
			}
			seen[k.Value] = true
			lines[sub] = k.Line
			if err := walkConfig(v, ft, sub, lines, file); err != nil {
				return err
			}
		}
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			if t.Elem().Kind() == reflect.String && n.Kind == yaml.ScalarNode {
				return fail(n, "want a list, e.g. [%q]", n.Value)
			}
			return fail(n, "want a list, got %s", nodeKind(n))
		}
		for i, c := range n.Content {
			sub := fmt.Sprintf("%s[%d]", path, i)
			lines[sub] = c.Line
			if err := walkConfig(c, t.Elem(), sub, lines, file); err != nil {
				return err
			}
		}
	default:
		if n.Kind != yaml.ScalarNode {
			return fail(n, "want a single value, got %s", nodeKind(n))
		}
		// Checked here, not by the decoder, so that the error names the
		// key even inside a flow mapping ({name: x, year: soon}).
		if t.Kind() == reflect.Int {
			if _, err := strconv.Atoi(n.Value); err != nil {
				return fail(n, "cannot unmarshal %q into a whole number", n.Value)
			}
		}
	}
	return nil
}

func nodeKind(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return fmt.Sprintf("%q", n.Value)
	}
	return "something else"
}

// closest returns the candidate within edit distance 2 of s, if any.
func closest(s string, cands []string) string {
	best, bestD := "", 3
	for _, c := range cands {
		if d := editDistance(s, c); d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

var yamlLineRE = regexp.MustCompile(`line (\d+)`)

func yamlErrorLine(err error) int {
	m := yamlLineRE.FindStringSubmatch(err.Error())
	if m == nil {
		return 0
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// cleanYAMLError drops yaml's "yaml: unmarshal errors:" and "line N:"
// prefixes, which ConfigError already renders.
func cleanYAMLError(err error) error {
	s := err.Error()
	s = strings.TrimPrefix(s, "yaml: unmarshal errors:")
	s = strings.TrimPrefix(strings.TrimSpace(s), "yaml: ")
	s = yamlLineRE.ReplaceAllString(s, "")
	s = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(s), ":"))
	return errors.New(s)
}

// keyAt returns the key path recorded at line, if any.
func (c *Config) keyAt(line int) string {
	best := ""
	for k, l := range c.lines {
		if l == line && len(k) > len(best) {
			best = k
		}
	}
	return best
}

// errAt builds a ConfigError for key, with its line when known.
func (c *Config) errAt(key string, err error) error {
	return &ConfigError{File: c.file, Line: c.lines[key], Key: key, Err: err}
}

// Validate checks values: required keys, ranges, URLs, patterns and
// schedules. It returns the first problem found, naming its key and line.
func (c *Config) Validate() error {
	switch {
	case strings.TrimSpace(c.DB) == "":
		return c.errAt("db", errors.New("must not be empty"))
	case strings.TrimSpace(c.UserAgent) == "":
		return c.errAt("user_agent", errors.New("must not be empty; name a contact"))
	case c.Delay < 0:
		return c.errAt("delay", errors.New("must not be negative"))
	case c.Parallelism < 1:
		return c.errAt("parallelism", errors.New("must be at least 1"))
	case c.ConcurrentSites < 1:
		return c.errAt("concurrent_sites", errors.New("must be at least 1"))
	case c.MaxInFlight < 1:
		return c.errAt("max_in_flight", errors.New("must be at least 1"))
	case c.MaxConnections < 1:
		return c.errAt("max_connections", errors.New("must be at least 1"))
	case c.MaxBodySize <= 0:
		return c.errAt("max_body_size", errors.New("must be positive"))
	case c.Retries < 0:
		return c.errAt("retries", errors.New("must not be negative"))
	case c.Timeout <= 0:
		return c.errAt("timeout", errors.New("must be positive"))
	case c.BrowserTabs < 1:
		return c.errAt("browser_tabs", errors.New("must be at least 1"))
	case c.RenderTimeout <= 0:
		return c.errAt("render_timeout", errors.New("must be positive"))
	case c.MaxPages < 0:
		return c.errAt("max_pages", errors.New("must not be negative (0: no limit)"))
	case c.MaxDepth < 0:
		return c.errAt("max_depth", errors.New("must not be negative (0: no limit)"))
	case c.StalePages < 0:
		return c.errAt("stale_pages", errors.New("must not be negative (0: no limit)"))
	case c.MaxDuration < 0:
		return c.errAt("max_duration", errors.New("must not be negative (0: no limit)"))
	case c.ParseTimeout < 0:
		return c.errAt("parse_timeout", errors.New("must not be negative (0: no limit)"))
	case c.PDFMemoryLimit < 32<<20 || c.PDFMemoryLimit > 4<<30:
		return c.errAt("pdf_memory_limit", errors.New("must be between 32MiB and 4GiB (the PDF engine starts with 18 MiB)"))
	}
	if _, err := c.browserPath(); err != nil {
		return c.errAt("browser", err)
	}
	if err := checkSchedule(c.Schedule); err != nil {
		return c.errAt("schedule", err)
	}
	if _, err := c.agencyRules(); err != nil {
		return err
	}
	if len(c.Sites) == 0 {
		return c.errAt("sites", errors.New("no sites configured"))
	}
	names := map[string]int{}
	for i := range c.Sites {
		s := &c.Sites[i]
		key := func(k string) string { return fmt.Sprintf("sites[%d].%s", i, k) }
		if strings.TrimSpace(s.Name) == "" {
			return &ConfigError{File: c.file, Line: c.lines[fmt.Sprintf("sites[%d]", i)], Key: key("name"), Err: errors.New("every site needs a name")}
		}
		if j, dup := names[s.Name]; dup {
			return c.errAt(key("name"), fmt.Errorf("site %q is also sites[%d]", s.Name, j))
		}
		names[s.Name] = i
		if len(s.Start) == 0 {
			return &ConfigError{File: c.file, Line: c.lines[fmt.Sprintf("sites[%d]", i)], Key: key("start"), Err: fmt.Errorf("site %q needs at least one start URL", s.Name)}
		}
		for j, raw := range s.Start {
			u, err := url.Parse(raw)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				return c.errAt(fmt.Sprintf("%s[%d]", key("start"), j), fmt.Errorf("%q is not an absolute http(s) URL", raw))
			}
		}
		for j, d := range s.AllowedDomains {
			if d == "" || strings.ContainsAny(d, "/: ") {
				return c.errAt(fmt.Sprintf("%s[%d]", key("allowed_domains"), j), fmt.Errorf("%q is not a host name (write www.example.gov.cn, no scheme or path)", d))
			}
		}
		if len(s.AllowedDomains) > 0 {
			for j, raw := range s.Start {
				u, _ := url.Parse(raw)
				if !hostAllowed(u.Hostname(), s.AllowedDomains) {
					return c.errAt(fmt.Sprintf("%s[%d]", key("start"), j), fmt.Errorf("host %s is not in allowed_domains", u.Hostname()))
				}
			}
		}
		if s.Delay != nil && *s.Delay < 0 {
			return c.errAt(key("delay"), errors.New("must not be negative"))
		}
		if s.Parallelism < 0 {
			return c.errAt(key("parallelism"), errors.New("must not be negative"))
		}
		for k, v := range map[string]*int{"max_pages": s.MaxPages, "max_depth": s.MaxDepth, "stale_pages": s.StalePages} {
			if v != nil && *v < 0 {
				return c.errAt(key(k), errors.New("must not be negative (0: no limit)"))
			}
		}
		if s.MaxDuration != nil && *s.MaxDuration < 0 {
			return c.errAt(key("max_duration"), errors.New("must not be negative (0: no limit)"))
		}
		for k, p := range map[string]string{"report_pattern": s.ReportPattern, "list_pattern": s.ListPattern} {
			if p == "" {
				continue
			}
			if _, err := regexp.Compile(p); err != nil {
				return c.errAt(key(k), fmt.Errorf("invalid regular expression: %w", err))
			}
		}
		if err := checkSchedule(s.Schedule); err != nil {
			return c.errAt(key("schedule"), err)
		}
	}
	return nil
}

// browserNames are the executables looked up on PATH when the config names
// no browser.
var browserNames = []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"}

// browserPath resolves the browser key: the executable to render with, ""
// for none ("off", or nothing found on PATH when the key is empty). A
// browser the config names but that cannot be found is an error.
func (c *Config) browserPath() (string, error) {
	switch b := strings.TrimSpace(c.Browser); strings.ToLower(b) {
	case "off", "none", "false", "no":
		return "", nil
	case "":
		for _, name := range browserNames {
			if p, err := exec.LookPath(name); err == nil {
				return p, nil
			}
		}
		return "", nil
	default:
		p, err := exec.LookPath(b)
		if err != nil {
			return "", fmt.Errorf("%q not found (install chromium, give its path, or write \"off\")", b)
		}
		return p, nil
	}
}

// hostAllowed reports whether host is one of domains or a subdomain of one.
func hostAllowed(host string, domains []string) bool {
	host = strings.ToLower(host)
	for _, d := range domains {
		d = strings.ToLower(strings.TrimPrefix(d, "."))
		if host == d || strings.HasSuffix(host, "."+d) {
			return true
		}
	}
	return false
}

var cronFieldRE = regexp.MustCompile(`^[0-9A-Za-z*?/,\-LW#]+$`)

// checkSchedule accepts the cron forms 'nianbao serve' understands: five
// (or six, with seconds) fields, a descriptor such as @daily, or
// "@every <duration>", optionally prefixed by CRON_TZ=Zone or TZ=Zone.
func checkSchedule(s string) error {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil
	}
	spec := s
	if rest, ok := strings.CutPrefix(s, "CRON_TZ="); ok {
		tz, more, _ := strings.Cut(rest, " ")
		if _, err := time.LoadLocation(tz); err != nil {
			return fmt.Errorf("unknown time zone %q in schedule", tz)
		}
		s = strings.TrimSpace(more)
	} else if rest, ok := strings.CutPrefix(s, "TZ="); ok {
		tz, more, _ := strings.Cut(rest, " ")
		if _, err := time.LoadLocation(tz); err != nil {
			return fmt.Errorf("unknown time zone %q in schedule", tz)
		}
		s = strings.TrimSpace(more)
	}
	if rest, ok := strings.CutPrefix(s, "@every "); ok {
		d, err := parseDuration(rest)
		if err != nil {
			return err
		}
		if d < time.Second {
			return fmt.Errorf("schedule interval %s is shorter than 1s", d)
		}
		return nil
	}
	switch s {
	case "@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly":
		return nil
	}
	f := strings.Fields(s)
	if len(f) != 5 && len(f) != 6 {
		return fmt.Errorf("schedule %q: want 5 cron fields (minute hour day month weekday) or @daily / @every 24h", s)
	}
	for _, x := range f {
		if !cronFieldRE.MatchString(x) {
			return fmt.Errorf("schedule %q: bad cron field %q", s, x)
		}
	}
	// The scheduler's own parser has the last word (ranges, names), so
	// that a schedule 'nianbao serve' cannot run fails here, not at 3 am.
	if _, err := crawler.ParseSchedule(spec); err != nil {
		return err
	}
	return nil
}

// site returns the site named name, or an error listing the names.
func (c *Config) site(name string) (SiteConfig, error) {
	var names []string
	for _, s := range c.Sites {
		if s.Name == name {
			return s, nil
		}
		names = append(names, s.Name)
	}
	sort.Strings(names)
	return SiteConfig{}, usageError{msg: fmt.Sprintf("no site named %q in the config", name), hint: "sites: " + strings.Join(names, ", ")}
}

// siteDelay, siteParallelism and siteDomains resolve a site's effective
// settings from its overrides and the global ones.
func (c *Config) siteDelay(s SiteConfig) time.Duration {
	if s.Delay != nil {
		return s.Delay.D()
	}
	return c.Delay.D()
}

func (c *Config) siteParallelism(s SiteConfig) int {
	if s.Parallelism > 0 {
		return s.Parallelism
	}
	return c.Parallelism
}

// budget returns the crawler's budget for every site: the config's 0 (no
// limit) is the crawler's negative value.
func (c *Config) budget() crawler.Budget {
	return crawler.Budget{MaxPages: noLimit(c.MaxPages), MaxDepth: noLimit(c.MaxDepth),
		StalePages: noLimit(c.StalePages), MaxDuration: time.Duration(noLimit(int64(c.MaxDuration)))}
}

// siteBudget sets the budget overrides of s on site.
func siteBudget(site *crawler.Site, s SiteConfig) {
	if s.MaxPages != nil {
		site.MaxPages = noLimit(*s.MaxPages)
	}
	if s.MaxDepth != nil {
		site.MaxDepth = noLimit(*s.MaxDepth)
	}
	if s.StalePages != nil {
		site.StalePages = noLimit(*s.StalePages)
	}
	if s.MaxDuration != nil {
		site.MaxDuration = time.Duration(noLimit(int64(*s.MaxDuration)))
	}
}

// noLimit maps the config's "0: no limit" onto the crawler's negative
// value; a zero field there means the default.
func noLimit[T int | int64](v T) T {
	if v == 0 {
		return -1
	}
	return v
}

func siteDomains(s SiteConfig) []string {
	if len(s.AllowedDomains) > 0 {
		return s.AllowedDomains
	}
	var ds []string
	seen := map[string]bool{}
	for _, raw := range s.Start {
		u, err := url.Parse(raw)
		if err != nil || seen[u.Hostname()] {
			continue
		}
		seen[u.Hostname()] = true
		ds = append(ds, u.Hostname())
	}
	return ds
}
