package main

import (
	"context"
	"fmt"
	"os"
)

// runAsNianbao lets the test binary stand in for nianbao: with
// NIANBAO_TEST_MAIN=1 it runs the command line instead of the tests, so
// that a command which starts nianbao as a child process (bench runs
// os.Executable()) can be tested. TestMain (crash_test.go) calls it first.
func runAsNianbao() {
	if os.Getenv("NIANBAO_TEST_MAIN") != "1" {
		return
	}
	err := run(context.Background(), os.Args[1:], os.Stdout, os.Stderr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "nianbao:", errorMessage(err))
	}
	os.Exit(exitCode(err))
}
