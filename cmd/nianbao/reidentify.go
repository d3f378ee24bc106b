package main

import (
	"context"
	"errors"
	"fmt"

	"nianbao/parser"
	"nianbao/store"
)

// identityCounts are the outcomes of reparse's identity pass.
type identityCounts struct {
	versions int // versions whose capture was parsed again
	unread   int // versions whose capture could not be read or parsed (kept as they are)
	res      store.ReidentifyResult
}

// reidentify is reparse's first pass (issue 12): the capture of every
// stored version is parsed again and the agency register decides the
// version's organ anew from what this parser reads (store.Reidentify), so
// that an archive whose reports were stacked under a site's name, or
// keyed by names the register now knows to be one organ, is repaired
// without crawling. The versions' numbers are not touched: the second pass
// stores changed numbers as new versions. A dry run only counts the
// versions that would move.
func (rp *reparser) reidentify(ctx context.Context) (identityCounts, error) {
	var ic identityCounts
	type ref struct {
		id      string
		year, n int
		capture string
	}
	var refs []ref
	err := rp.db.VersionCaptures(ctx, func(id string, year, n int, captures []string) error {
		if len(captures) > 0 {
			refs = append(refs, ref{id, year, n, captures[0]})
		}
		return nil
	})
	if err != nil {
		return ic, fmt.Errorf("read versions: %w", err)
	}
	// The captures are read and parsed on rp.workers goroutines; what each
	// gives is decided here, in version order.
	type read struct {
		c   store.Capture
		r   *parser.Report
		err error // store errors other than a missing or damaged capture
	}
	var items []store.Reidentified
	err = forEachOrdered(ctx, len(refs), rp.workers, func(i int) read {
		v := refs[i]
		c, err := rp.db.Capture(v.capture)
		if errors.Is(err, store.ErrNotFound) {
			return read{}
		} else if err != nil {
			return read{err: err}
		}
		body, err := rp.db.CaptureBody(v.capture)
		if errors.Is(err, store.ErrCorrupt) || errors.Is(err, store.ErrNotFound) {
			return read{}
		} else if err != nil {
			return read{err: err}
		}
		r, err := rp.gate.Parse(body, parser.Source{URL: c.URL, FetchedAt: c.FetchedAt, ContentType: c.ContentType,
			Agency: c.Agency, Title: c.Title, LinkText: c.LinkText, Published: c.Published})
		if err != nil {
			return read{}
		}
		return read{c: c, r: r}
	}, func(i int, rd read) error {
		v := refs[i]
		if rd.err != nil {
			return rd.err
		}
		if rd.r == nil {
			ic.unread++
			return nil
		}
		c, r := rd.c, rd.r
		ic.versions++
		// Only the identity is kept: the cells are the second pass's.
		slim := &parser.Report{Agency: r.Agency, AgencySource: r.AgencySource, Year: r.Year, YearSource: r.YearSource,
			OrganCode: r.OrganCode, Title: r.Title, SourceURL: r.SourceURL}
		if slim.Year <= 0 {
			slim.Year = v.year // the year the archive holds it under, as no better one is read
		}
		if rp.dryRun {
			id, _, _, err := rp.db.Resolve(slim, c.Site, c.URL)
			if err != nil {
				return err
			}
			if id != v.id || slim.Year != v.year {
				ic.res.Moved++
			}
			return nil
		}
		items = append(items, store.Reidentified{AgencyID: v.id, Year: v.year, N: v.n, Report: slim})
		return nil
	})
	if err != nil {
		return ic, err
	}
	if rp.dryRun {
		return ic, nil
	}
	ic.res, err = rp.db.Reidentify(ctx, items)
	return ic, err
}
