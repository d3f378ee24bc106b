package panel

import (
	"math/big"
	"strconv"
	"strings"
)

// dec is an exact decimal: an integer number of 1/10,000ths. The cells'
// values are canonical decimal strings ("10", "7730.28", "-3"); sums of
// them are exact. A value with more than four decimals or more than twelve
// integer digits is not representable (no count comes near), and an
// indicator that needs it is not computed, with the reason.
type dec int64

const decScale = 10000

// parseDec parses a canonical decimal.
func parseDec(s string) (dec, bool) {
	intPart, frac, _ := strings.Cut(s, ".")
	digits := strings.TrimLeft(intPart, "+-")
	if len(frac) > 4 || digits == "" || len(digits) > 12 {
		return 0, false
	}
	i, err := strconv.ParseInt(intPart, 10, 64)
	if err != nil {
		return 0, false
	}
	f := int64(0)
	if frac != "" {
		if f, err = strconv.ParseInt((frac + "0000")[:4], 10, 64); err != nil || f < 0 {
			return 0, false
		}
	}
	if strings.HasPrefix(intPart, "-") {
		return dec(i*decScale - f), true
	}
	return dec(i*decScale + f), true
}

// String formats d as a canonical decimal (no trailing zeros).
func (d dec) String() string {
	neg := d < 0
	if neg {
		d = -d
	}
	s := strconv.FormatInt(int64(d/decScale), 10)
	if f := int64(d % decScale); f != 0 {
		s += "." + strings.TrimRight(strconv.FormatInt(f+decScale, 10)[1:], "0")
	}
	if neg {
		s = "-" + s
	}
	return s
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
