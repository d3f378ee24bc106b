package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"runtime/debug"
	"sort"
	"strings"

	"nianbao/store"
)

// version is set with -ldflags "-X main.version=…".
var version = ""

// command is one subcommand: its one-line summary and its entry point.
type command struct {
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

// commands returns the subcommands by name. Each lives in its own file.
func commands() map[string]command {
	return map[string]command{
		"parse":    {"parse report files (HTML, text, PDF, DOCX) and print JSON or CSV", runParse},
		"version":  {"print the version", runVersion},
		"crawl":    {"crawl the configured sites once and archive their reports", runCrawl},
		"demo":     {"crawl a bundled sample portal offline and show what was found", runDemo},
		"export":   {"export the archive: tidy/wide CSV, reports, JSON lines or WARC", runExport},
		"diff":     {"compare an agency's reports across years or stored versions", runDiff},
		"reparse":  {"re-parse every archived body with this parser; store changed numbers as new versions", runReparse},
		"ls":       {"list archived reports: organ, agency_id, versions, format, check status", runLs},
		"agencies": {"list the agency register: organs, their names over time, codes, sites; --proposed merges", runAgencies},
		"backup":   {"write a consistent copy of the archive", runBackup},
		"check":    {"verify the archive (file, report versions, every body's outcome); --repair settles what lacks one", runCheck},
		"serve":    {"crawl on the config's schedule and serve a read-only web view, API and metrics", runServe},
		"bench":    {"measure ls, diff, export and reparse on a generated archive of N reports", runBench},
	}
}

// run dispatches args to a subcommand.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cmds := commands()
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stdout, cmds)
		if len(args) == 0 {
			return usageError{msg: "no command given"}
		}
		return nil
	}
	c, ok := cmds[args[0]]
	if !ok {
		return usageError{msg: fmt.Sprintf("unknown command %q", args[0]), hint: "run 'nianbao help' for the list of commands"}
	}
	return c.run(ctx, args[1:], stdout, stderr)
}

func usage(w io.Writer, cmds map[string]command) {
	fmt.Fprintln(w, "nianbao: an archive of 政府信息公开工作年度报告")
	fmt.Fprintln(w, "\nUsage: nianbao <command> [flags]\n\nCommands:")
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-9s %s\n", n, cmds[n].summary)
	}
	fmt.Fprintln(w, "\nRun 'nianbao <command> -h' for a command's flags and exit statuses.")
}

func runVersion(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	v := version
	if v == "" {
		if bi, ok := debug.ReadBuildInfo(); ok {
			v = bi.Main.Version
		}
	}
	fmt.Fprintln(stdout, "nianbao", v)
	return nil
}

// usageError is a mistake in the command line; exit status 2.
type usageError struct {
	msg  string
	hint string
}

func (e usageError) Error() string {
	if e.hint == "" {
		return e.msg
	}
	return e.msg + " (" + e.hint + ")"
}

// partialError says the command did its work but some items failed; exit
// status 3.
type partialError struct{ err error }

func (e partialError) Error() string { return e.err.Error() }
func (e partialError) Unwrap() error { return e.err }

// errSilent marks an error whose message was already printed.
var errSilent = errors.New("")

// Exit statuses, listed in every subcommand's help.
const (
	exitOK          = 0
	exitFailure     = 1
	exitUsage       = 2
	exitPartial     = 3
	exitLocked      = 4
	exitInterrupted = 130
)

// exitCode maps an error to the process exit status, in one place.
func exitCode(err error) int {
	var ue usageError
	var pe partialError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &ue):
		return exitUsage
	case errors.Is(err, store.ErrLocked):
		return exitLocked
	case errors.Is(err, context.Canceled):
		return exitInterrupted
	case errors.As(err, &pe):
		return exitPartial
	}
	return exitFailure
}

func errorMessage(err error) string {
	if errors.Is(err, errSilent) {
		return ""
	}
	return strings.TrimSpace(err.Error())
}

// parseFlags parses a subcommand's flags. done is true when the command
// must return at once, with err: nil after -h (the help was printed), a
// usageError for a bad flag.
func parseFlags(fs *flag.FlagSet, args []string) (done bool, err error) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return true, nil
		}
		return true, usageError{msg: err.Error()}
	}
	return false, nil
}

// buildVersion is the version runVersion prints.
func buildVersion() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return bi.Main.Version
	}
	return "(devel)"
}
