// Package agency holds the name logic of the agency register: how two
// printed names of administrative organs are compared, and how organ codes
// are normalised.
//
// The same organ is printed under different names across years and pages:
// with or without its parent divisions (淮安市洪泽区人民政府 and 洪泽区人民政府),
// with notes (（本级）), abbreviated (衡阳市人防办 for 衡阳市人民防空办公室). Compare
// grades how close two names are (Same, ParentDivision, Abbreviation,
// Different) and says why; it never decides that two organs are one. The
// register merges two names only when something else agrees (an organ code,
// the site) and otherwise proposes the merge.
//
// Organ codes come from the 索引号 of report pages: a 9-character
// organisation code (GB 11714, "01424668-5" or "014246685") or an
// 18-character unified social credit code (GB 32100), whose characters 9 to
// 17 are the organisation code. OrgCode reduces either to the 9-character
// code so that the two forms of one organ's code compare equal.
//
// The register's decision is here too, without its storage: Stem is the
// form under which names that may be one organ meet, Resolve decides which
// registered organ a report's printed organ belongs to (or proposes a
// merge it cannot confirm), and Rules are the configuration's statements
// (aliases, renames with their year, mergers and splits) that come first.
// The store keeps the organs and calls Resolve inside its write
// transaction.
//
// The package is pure: no I/O, no globals beyond constant tables, no
// logging. It imports no project package.
package agency
