package agency

import (
	"fmt"
	"slices"
	"strings"
)

// This file is the register's decision, without its storage: given one
// report's printed organ (a Sighting) and the organs already registered
// whose names could be the same (Organ), Resolve says which organ the
// report belongs to, or that it is a new one, and which merges it can only
// propose. The store keeps the organs and calls Resolve inside its write
// transaction; configuration rules (Rules) come first.

// Stem returns the form under which names that may be one organ meet: the
// name written out (Expand) without its parent divisions (StripParents).
// 淮安市洪泽区人民政府, 洪泽区人民政府 and 洪泽区政府 all have the stem
// 洪泽区人民政府; 衡阳市人防办 and 衡阳市人民防空办公室 the stem 衡阳市人民防空办公室.
// Two names with different stems are never the same organ by name alone.
func Stem(name string) string { return StripParents(Expand(name)) }

// Organ is what Resolve needs to know of one registered organ.
type Organ struct {
	// ID is the organ's agency_id.
	ID string
	// Names are the names its reports printed (as printed).
	Names []string
	// Codes are the organ codes its reports carried (any form).
	Codes []string
	// Sites are the configured sites its reports were found on.
	Sites []string
	// Rule is the Name of the configuration rule bound to the organ, ""
	// for none.
	Rule string
}

// Sighting is one report's organ as the register sees it.
type Sighting struct {
	// Name is the organ as the report prints it (parser.Report.Agency).
	Name string
	// Code is the report's organ code (parser.Report.OrganCode), "" if none.
	Code string
	// Site is the configured site the report was found on, "" if unknown.
	Site string
}

// Decision is what Resolve decided for a sighting.
type Decision struct {
	// ID is the organ the report belongs to; "" means a new organ.
	ID string
	// Rule is the configuration rule that decided (its Name), "" when
	// none did. With ID "", the new organ is the rule's.
	Rule string
	// Match grades the sighting's name against the organ's closest name
	// (Same for a rule or a new organ).
	Match Match
	// Reason says in words why (which name, which evidence).
	Reason string
	// Proposals are organs that may be the same as the sighting's but that
	// nothing confirms: they are listed, never merged.
	Proposals []Proposal
}

// Proposal is a merge the register proposes and does not make.
type Proposal struct {
	// ID is the other organ.
	ID string
	// Match and Reason are Compare's verdict on the closest pair of names
	// (or the shared organ code), with the evidence against or missing.
	Match  Match
	Reason string
	// Confirm says what would confirm the merge.
	Confirm string
}

// confirmHint is what confirms a proposed merge.
const confirmHint = "the same organ code on reports of both, reports of both on one site, or an alias in the config (agencies:)"

// Resolve decides which organ a sighting belongs to. cands are the
// registered organs that share the sighting's stem (Stem), its organ code,
// or a rule with it, oldest first; rules may be nil.
//
// The rules, in order:
//
//   - A configuration rule that names the sighting's name (its name, an
//     alias or a former name, compared written out), or lists its organ
//     code, decides: the organ bound to the rule, or a new one for it.
//   - Otherwise an organ is the same when a name of it relates to the
//     sighting's name (Compare) and something else agrees: the same name
//     once normalised (notes such as （本级） aside) on the same site (or
//     where either site is unknown, as for a local import), with
//     the same valid organ code, or naming at least two divisions (淮安市
//     洪泽区人民政府 is one organ wherever it is found); a name that only
//     adds or drops parent divisions (ParentDivision) or is a common
//     abbreviation of it (Abbreviation) on the same site or with the same
//     valid organ code. Two valid organ codes that differ keep two organs
//     apart whatever their names.
//   - When several organs qualify, the closest name wins, then the code,
//     then the site, then the oldest organ; the others are proposed.
//   - Anything else that relates (names that relate on different sites,
//     without codes; the same valid organ code under different names) is
//     proposed, with the reason and what would confirm it.
//
// A code is evidence only when it passes ValidCode: sites also print
// 索引号 prefixes of their own making.
func Resolve(s Sighting, cands []Organ, rules *Rules) Decision {
	if r := rules.Match(s.Name, s.Code); r != nil {
		for _, c := range cands {
			if c.Rule == r.Name {
				return Decision{ID: c.ID, Rule: r.Name, Match: Same, Reason: fmt.Sprintf("configuration: %s", r.says(s.Name))}
			}
		}
		return Decision{Rule: r.Name, Match: Same, Reason: fmt.Sprintf("configuration: %s (a new organ)", r.says(s.Name))}
	}
	type scored struct {
		i          int
		match      Match
		why        string
		code, site bool
	}
	var merge []scored
	var props []Proposal
	code := ""
	if ValidCode(s.Code) {
		code = s.Code
	}
	divided := Division(s.Name) != ""
	for i, c := range cands {
		best, why, with := Different, "", ""
		for _, n := range c.Names {
			if m, w := Compare(s.Name, n); m > best || with == "" {
				best, why, with = m, w, n
				if m == Same {
					break
				}
			}
		}
		codeAgree, codeConflict := false, false
		if code != "" {
			valid := 0
			for _, cc := range c.Codes {
				if !ValidCode(cc) {
					continue
				}
				valid++
				if SameOrgan(code, cc) {
					codeAgree = true
				}
			}
			codeConflict = valid > 0 && !codeAgree
		}
		// A site agrees when the organ's reports were found on it, or when
		// either side's site is unknown (a local import): nothing says
		// they differ.
		siteAgree := s.Site == "" || len(c.Sites) == 0 || slices.Contains(c.Sites, s.Site)
		switch {
		case codeConflict:
			if best > Different && (divided || siteAgree) {
				props = append(props, Proposal{ID: c.ID, Match: best,
					Reason:  fmt.Sprintf("%s, but the organ codes differ (%s; %s)", why, code, strings.Join(c.Codes, ", ")),
					Confirm: "an alias in the config (agencies:), if a code is wrong"})
			}
		case best == Same && (siteAgree || codeAgree || len(Divisions(s.Name)) >= 2),
			best > Different && (siteAgree || codeAgree):
			merge = append(merge, scored{i, best, why, codeAgree, siteAgree})
		case best > Different && divided && Division(with) != "":
			props = append(props, Proposal{ID: c.ID, Match: best, Reason: why + ", on different sites and without a shared organ code", Confirm: confirmHint})
		case best == Different && codeAgree:
			props = append(props, Proposal{ID: c.ID, Match: Different,
				Reason:  fmt.Sprintf("the same organ code %s under different names (%s; %s): renamed?", code, Normalize(s.Name), strings.Join(c.Names, ", ")),
				Confirm: "a rename in the config (agencies: renamed_from with the year), or an alias"})
		}
	}
	if len(merge) == 0 {
		return Decision{Match: Same, Reason: "no registered organ is the same (a new organ)", Proposals: props}
	}
	slices.SortStableFunc(merge, func(a, b scored) int {
		switch {
		case a.match != b.match:
			return int(b.match) - int(a.match)
		case a.code != b.code:
			return boolCmp(b.code, a.code)
		case a.site != b.site:
			return boolCmp(b.site, a.site)
		}
		return a.i - b.i
	})
	w := merge[0]
	d := Decision{ID: cands[w.i].ID, Match: w.match, Reason: w.why + evidence(w.match, w.code, w.site)}
	for _, o := range merge[1:] {
		d.Proposals = append(d.Proposals, Proposal{ID: cands[o.i].ID, Match: o.match,
			Reason:  o.why + evidence(o.match, o.code, o.site) + "; the report went to " + cands[w.i].ID,
			Confirm: "an alias in the config (agencies:) to make them one organ"})
	}
	d.Proposals = append(d.Proposals, props...)
	return d
}

// evidence says what confirmed a name match.
func evidence(m Match, code, site bool) string {
	switch {
	case code && site:
		return "; the same organ code and site"
	case code:
		return "; the same organ code"
	case site:
		return "; the same site"
	case m == Same:
		return "; a name with its divisions"
	}
	return ""
}

func boolCmp(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}

// Relate says whether two registered organs may be one: a's names, codes
// and sites are each tried against b as Resolve would try a new report.
// It returns the strongest relation found as a proposal for b: one that
// Resolve would merge now (the organs were registered before the evidence
// joined them) or would propose. ok is false when nothing relates them.
func Relate(a, b Organ) (Proposal, bool) {
	codes, sites := a.Codes, a.Sites
	if len(codes) == 0 {
		codes = []string{""}
	}
	if len(sites) == 0 {
		sites = []string{""}
	}
	var best Proposal
	found, strong := false, false
	for _, n := range a.Names {
		for _, c := range codes {
			for _, s := range sites {
				d := Resolve(Sighting{Name: n, Code: c, Site: s}, []Organ{b}, nil)
				switch {
				case d.ID == b.ID:
					p := Proposal{ID: b.ID, Match: d.Match, Reason: d.Reason + " (the two were registered before anything joined them)",
						Confirm: "an alias in the config (agencies:), or 'nianbao reparse' with the config"}
					if !strong || p.Match > best.Match {
						best, found, strong = p, true, true
					}
				case !strong:
					for _, p := range d.Proposals {
						if p.ID == b.ID && (!found || p.Match > best.Match) {
							best, found = p, true
						}
					}
				}
			}
		}
	}
	return best, found
}
