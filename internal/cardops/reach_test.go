package cardops

import (
	"context"
	"errors"
	"fmt"
	"net"
	"testing"

	"go.temporal.io/api/serviceerror"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

func TestUnreachableCauseNamesTheConnectionError(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	_ = ln.Close()
	if got := UnreachableCause(closed, errors.New("health check error: transport is closing")); got != "connect: connection refused" {
		t.Errorf("closed port: %q", got)
	}
	open, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer open.Close()
	slow := fmt.Errorf("health check error: %w", status.Error(codes.DeadlineExceeded, "context deadline exceeded"))
	if got := UnreachableCause(open.Addr().String(), slow); got != slowAnswer {
		t.Errorf("a slow answer from a listening server: %q, want %q", got, slowAnswer)
	}
	if got := UnreachableCause(open.Addr().String(), context.DeadlineExceeded); got != slowAnswer {
		t.Errorf("deadline: %q", got)
	}
}

func TestIsTransient(t *testing.T) {
	if !IsTransient(serviceerror.NewUnavailable("connection refused")) {
		t.Error("Unavailable is transient")
	}
	if IsTransient(serviceerror.NewNotFound("no such workflow")) || IsTransient(errors.New("bad input")) {
		t.Error("an answer is not transient")
	}
}
