package store

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	bolt "go.etcd.io/bbolt"

	"nianbao/parser"
	"nianbao/parser/agency"
)

// Agency is one organ of the register: the canonical organ behind the
// names its reports print, with a stable agency_id (see doc.go).
type Agency struct {
	// ID is the organ's agency_id ("a:" and 12 hex digits).
	ID string `json:"id"`
	// Name is the organ's name: the configuration rule's name when a rule
	// is bound to it, else the name printed for its latest year.
	Name string `json:"name"`
	// Names are the names its reports printed, each with the statistics
	// years and the identity sources (parser.IdentitySource) it was read
	// from, in the order first seen.
	Names []AgencyName `json:"names"`
	// Codes are the organ codes its reports carried (canonical form,
	// agency.NormalizeCode), in the order first seen.
	Codes []string `json:"codes,omitempty"`
	// Sites are the configured sites its reports were found on.
	Sites []string `json:"sites,omitempty"`
	// Division is the administrative division Name places the organ in,
	// with its parents (agency.Division): 淮安市洪泽区.
	Division string `json:"division,omitempty"`
	// Rule is the Name of the configuration rule bound to the organ, "" if
	// none; Links are the rule's renames, mergers and splits.
	Rule  string        `json:"rule,omitempty"`
	Links []agency.Link `json:"links,omitempty"`
	// Merged are the IDs of organs merged into this one (they redirect
	// here); MergedInto is set only on such a redirect.
	Merged     []string `json:"merged,omitempty"`
	MergedInto string   `json:"merged_into,omitempty"`
	// Created is when the organ was registered; Updated when it last
	// changed.
	Created time.Time `json:"created"`
	Updated time.Time `json:"updated"`
	// Years are the statistics years the archive holds a report of it
	// for, ascending. Filled when read; not stored.
	Years []int `json:"-"`
}

// AgencyName is one name an organ's reports printed.
type AgencyName struct {
	Name    string                  `json:"name"`
	Years   []int                   `json:"years,omitempty"`
	Sources []parser.IdentitySource `json:"sources,omitempty"`
}

type agencyValue struct {
	V int `json:"v"`
	Agency
}

// SearchForm is the form in which names are indexed and --agency texts
// compared: full-width letters, digits and brackets folded to ASCII, white
// space removed. It keeps notes such as （本级）, so they can be searched.
func SearchForm(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case unicode.IsSpace(r) || r == '\u200b' || r == '\ufeff':
			continue
		case r >= 0xFF01 && r <= 0xFF5E:
			r = r - 0xFF01 + '!'
		}
		b.WriteRune(r)
	}
	return b.String()
}

// see records that a report of the organ printed name for year, read from
// src, with organ code code, found on site. It reports whether anything
// changed.
func (a *Agency) see(name string, year int, src parser.IdentitySource, code, site string) bool {
	changed := false
	if name != "" {
		i := slices.IndexFunc(a.Names, func(n AgencyName) bool { return n.Name == name })
		if i < 0 {
			a.Names = append(a.Names, AgencyName{Name: name})
			i = len(a.Names) - 1
			changed = true
		}
		n := &a.Names[i]
		if year > 0 && !slices.Contains(n.Years, year) {
			n.Years = append(n.Years, year)
			slices.Sort(n.Years)
			changed = true
		}
		if src != "" && !slices.Contains(n.Sources, src) {
			n.Sources = append(n.Sources, src)
			changed = true
		}
	}
	if c, ok := agency.NormalizeCode(code); ok && !slices.Contains(a.Codes, c) {
		a.Codes = append(a.Codes, c)
		changed = true
	}
	if site != "" && !slices.Contains(a.Sites, site) {
		a.Sites = append(a.Sites, site)
		changed = true
	}
	return changed
}

// canonicalize sets Name and Division: the rule's name, else the name
// printed for the latest year (the later-seen name on a tie).
func (a *Agency) canonicalize(rule *agency.Rule) {
	switch {
	case rule != nil:
		a.Name = rule.Name
	case len(a.Names) > 0:
		best, by := "", -1
		for _, n := range a.Names {
			y := 0
			if len(n.Years) > 0 {
				y = n.Years[len(n.Years)-1]
			}
			if y >= by {
				best, by = n.Name, y
			}
		}
		a.Name = best
	}
	a.Division = agency.Division(a.Name)
}

// forms returns the stems, search forms and codes under which the organ is
// indexed: its printed names, its rule's names and codes.
func (a *Agency) forms(rule *agency.Rule) (stems, names, codes []string) {
	add := func(list []string, s string) []string {
		if s == "" || slices.Contains(list, s) {
			return list
		}
		return append(list, s)
	}
	all := []string{a.Name}
	for _, n := range a.Names {
		all = append(all, n.Name)
	}
	cs := slices.Clone(a.Codes)
	if rule != nil {
		all = append(all, rule.Names()...)
		cs = append(cs, rule.Codes...)
	}
	for _, n := range all {
		stems = add(stems, agency.Stem(n))
		names = add(names, SearchForm(n))
	}
	for _, c := range cs {
		codes = add(codes, agency.OrgCode(c))
	}
	return stems, names, codes
}

// organ returns the organ as agency.Resolve sees it.
func (a *Agency) organ(rule *agency.Rule) agency.Organ {
	o := agency.Organ{ID: a.ID, Codes: a.Codes, Sites: a.Sites, Rule: a.Rule}
	for _, n := range a.Names {
		o.Names = append(o.Names, n.Name)
	}
	if len(o.Names) == 0 {
		o.Names = []string{a.Name}
	}
	if rule != nil {
		o.Names = append(o.Names, rule.Names()...)
		o.Codes = append(slices.Clone(o.Codes), rule.Codes...)
	}
	return o
}

// getAgency reads the organ id as stored (not following a redirect); nil
// when there is none.
func getAgency(tx *bolt.Tx, id string) (*Agency, error) {
	v := tx.Bucket(bucketAgencies).Get([]byte(id))
	if v == nil {
		return nil, nil
	}
	var av agencyValue
	if err := json.Unmarshal(v, &av); err != nil {
		return nil, fmt.Errorf("agency %s: decode: %w: %w", id, ErrCorrupt, err)
	}
	return &av.Agency, nil
}

// followAgency returns the organ id redirects to (MergedInto, followed),
// or nil when there is none.
func followAgency(tx *bolt.Tx, id string) (*Agency, error) {
	for range 32 {
		a, err := getAgency(tx, id)
		if err != nil || a == nil || a.MergedInto == "" {
			return a, err
		}
		id = a.MergedInto
	}
	return nil, fmt.Errorf("agency %s: %w: redirects loop", id, ErrCorrupt)
}

// putAgency writes a and moves its index entries from what old had to what
// a has. rules name the rule bound to either.
func putAgency(tx *bolt.Tx, a, old *Agency, rules *agency.Rules) error {
	v, err := json.Marshal(agencyValue{V: SchemaVersion, Agency: *a})
	if err != nil {
		return err
	}
	if err := tx.Bucket(bucketAgencies).Put([]byte(a.ID), v); err != nil {
		return err
	}
	var os, on, oc []string
	if old != nil && old.MergedInto == "" {
		os, on, oc = old.forms(rules.Rule(old.Rule))
	}
	var ns, nn, nc []string
	if a.MergedInto == "" {
		ns, nn, nc = a.forms(rules.Rule(a.Rule))
	}
	for _, ix := range []struct {
		b        []byte
		old, new []string
	}{{bucketAgencyStems, os, ns}, {bucketAgencyNames, on, nn}, {bucketAgencyCodes, oc, nc}} {
		b := tx.Bucket(ix.b)
		for _, f := range ix.old {
			if !slices.Contains(ix.new, f) {
				if err := b.Delete(indexKey(f, a.ID)); err != nil {
					return err
				}
			}
		}
		for _, f := range ix.new {
			if err := b.Put(indexKey(f, a.ID), nil); err != nil {
				return err
			}
		}
	}
	return nil
}

// indexIDs returns the agency_ids indexed under form in bucket b, in ID
// order.
func indexIDs(b *bolt.Bucket, form string) []string {
	if form == "" {
		return nil
	}
	prefix := append([]byte(form), 0)
	var ids []string
	c := b.Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		ids = append(ids, string(k[len(prefix):]))
	}
	return ids
}

// newAgencyID makes the ID of a new organ first registered under name on
// site: "a:" and the first 12 hex digits of the SHA-256 of the name's stem
// (agency.Stem: written out, without parent divisions), so that the ID
// does not depend on which of an organ's names the archive met first
// (淮安市洪泽区人民政府 and 洪泽区人民政府 give one ID), and two archives that
// meet an organ give it the same ID. When that ID is taken (another organ
// with the same stem: 新华区人民政府 of two cities, 司法局 on two sites),
// the full written-out name, then the site, then a counter are hashed
// instead.
func newAgencyID(tx *bolt.Tx, name, site string) string {
	full := agency.Expand(name)
	if full == "" {
		full = name
	}
	stem := agency.Stem(name)
	if stem == "" {
		stem = full
	}
	b := tx.Bucket(bucketAgencies)
	for i := 0; ; i++ {
		var in string
		switch {
		case i == 0:
			in = stem
		case i == 1:
			in = "full\x00" + full
		case i == 2:
			in = "site\x00" + full + "\x00" + site
		default:
			in = "site\x00" + full + "\x00" + site + "\x00" + strconv.Itoa(i)
		}
		sum := sha256.Sum256([]byte(in))
		id := organPrefix + hex.EncodeToString(sum[:])[:12]
		if b.Get([]byte(id)) == nil {
			return id
		}
	}
}

// unidentifiedID is the ID of the source of a report whose organ is not
// identified: "u:" and the first 16 hex digits of the SHA-256 of its URL
// (of its body's hash when it has no URL). The same page re-published
// keeps it; another page gets another.
func unidentifiedID(url string) string {
	sum := sha256.Sum256([]byte(url))
	return unidentifiedPrefix + hex.EncodeToString(sum[:])[:16]
}

// sighting is a report's identity as the store keys it.
type sighting struct {
	r      *parser.Report
	site   string
	url    string
	sha    string // the body's hex SHA-256 ("" when unknown)
	digest string // CellsDigest(r)
}

// keyOptions modify keyFor.
type keyOptions struct {
	// noFold: do not move an unidentified report of the same URL and year
	// into the organ found (the caller regroups versions itself).
	noFold bool
	// noURLLink: do not give an unidentified report the organ its URL's
	// previous body was attributed to (reparse re-derives from scratch).
	noURLLink bool
	// dryRun: write nothing (a new organ gets the ID it would get).
	dryRun bool
}

// keyed is where keyFor put a report.
type keyed struct {
	id         string
	identified bool
	decision   agency.Decision // for an identified report
	why        string
}

// keyFor decides the agency_id a report is stored under, inside tx:
//
//   - a report that names its organ (parser.Report.AgencyIdentified) goes
//     to the organ agency.Resolve finds among the organs indexed under its
//     stem, organ code or configuration rule, or to a new organ, which is
//     registered; the organ's names, years, codes and sites are updated.
//   - a report whose organ is only the configured fallback goes to the
//     organ its valid organ code names when exactly one does; else to the
//     organ its URL's previous body was attributed to for the same year;
//     else to its own source, "u:" + hash(URL). It is never stacked under
//     the site's name, nor joined to another page's report because their
//     numbers are equal (small organs print all-zero tables alike).
func (db *DB) keyFor(tx *bolt.Tx, s sighting, now time.Time, o keyOptions) (keyed, error) {
	r := s.r
	rules := db.agencyRules()
	if !r.AgencyIdentified() {
		return db.unidentifiedKey(tx, s, o)
	}
	st, ct := tx.Bucket(bucketAgencyStems), tx.Bucket(bucketAgencyCodes)
	ids := indexIDs(st, agency.Stem(r.Agency))
	oc := agency.OrgCode(r.OrganCode)
	rule := rules.Match(r.Agency, r.OrganCode)
	if oc != "" && (agency.ValidCode(r.OrganCode) || rule != nil) {
		ids = append(ids, indexIDs(ct, oc)...)
	}
	if rule != nil {
		for _, n := range rule.Names() {
			ids = append(ids, indexIDs(st, agency.Stem(n))...)
		}
	}
	var cands []*Agency
	seen := map[string]bool{}
	for _, id := range ids {
		a, err := followAgency(tx, id)
		if err != nil {
			return keyed{}, err
		}
		if a == nil || seen[a.ID] {
			continue
		}
		seen[a.ID] = true
		cands = append(cands, a)
	}
	slices.SortFunc(cands, func(a, b *Agency) int { return cmp.Or(a.Created.Compare(b.Created), cmp.Compare(a.ID, b.ID)) })
	organs := make([]agency.Organ, len(cands))
	for i, a := range cands {
		organs[i] = a.organ(rules.Rule(a.Rule))
	}
	d := agency.Resolve(agency.Sighting{Name: r.Agency, Code: r.OrganCode, Site: s.site}, organs, rules)
	var a, old *Agency
	if d.ID != "" {
		i := slices.IndexFunc(cands, func(c *Agency) bool { return c.ID == d.ID })
		a = cands[i]
		cp := *a
		cp.Names = slices.Clone(a.Names)
		for j := range cp.Names {
			cp.Names[j].Years = slices.Clone(a.Names[j].Years)
			cp.Names[j].Sources = slices.Clone(a.Names[j].Sources)
		}
		cp.Codes, cp.Sites = slices.Clone(a.Codes), slices.Clone(a.Sites)
		old = &cp
	} else {
		name := r.Agency
		var links []agency.Link
		if rr := rules.Rule(d.Rule); rr != nil {
			name, links = rr.Name, rr.Links()
		}
		a = &Agency{ID: newAgencyID(tx, name, s.site), Rule: d.Rule, Links: links, Created: now}
	}
	changed := a.see(r.Agency, r.Year, r.AgencySource, r.OrganCode, s.site)
	if o.dryRun {
		return keyed{id: a.ID, identified: true, decision: d, why: d.Reason}, nil
	}
	if old == nil || changed {
		a.canonicalize(rules.Rule(a.Rule))
		a.Updated = now
		if err := putAgency(tx, a, old, rules); err != nil {
			return keyed{}, fmt.Errorf("register %s: %w", r.Agency, err)
		}
	}
	k := keyed{id: a.ID, identified: true, decision: d, why: d.Reason}
	if !o.noFold && s.url != "" {
		// The same page gave an unidentified report of this year before:
		// it is this organ's.
		from, _ := reportKey(unidentifiedID(s.url), r.Year)
		if tx.Bucket(bucketReports).Get(from) != nil {
			to, _ := reportKey(a.ID, r.Year)
			if err := db.regroup(tx, []move{{from: from, all: true, to: to}}, now); err != nil {
				return keyed{}, fmt.Errorf("move the unidentified report of %s to %s: %w", s.url, a.ID, err)
			}
		}
	}
	return k, nil
}

// unidentifiedKey is keyFor for a report whose organ is not identified.
func (db *DB) unidentifiedKey(tx *bolt.Tx, s sighting, o keyOptions) (keyed, error) {
	r := s.r
	if agency.ValidCode(r.OrganCode) {
		var organs []string
		for _, id := range indexIDs(tx.Bucket(bucketAgencyCodes), agency.OrgCode(r.OrganCode)) {
			a, err := followAgency(tx, id)
			if err != nil {
				return keyed{}, err
			}
			if a != nil && !slices.Contains(organs, a.ID) {
				organs = append(organs, a.ID)
			}
		}
		if len(organs) == 1 {
			return keyed{id: organs[0], identified: true, why: "its organ code " + r.OrganCode + " is this organ's"}, nil
		}
	}
	if !o.noURLLink && s.url != "" {
		if uv := tx.Bucket(bucketURLs).Get([]byte(s.url)); uv != nil {
			var st urlValue
			if json.Unmarshal(uv, &st) == nil && st.SHA256 != "" && st.SHA256 != s.sha {
				if key, err := shaKey(st.SHA256); err == nil {
					if ov := tx.Bucket(bucketOutcomes).Get(outcomeKey(key, s.url)); ov != nil {
						var prev Outcome
						if decodeOutcome(ov, &prev) == nil && prev.Result == ResultReport && prev.Year == r.Year &&
							strings.HasPrefix(prev.AgencyID, organPrefix) {
							if a, err := followAgency(tx, prev.AgencyID); err == nil && a != nil {
								return keyed{id: a.ID, identified: true, why: "its URL's previous body was this organ's report of the year"}, nil
							}
						}
					}
				}
			}
		}
	}
	src := s.url
	switch {
	case src == "" && s.sha != "":
		src = "sha256:" + s.sha
	case src == "":
		src = "digest:" + s.site + "\x00" + s.digest
	}
	return keyed{id: unidentifiedID(src), why: "the organ is only the configured site name (a fallback): the report is keyed by its URL"}, nil
}

// Resolve returns the agency_id a report would be stored under (see
// PutReport) if it were stored now from a capture of site at url, without
// writing anything: a new organ's ID is the one it would be given. why says
// how the register decides.
func (db *DB) Resolve(r *parser.Report, site, url string) (id string, identified bool, why string, err error) {
	if r == nil {
		return "", false, "", fmt.Errorf("resolve: %w: nil report", ErrInvalid)
	}
	err = db.view(func(tx *bolt.Tx) error {
		k, err := db.keyFor(tx, sighting{r: r, site: site, url: cmp.Or(r.SourceURL, url), digest: CellsDigest(r)}, time.Now(),
			keyOptions{dryRun: true, noFold: true, noURLLink: true})
		id, identified, why = k.id, k.identified, k.why
		return err
	})
	return id, identified, why, err
}

// Agency returns the organ id (following a merge to the organ that
// absorbed it), with the years of its reports, or ErrNotFound.
func (db *DB) Agency(id string) (*Agency, error) {
	var a *Agency
	err := db.view(func(tx *bolt.Tx) error {
		var err error
		if a, err = followAgency(tx, id); err != nil {
			return err
		}
		if a == nil {
			return fmt.Errorf("agency %s: %w", id, ErrNotFound)
		}
		a.Years = reportYears(tx, a.ID)
		return nil
	})
	return a, err
}

// reportYears returns the years of id's reports, ascending.
func reportYears(tx *bolt.Tx, id string) []int {
	var ys []int
	prefix := append([]byte(id), 0)
	c := tx.Bucket(bucketReports).Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		if _, y, err := decodeReportKey(k); err == nil {
			ys = append(ys, y)
		}
	}
	return ys
}

// ForEachAgency calls fn for every organ of the register in agency_id
// order (merged organs, which redirect, are skipped), with the years of
// its reports, checking ctx between organs. fn must not write to db.
func (db *DB) ForEachAgency(ctx context.Context, fn func(*Agency) error) error {
	return db.view(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketAgencies).Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			if err := ctx.Err(); err != nil {
				return err
			}
			var av agencyValue
			if err := json.Unmarshal(v, &av); err != nil {
				return fmt.Errorf("agency %s: decode: %w: %w", k, ErrCorrupt, err)
			}
			if av.MergedInto != "" {
				continue
			}
			a := av.Agency
			a.Years = reportYears(tx, a.ID)
			if err := fn(&a); err != nil {
				return err
			}
		}
		return nil
	})
}

// LookupAgencies returns the agency_ids that text selects, in ID order:
// text itself when it is an agency_id of the archive (an organ's, after
// merges, or an unidentified report's), the organs whose organ code it is,
// and every ID one of whose names contains it (SearchForm, so width and
// spaces do not count; unidentified reports are found by the site name
// they carry). exact, when set, keeps only the IDs with a name equal to
// the text when there are any: the full name of an organ selects it even
// when longer names contain it.
func (db *DB) LookupAgencies(text string) (ids []string, exact []string, err error) {
	err = db.view(func(tx *bolt.Tx) error {
		ids, exact, err = lookupAgencies(tx, text)
		return err
	})
	return ids, exact, err
}

func lookupAgencies(tx *bolt.Tx, text string) (ids, exact []string, err error) {
	text = strings.TrimSpace(text)
	if text == "" {
		return nil, nil, nil
	}
	set, ex := map[string]bool{}, map[string]bool{}
	add := func(id string, isExact bool) error {
		if strings.HasPrefix(id, organPrefix) {
			a, err := followAgency(tx, id)
			if err != nil {
				return err
			}
			if a == nil {
				return nil
			}
			id = a.ID
		}
		set[id] = true
		if isExact {
			ex[id] = true
		}
		return nil
	}
	if IsAgencyID(text) {
		if IsUnidentifiedID(text) {
			prefix := append([]byte(text), 0)
			if k, _ := tx.Bucket(bucketReports).Cursor().Seek(prefix); k != nil && bytes.HasPrefix(k, prefix) {
				set[text], ex[text] = true, true
			}
		} else if err := add(text, true); err != nil {
			return nil, nil, err
		}
	}
	if oc := agency.OrgCode(text); oc != "" {
		for _, id := range indexIDs(tx.Bucket(bucketAgencyCodes), oc) {
			if err := add(id, true); err != nil {
				return nil, nil, err
			}
		}
	}
	want := SearchForm(text)
	c := tx.Bucket(bucketAgencyNames).Cursor()
	for k, _ := c.First(); k != nil; k, _ = c.Next() {
		i := bytes.IndexByte(k, 0)
		if i < 0 || !bytes.Contains(k[:i], []byte(want)) {
			continue
		}
		if err := add(string(k[i+1:]), i == len(want)); err != nil {
			return nil, nil, err
		}
	}
	for id := range set {
		ids = append(ids, id)
	}
	for id := range ex {
		exact = append(exact, id)
	}
	slices.Sort(ids)
	slices.Sort(exact)
	return ids, exact, nil
}

// ApplyAgencyRules stores the configuration's agency rules (the config's
// agencies: section) and applies them to the register: each rule is bound
// to the organ its names or codes already belong to (the oldest, when
// several organs carry them; the others are merged into it, their reports
// moving to its agency_id, year by year: see Regroup), its names and codes
// are indexed so that later reports find it, and its renames, mergers and
// splits are recorded as links. A rule whose organ has no report yet is
// bound when the first arrives. Rules removed from the configuration
// leave what they merged merged: an agency_id never changes its organ.
// It returns how many organs were merged into others.
func (db *DB) ApplyAgencyRules(rules *agency.Rules) (merged int, err error) {
	if db.readOnly {
		return 0, ErrReadOnly
	}
	entries := rules.Entries()
	if entries == nil {
		entries = []agency.Rule{}
	}
	rj, err := json.Marshal(entries)
	if err != nil {
		return 0, err
	}
	now := time.Now().UTC()
	err = db.update(func(tx *bolt.Tx) error {
		if old := tx.Bucket(bucketMeta).Get(keyMetaRules); bytes.Equal(old, rj) {
			return nil // nothing new
		}
		oldRules := db.agencyRules()
		db.setAgencyRules(rules)
		merged = 0
		for i := range entries {
			r := &entries[i]
			var found []*Agency
			seen := map[string]bool{}
			var ids []string
			for _, n := range r.Names() {
				ids = append(ids, indexIDs(tx.Bucket(bucketAgencyStems), agency.Stem(n))...)
			}
			for _, c := range r.Codes {
				ids = append(ids, indexIDs(tx.Bucket(bucketAgencyCodes), agency.OrgCode(c))...)
			}
			for _, id := range ids {
				a, err := followAgency(tx, id)
				if err != nil {
					return err
				}
				if a == nil || seen[a.ID] {
					continue
				}
				seen[a.ID] = true
				// The organ is the rule's when it is bound to it, or one
				// of its printed names or codes is the rule's (an organ
				// bound to another rule in force stays that rule's).
				if a.Rule != "" && a.Rule != r.Name && rules.Rule(a.Rule) != nil {
					continue
				}
				if a.Rule == r.Name || ruleOwns(rules, r, a) {
					found = append(found, a)
				}
			}
			if len(found) == 0 {
				continue
			}
			slices.SortFunc(found, func(a, b *Agency) int { return cmp.Or(a.Created.Compare(b.Created), cmp.Compare(a.ID, b.ID)) })
			keep := found[0]
			for _, other := range found[1:] {
				if err := db.mergeAgencies(tx, keep.ID, other.ID, now); err != nil {
					return err
				}
				merged++
			}
			a, err := getAgency(tx, keep.ID)
			if err != nil {
				return err
			}
			old := *a
			old.Rule = "" // index entries of the rule's names are (re)written below
			a.Rule, a.Links = r.Name, r.Links()
			a.canonicalize(r)
			a.Updated = now
			if err := putAgency(tx, a, &old, oldRules); err != nil {
				return err
			}
		}
		return tx.Bucket(bucketMeta).Put(keyMetaRules, rj)
	})
	if err != nil {
		return 0, fmt.Errorf("apply agency rules: %w", err)
	}
	return merged, nil
}

// ruleOwns reports whether one of a's printed names or codes is the
// rule's.
func ruleOwns(rules *agency.Rules, r *agency.Rule, a *Agency) bool {
	for _, n := range a.Names {
		if rules.Match(n.Name, "") == r {
			return true
		}
	}
	for _, c := range a.Codes {
		if rules.Match("", c) == r {
			return true
		}
	}
	return false
}

// agencyRules returns the rules in force (nil for none).
func (db *DB) agencyRules() *agency.Rules {
	db.rulesMu.Lock()
	defer db.rulesMu.Unlock()
	return db.rules
}

func (db *DB) setAgencyRules(r *agency.Rules) {
	db.rulesMu.Lock()
	db.rules = r
	db.rulesMu.Unlock()
}

// loadAgencyRules reads the stored rules into db.
func (db *DB) loadAgencyRules(tx *bolt.Tx) error {
	m := tx.Bucket(bucketMeta)
	if m == nil {
		return nil
	}
	v := m.Get(keyMetaRules)
	if v == nil {
		return nil
	}
	var entries []agency.Rule
	if err := json.Unmarshal(v, &entries); err != nil {
		return fmt.Errorf("agency rules: decode: %w: %w", ErrCorrupt, err)
	}
	rules, err := agency.NewRules(entries)
	if err != nil {
		return fmt.Errorf("agency rules: %w: %w", ErrCorrupt, err)
	}
	db.setAgencyRules(rules)
	return nil
}

// AgencyRules returns the configuration rules stored with ApplyAgencyRules
// (nil when none were).
func (db *DB) AgencyRules() *agency.Rules { return db.agencyRules() }

// mergeAgencies makes organ drop one with organ keep: drop's reports move
// to keep's agency_id (a year both have becomes one report whose versions
// are both's, in the order stored), drop's names, codes and sites join
// keep's, and drop becomes a redirect to keep.
func (db *DB) mergeAgencies(tx *bolt.Tx, keepID, dropID string, now time.Time) error {
	if keepID == dropID {
		return nil
	}
	keep, err := getAgency(tx, keepID)
	if err != nil {
		return err
	}
	drop, err := getAgency(tx, dropID)
	if err != nil {
		return err
	}
	if keep == nil || drop == nil {
		return fmt.Errorf("merge agency %s into %s: %w", dropID, keepID, ErrNotFound)
	}
	var moves []move
	for _, y := range reportYears(tx, dropID) {
		from, _ := reportKey(dropID, y)
		to, _ := reportKey(keepID, y)
		moves = append(moves, move{from: from, all: true, to: to})
	}
	if err := db.regroup(tx, moves, now); err != nil {
		return err
	}
	rules := db.agencyRules()
	old := *keep
	old.Names, old.Codes, old.Sites = slices.Clone(keep.Names), slices.Clone(keep.Codes), slices.Clone(keep.Sites)
	for _, n := range drop.Names {
		for _, y := range n.Years {
			keep.see(n.Name, y, "", "", "")
		}
		for _, s := range n.Sources {
			keep.see(n.Name, 0, s, "", "")
		}
	}
	for _, c := range drop.Codes {
		keep.see("", 0, "", c, "")
	}
	for _, s := range drop.Sites {
		keep.see("", 0, "", "", s)
	}
	keep.Merged = append(keep.Merged, append([]string{drop.ID}, drop.Merged...)...)
	keep.canonicalize(rules.Rule(keep.Rule))
	keep.Updated = now
	if err := putAgency(tx, keep, &old, rules); err != nil {
		return err
	}
	oldDrop := *drop
	drop.MergedInto, drop.Updated = keepID, now
	return putAgency(tx, drop, &oldDrop, rules)
}

// describeKey names a report key for messages: the organ's name and ID, or
// the unidentified source's.
func describeKey(tx *bolt.Tx, id string) string {
	if a, err := followAgency(tx, id); err == nil && a != nil {
		return a.Name + " (" + a.ID + ")"
	}
	return id
}

// AgencyProposal is a merge of two organs that the register proposes and
// does not make (agency.Relate): A and B are agency_ids (A < B).
type AgencyProposal struct {
	A, B         string
	AName, BName string
	// Match is agency.Match's name ("parent_division", "abbreviation",
	// "same", "different" for a shared organ code); Reason says why, with
	// the evidence missing or against; Confirm what would confirm it.
	Match   string
	Reason  string
	Confirm string
}

// Proposals returns the merges the register proposes: for every pair of
// organs sharing a stem (agency.Stem) or an organ code, what agency.Relate
// finds, in order of A then B. The pairs are found through the indexes,
// so the cost grows with the organs, not with the reports.
func (db *DB) Proposals(ctx context.Context) ([]AgencyProposal, error) {
	var out []AgencyProposal
	err := db.view(func(tx *bolt.Tx) error {
		rules := db.agencyRules()
		cache := map[string]*Agency{}
		load := func(id string) (*Agency, error) {
			if a, ok := cache[id]; ok {
				return a, nil
			}
			a, err := followAgency(tx, id)
			cache[id] = a
			return a, err
		}
		seen := map[string]bool{}
		c := tx.Bucket(bucketAgencies).Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			if err := ctx.Err(); err != nil {
				return err
			}
			var av agencyValue
			if err := json.Unmarshal(v, &av); err != nil {
				return fmt.Errorf("agency %s: decode: %w: %w", k, ErrCorrupt, err)
			}
			a := &av.Agency
			if a.MergedInto != "" {
				continue
			}
			stems, _, codes := a.forms(rules.Rule(a.Rule))
			var others []string
			for _, s := range stems {
				others = append(others, indexIDs(tx.Bucket(bucketAgencyStems), s)...)
			}
			for _, cd := range codes {
				others = append(others, indexIDs(tx.Bucket(bucketAgencyCodes), cd)...)
			}
			for _, id := range others {
				b, err := load(id)
				if err != nil {
					return err
				}
				if b == nil || b.ID == a.ID {
					continue
				}
				lo, hi := min(a.ID, b.ID), max(a.ID, b.ID)
				if seen[lo+"\x00"+hi] {
					continue
				}
				seen[lo+"\x00"+hi] = true
				// Organs bound to two rules in force are what the
				// configuration says they are.
				if a.Rule != "" && b.Rule != "" && a.Rule != b.Rule && rules.Rule(a.Rule) != nil && rules.Rule(b.Rule) != nil {
					continue
				}
				x, y := a, b
				if b.ID < a.ID {
					x, y = b, a
				}
				p, ok := agency.Relate(x.organ(rules.Rule(x.Rule)), y.organ(rules.Rule(y.Rule)))
				if !ok {
					q, ok2 := agency.Relate(y.organ(rules.Rule(y.Rule)), x.organ(rules.Rule(x.Rule)))
					if !ok2 {
						continue
					}
					p = q
				}
				out = append(out, AgencyProposal{A: x.ID, B: y.ID, AName: x.Name, BName: y.Name, Match: p.Match.String(),
					Reason: p.Reason, Confirm: p.Confirm})
			}
		}
		return nil
	})
	slices.SortFunc(out, func(a, b AgencyProposal) int { return cmp.Or(cmp.Compare(a.A, b.A), cmp.Compare(a.B, b.B)) })
	return out, err
}

// AgencyNames calls fn with the agency_id and name of every organ of the
// register, in agency_id order, without reading their reports (cheaper
// than ForEachAgency when only names are needed). fn must not write to db.
func (db *DB) AgencyNames(ctx context.Context, fn func(id, name string) error) error {
	return db.view(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketAgencies).Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			if err := ctx.Err(); err != nil {
				return err
			}
			var av struct {
				Name       string `json:"name"`
				MergedInto string `json:"merged_into"`
			}
			if err := json.Unmarshal(v, &av); err != nil {
				return fmt.Errorf("agency %s: decode: %w: %w", k, ErrCorrupt, err)
			}
			if av.MergedInto != "" {
				continue
			}
			if err := fn(string(k), av.Name); err != nil {
				return err
			}
		}
		return nil
	})
}
