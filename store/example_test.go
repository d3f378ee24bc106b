package store_test

import (
	"context"
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

	r := &parser.Report{Agency: "平潭综合实验区行政审批局", AgencySource: parser.IdentityTitle, Year: 2023, Format: parser.Format2021, Cells: []parser.Cell{
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

// The agency register: reports are keyed by their organ, whatever name
// they print; pages that name no organ stay apart.
func ExampleDB_ForEachAgency() {
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

	put := func(url, agency string, source parser.IdentitySource, year int, received string) {
		r := &parser.Report{Agency: agency, AgencySource: source, Year: year, Format: parser.Format2021,
			Cells: []parser.Cell{{Table: "t3", Row: "new_received", Column: "total", Value: received, Raw: received}}}
		c := store.Capture{URL: url, Status: 200, Site: "洪泽区"}
		if _, err := db.PutDocuments([]store.Document{{Capture: c, Body: []byte(url), Report: r}}); err != nil {
			log.Fatal(err)
		}
	}
	put("https://www.hongze.gov.cn/nb/2023.html", "洪泽区人民政府", parser.IdentityTitle, 2023, "21")
	put("https://www.hongze.gov.cn/nb/2024.html", "淮安市洪泽区人民政府", parser.IdentityHeading, 2024, "95")
	put("https://www.hongze.gov.cn/nb/bm/1.html", "洪泽区", parser.IdentityConfig, 2024, "3") // names no organ

	ctx := context.Background()
	// Iterate the organs; look one up by any name it printed.
	_ = db.ForEachAgency(ctx, func(a *store.Agency) error {
		fmt.Println(a.ID, a.Name, a.Years, len(a.Names), "names")
		return nil
	})
	ids, _, _ := db.LookupAgencies("洪泽区人民政府")
	// Read an organ's reports by year.
	_ = db.ForEachReport(ctx, store.Filter{AgencyID: ids[0], LatestOnly: true}, func(rec *store.ReportRecord) error {
		cell, _ := rec.Latest().Report.Cell("t3", "new_received", "total")
		fmt.Println(rec.Year, rec.Agency, cell.Value)
		return nil
	})
	// List the reports whose organ is unidentified, with their page.
	_ = db.ForEachReport(ctx, store.Filter{Status: "unidentified"}, func(rec *store.ReportRecord) error {
		fmt.Println(rec.AgencyID, rec.Identified, rec.Site, rec.Year, rec.URL)
		return nil
	})
	// Output:
	// a:8aa7933537f5 淮安市洪泽区人民政府 [2023 2024] 2 names
	// 2023 洪泽区人民政府 21
	// 2024 淮安市洪泽区人民政府 95
	// u:ae6ca794616b78b2 false 洪泽区 2024 https://www.hongze.gov.cn/nb/bm/1.html
}
