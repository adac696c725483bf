// Command ferretdb serves the MongoDB wire protocol for the local data plane, backed by its own
// database in the data plane's PostgreSQL (FerretDB's `postgresql` handler).
//
// FerretDB's own cmd/ferretdb cannot be used from the module proxy: it panics at startup unless
// build/version/version.txt, generated from FerretDB's git checkout, is embedded, and the module
// zip does not carry that file (nor may a build overlay replace files in the module cache).
// The embeddable package runs the same handler and listener without that check.
// `scripts/dataplane install` builds this file against the FerretDB version in versions.json.
//
// The PostgreSQL URL holds a password, so it is read from a file (mode 0600) rather than taken
// on the command line, where `ps` would show it.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/FerretDB/FerretDB/ferretdb"
)

func main() {
	listenAddr := flag.String("listen-addr", "127.0.0.1:27017", "TCP address to listen on")
	urlFile := flag.String("postgresql-url-file", "", "file holding the PostgreSQL URL of FerretDB's own database, e.g. postgres://ferretdb:pw@127.0.0.1:5432/ferretdb?pool_max_conns=200")
	logLevel := flag.String("log-level", "info", "debug, info, warn or error")
	flag.Parse()

	if *urlFile == "" {
		fmt.Fprintln(os.Stderr, "ferretdb: --postgresql-url-file is required, for example --postgresql-url-file=/run/ferretdb/postgresql.url")
		os.Exit(2)
	}
	raw, err := os.ReadFile(*urlFile)
	if err != nil {
		fmt.Fprintf(os.Stderr, "ferretdb: cannot read --postgresql-url-file %q: %v\n", *urlFile, err)
		os.Exit(2)
	}
	pgURL := strings.TrimSpace(string(raw))
	u, err := url.Parse(pgURL)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") || u.Host == "" {
		fmt.Fprintf(os.Stderr, "ferretdb: %s does not hold a postgres:// URL with a host; write one such as postgres://ferretdb:pw@127.0.0.1:5432/ferretdb\n", *urlFile)
		os.Exit(2)
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		fmt.Fprintf(os.Stderr, "ferretdb: --log-level %q: %v (use debug, info, warn or error)\n", *logLevel, err)
		os.Exit(2)
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	// Logged without the password.
	shown := u.Redacted()

	f, err := ferretdb.New(&ferretdb.Config{
		Listener:      ferretdb.ListenerConfig{TCP: *listenAddr},
		Logger:        logger,
		Handler:       "postgresql",
		PostgreSQLURL: pgURL,
	})
	if err != nil {
		logger.Error("cannot start FerretDB", "listen-addr", *listenAddr, "postgresql-url", shown, "error", err)
		os.Exit(1)
	}

	// SIGTERM from `dataplane down` closes the listener and the connection pool cleanly.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	logger.Info("FerretDB listening", "addr", *listenAddr, "postgresql-url", shown)
	if err := f.Run(ctx); err != nil {
		logger.Error("FerretDB stopped with an error", "error", err)
		os.Exit(1)
	}
}
