package store_test

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"nianbao/parser"
	"nianbao/store"
)

func ExampleDB_PutReport() {
	dir, err := os.MkdirTemp("", "nianbao-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	db, err := store.Open(filepath.Join(dir, "nianbao.db"), nil)
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()

	page := []byte("<html>…2023年政府信息公开工作年度报告…</html>")
	c := store.Capture{URL: "https://www.pingtan.gov.cn/zwgk/2024/01/86659.html", Status: 200, ContentType: "text/html"}
	if _, err := db.PutCapture(c, page); err != nil {
		log.Fatal(err)
	}
	sum := sha256.Sum256(page)
	capture := hex.EncodeToString(sum[:]) // captures are keyed by SHA-256

	r := &parser.Report{Agency: "平潭综合实验区行政审批局", Year: 2023, Format: parser.Format2021, Cells: []parser.Cell{
		{Table: "t3", Row: "new_received", Column: "total", Value: "7", Raw: "7"},
	}}
	res, _ := db.PutReport(r, []string{capture}, "")
	fmt.Printf("v%d created=%v changed=%v\n", res.Version, res.Created, res.Changed)

	r.Cells[0].Raw = "７" // the same number printed in full width
	res, _ = db.PutReport(r, []string{capture}, "")
	fmt.Printf("v%d created=%v changed=%v\n", res.Version, res.Created, res.Changed)

	r.Cells[0].Value, r.Cells[0].Raw = "8", "8" // a corrected number
	res, _ = db.PutReport(r, []string{capture}, "")
	fmt.Printf("v%d created=%v changed=%v\n", res.Version, res.Created, res.Changed)

	rec, _ := db.Report("平潭综合实验区行政审批局", 2023)
	for _, v := range rec.Versions {
		cell, _ := v.Report.Cell("t3", "new_received", "total")
		fmt.Printf("version %d: new_received.total = %s\n", v.N, cell.Value)
	}
	// Output:
	// v1 created=true changed=true
	// v1 created=false changed=false
	// v2 created=false changed=true
	// version 1: new_received.total = 7
	// version 2: new_received.total = 8
}
