package demo_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"stacks/branch"
	"stacks/node/demo"
	"stacks/replicate"
	"stacks/replicate/replicatetest"
)

func TestDemoLibrary(t *testing.T) {
	ctx := context.Background()
	db, err := replicate.OpenDB(ctx, filepath.Join(t.TempDir(), "demo.db"), branch.Migrations())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	lg := replicate.NewLog(db, replicate.DefaultConfig(42), branch.Applier{})
	if err := lg.Open(ctx); err != nil {
		t.Fatal(err)
	}
	defer lg.Close()
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	st, err := demo.Load(ctx, lg, demo.Options{PINCost: 4, Rand: replicatetest.NewRand(1), Now: now, Location: time.UTC})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%+v", st)
	if st.Titles < 2000 || st.Patrons < 200 || st.Items < 2000 || st.Loans < 100 || st.Holds < 20 || st.Returns < 20 {
		t.Fatalf("demo too small: %+v", st)
	}
	cfg := branch.DefaultConfig("MAIN")
	cfg.Clock, cfg.Location = fixed(now), time.UTC
	svc, err := branch.NewService(lg, cfg)
	if err != nil {
		t.Fatal(err)
	}
	// Several formats, item types, categories; the demo logins work.
	formats := map[string]bool{}
	bs, _ := svc.SearchBiblios(ctx, "", "", 500, 0)
	for off := 0; len(bs) > 0; off += 500 {
		for _, b := range bs {
			formats[b.Format] = true
		}
		bs, _ = svc.SearchBiblios(ctx, "", "", 500, off+500)
	}
	for _, f := range []string{"book", "ebook", "music_cd", "audiobook", "dvd", "score", "map", "serial"} {
		if !formats[f] {
			t.Errorf("no %s titles (have %v)", f, formats)
		}
	}
	for _, login := range [][2]string{{demo.AdminUser, demo.AdminPassword}, {demo.KioskUser, demo.KioskPassword}, {demo.SupervisorUser, demo.SupervisorPassword}} {
		if _, err := svc.Authenticate(ctx, login[0], login[1]); err != nil {
			t.Errorf("login %s: %v", login[0], err)
		}
	}
	if _, err := svc.CheckPIN(ctx, "21000000000001", demo.PatronPIN); err != nil {
		t.Errorf("demo PIN: %v", err)
	}
	rules, _ := svc.Rules(ctx)
	cats, _ := svc.Categories(ctx)
	if len(rules) < 5 || len(cats) < 3 {
		t.Errorf("%d rules, %d categories", len(rules), len(cats))
	}
	var fees int
	db.Read().QueryRow(`SELECT count(*) FROM fees`).Scan(&fees)
	if fees == 0 {
		t.Error("no fines in the demo")
	}
}

type fixed time.Time

func (f fixed) Now() time.Time { return time.Time(f) }
