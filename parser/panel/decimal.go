package panel

import (
	"math/big"
	"strings"

	"nianbao/parser"
)

// dec is an exact decimal: parser.Decimal, an integer number of
// 1/10,000ths. The cells' values are canonical decimal strings ("10",
// "7730.28", "-3"); sums of them are exact. A value with more than four
// decimals or more than twelve integer digits is not accepted here (no
// count comes near, and products of two stay within int64), and an
// indicator that needs it is not computed, with the reason.
type dec = parser.Decimal

const decScale = parser.DecimalScale

// parseDec parses a canonical decimal of at most twelve integer digits.
func parseDec(s string) (dec, bool) {
	intPart, _, _ := strings.Cut(s, ".")
	if digits := strings.TrimLeft(intPart, "+-"); digits == "" || len(digits) > 12 {
		return 0, false
	}
	return parser.ParseDecimal(s)
}

// RateDecimals is the number of decimals a rate is rounded to.
const RateDecimals = 4

// rate returns num ÷ den rounded half away from zero to RateDecimals
// decimals ("0.4286"), computed exactly (math/big) from the two exact
// decimals; den must not be 0.
func rate(num, den dec) string {
	r := new(big.Rat).SetFrac(big.NewInt(int64(num)), big.NewInt(int64(den)))
	return r.FloatString(RateDecimals)
}
