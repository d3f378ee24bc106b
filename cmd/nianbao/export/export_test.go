package export

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"testing"
)

func TestCSVWriter_MatchesEncodingCSV(t *testing.T) {
	fields := []string{"", "a", "a,b", `say "hi"`, " lead", "\tx", "line\nbreak", "cr\r", `\.`, "平潭", "'-"}
	var got bytes.Buffer
	bw := bufio.NewWriter(&got)
	if err := NewCSVWriter(bw).Write(fields); err != nil {
		t.Fatal(err)
	}
	bw.Flush()
	var want bytes.Buffer
	cw := csv.NewWriter(&want)
	cw.Write(fields)
	cw.Flush()
	if got.String() != want.String() {
		t.Errorf("CSVWriter = %q, encoding/csv = %q", got.String(), want.String())
	}
}
