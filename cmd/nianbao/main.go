// Command nianbao crawls, parses, archives, exports and diffs Chinese
// government information-disclosure annual reports (政府信息公开工作年度报告).
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		if msg := errorMessage(err); msg != "" {
			fmt.Fprintln(os.Stderr, "nianbao:", msg)
		}
	}
	os.Exit(exitCode(err))
}
