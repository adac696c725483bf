// Command ferretdb serves the MongoDB wire protocol for the local data plane, backed by SQLite.
//
// FerretDB's own cmd/ferretdb cannot be used from the module proxy: it panics at startup unless
// build/version/version.txt, generated from FerretDB's git checkout, is embedded, and the module
// zip does not carry that file (nor may a build overlay replace files in the module cache).
// The embeddable package runs the same handler and listener without that check.
// `scripts/dataplane install` builds this file against the FerretDB version in versions.json.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/FerretDB/FerretDB/ferretdb"
)

func main() {
	listenAddr := flag.String("listen-addr", "127.0.0.1:27017", "TCP address to listen on")
	sqliteURL := flag.String("sqlite-url", "", "SQLite URI of the data directory, with a trailing slash (file:/abs/dir/)")
	logLevel := flag.String("log-level", "info", "debug, info, warn or error")
	flag.Parse()

	if *sqliteURL == "" {
		fmt.Fprintln(os.Stderr, "ferretdb: --sqlite-url is required, for example --sqlite-url=file:/var/lib/ferretdb/")
		os.Exit(2)
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		fmt.Fprintf(os.Stderr, "ferretdb: --log-level %q: %v (use debug, info, warn or error)\n", *logLevel, err)
		os.Exit(2)
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))

	f, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{TCP: *listenAddr},
		Logger:    logger,
		Handler:   "sqlite",
		SQLiteURL: *sqliteURL,
	})
	if err != nil {
		logger.Error("cannot start FerretDB", "listen-addr", *listenAddr, "sqlite-url", *sqliteURL, "error", err)
		os.Exit(1)
	}

	// SIGTERM from `dataplane down` closes the listener and the SQLite files cleanly.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	logger.Info("FerretDB listening", "addr", *listenAddr, "sqlite-url", *sqliteURL)
	if err := f.Run(ctx); err != nil {
		logger.Error("FerretDB stopped with an error", "error", err)
		os.Exit(1)
	}
}
