package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"strings"
	"testing"
)

func TestRun(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name    string
		args    []string
		wantErr string
		wantOut string
	}{
		{"ErrNoCommand", nil, "no command given", "usage: stacks <command>"},
		{"ErrUnknown", []string{"frobnicate"}, `unknown command "frobnicate"`, "tui"},
		{"ErrBadAPI", []string{"tui", "--api", "127.0.0.1:8080"}, "--api wants an http:// or https:// URL", ""},
		{"ErrArgs", []string{"tui", "extra"}, "tui takes no arguments", ""},
		{"ErrBadFlag", []string{"tui", "--nope"}, "flag provided but not defined", "-api"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			err := run(ctx, tc.args, &out, &errOut)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("err = %v, want %q", err, tc.wantErr)
			}
			if !strings.Contains(errOut.String(), tc.wantOut) {
				t.Errorf("stderr = %q, want %q in it", errOut.String(), tc.wantOut)
			}
		})
	}
	t.Run("Help", func(t *testing.T) {
		var out, errOut bytes.Buffer
		if err := run(ctx, []string{"help"}, &out, &errOut); !errors.Is(err, flag.ErrHelp) {
			t.Fatalf("err = %v", err)
		}
	})
}
