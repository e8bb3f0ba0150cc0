// Command gantry deploys pipelines to production safely and keeps them
// healthy there. See README.md.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/gantryhq/gantry/internal/app"
	"github.com/gantryhq/gantry/internal/cli"
)

func main() {
	app.RunTaskGuardIfAsked()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
