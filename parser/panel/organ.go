package panel

import (
	"regexp"
	"strings"

	"nianbao/parser"
)

// OrganType is the kind of organ, which decides the statutory deadline.
type OrganType string

// Organ types.
const (
	// Department is a 县级以上人民政府的部门 (局, 委, 办, 厅…): due 31 January
	// from statistics year 2019 (条例 2019 art. 49).
	Department OrganType = "department"
	// Government is a 县级以上地方人民政府 (its own report, usually for the
	// whole area): due 31 March (art. 49).
	Government OrganType = "government"
	// Township is a 乡镇人民政府 or 街道办事处: no national deadline.
	Township OrganType = "township"
	// Other is any other organ (派出机构, 管委会, 事业单位, courts…): no
	// national deadline.
	Other OrganType = "other"
)

// Organ is an organ type with the rule that decided it, in words.
type Organ struct {
	Type OrganType
	Rule string
}

var (
	reTownship   = regexp.MustCompile(`(?:镇|乡|街道|苏木)(?:人民政府|政府|办事处|办)?$`)
	reGovernment = regexp.MustCompile(`(?:省|市|区|县|旗|州|盟)(?:人民)?政府$`)
	reGovOffice  = regexp.MustCompile(`(?:人民)?政府办公(?:室|厅)$`)
	reAgencyArm  = regexp.MustCompile(`(?:管委会|管理委员会|片区管理局|园区管理局|分局|派出所)$`)
	reDepartment = regexp.MustCompile(`(?:局|委员会|委|办公室|办公厅|办|厅|署|部)$`)
)

// ClassifyOrgan infers an organ's type from its name (and, for a
// government office, from the report's scope). The rules, in order:
//
//   - ends in 镇/乡/街道/苏木 (+ 人民政府/政府/办事处): Township;
//   - ends in 省/市/区/县/旗/州/盟 + (人民)政府: Government;
//   - ends in (人民)政府办公室/办公厅: Government when the report totals
//     the area (scope aggregate: the office publishing the government's
//     report), else Department (the office's own report: it is a
//     department of the government);
//   - ends in 管委会/管理委员会/片区管理局/园区管理局/分局/派出所: Other
//     (派出机构 and zone authorities);
//   - a unit of a 镇 or 街道 ("…镇综合执法办"): Other;
//   - ends in 局/委员会/委/办公室/办/厅/署/部: Department;
//   - anything else (中心, 院, 所, 站, 队…): Other.
//
// The name is the report's, which may lack the area (Department then
// assumes 县级以上, as almost every department with a website is).
// Callers with better knowledge (the register, the configuration) set
// Entry.Organ instead.
func ClassifyOrgan(name string, scope parser.Scope) Organ {
	n := strings.Join(strings.Fields(name), "")
	switch {
	case n == "":
		return Organ{Other, "no name"}
	case reTownship.MatchString(n):
		return Organ{Township, "name ends in 镇/乡/街道: 乡镇人民政府 or 街道办事处"}
	case reGovernment.MatchString(n):
		return Organ{Government, "name ends in 省/市/区/县 人民政府: 县级以上地方人民政府"}
	case reGovOffice.MatchString(n) && scope == parser.ScopeAggregate:
		return Organ{Government, "政府办公室 publishing a report that totals the area (scope aggregate): the government's report"}
	case reGovOffice.MatchString(n):
		return Organ{Department, "政府办公室's own report (scope self): a department of the government"}
	case reAgencyArm.MatchString(n):
		return Organ{Other, "name ends in 管委会/片区管理局/分局/派出所: 派出机构 or zone authority"}
	case inTownship(n):
		return Organ{Other, "a unit of a 镇 or 街道"}
	case reDepartment.MatchString(n):
		return Organ{Department, "name ends in 局/委/办/厅: a department of 县级以上人民政府"}
	}
	return Organ{Other, "no rule matched the name"}
}

// inTownship reports whether name is a unit of a 镇 or 街道: 镇 or 街道 with
// at least two characters after it, where 镇 is not part of 乡镇, 城镇 or
// 村镇 ("…市乡镇企业局" is a department).
func inTownship(name string) bool {
	r := []rune(name)
	for i := 1; i < len(r)-2; i++ {
		switch {
		case r[i] == '镇' && !strings.ContainsRune("乡城村集", r[i-1]):
			return true
		case r[i] == '街' && r[i+1] == '道' && i+3 < len(r):
			return true
		}
	}
	return false
}
