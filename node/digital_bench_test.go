package node_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"stacks/branch/digital"
	"stacks/branch/domain"
	"stacks/node"
	"stacks/node/apitype"
	"stacks/node/nodetest"
)

// BenchmarkDigitalGrants measures digital decisions per second: each
// iteration borrows an e-book and returns it (two decisions, each checked
// against the licence count). Through Raft: decided by the state machine
// of a real three-node central cluster (TCP on loopback, raft-wal with
// fsync), called on the leader or on a follower (which forwards); clients
// patrons at once. Standalone: decided by one appliance's own command
// transaction (SQLite, synchronous=FULL), the floor of any durable grant.
func BenchmarkDigitalGrants(b *testing.B) {
	if testing.Short() {
		b.Skip("starts a Raft cluster")
	}
	dir := b.TempDir()
	os.WriteFile(filepath.Join(dir, "cluster.key"), bytes.Repeat([]byte{7}, 32), 0o600)
	c1 := nodetest.Start(b, nodetest.CentralConfig(dir, "c1", true))
	state := func(n *node.Node) string {
		var ri apitype.RaftInfo
		benchDo(b, "GET", "http://"+n.Addr()+"/api/v1/cluster/raft", nil, &ri)
		return ri.State
	}
	deadline := time.Now().Add(30 * time.Second)
	for state(c1) != "leader" {
		if time.Now().After(deadline) {
			b.Fatal("no leader")
		}
		time.Sleep(20 * time.Millisecond)
	}
	centrals := []*node.Node{c1}
	for _, id := range []string{"c2", "c3"} {
		c := nodetest.Start(b, nodetest.CentralConfig(dir, id, false))
		m := apitype.CentralMember{ID: id, RaftAddr: c.RaftAddr(), URL: "http://" + c.Addr()}
		for benchDo(b, "POST", "http://"+c1.Addr()+"/api/v1/cluster/members", m, nil) != 204 {
			if time.Now().After(deadline) {
				b.Fatal("join")
			}
			time.Sleep(50 * time.Millisecond)
		}
		centrals = append(centrals, c)
	}
	scfg := node.DefaultConfig()
	scfg.DataDir, scfg.HTTPAddr, scfg.PINCost, scfg.Demo, scfg.Branch = filepath.Join(dir, "alone"), "127.0.0.1:0", 4, false, "MAIN"
	alone := nodetest.Start(b, scfg)

	setUp := func(n *node.Node) (string, []string) {
		ctx := domain.WithActor(context.Background(), domain.Actor{ID: "admin", Role: domain.RoleAdmin, Channel: domain.ChannelAPI})
		svc := n.Service()
		must := func(err error) {
			if err != nil {
				b.Fatal(err)
			}
		}
		must(svc.SetLibrary(ctx, domain.Library{BranchID: "MAIN", Name: "Main"}))
		must(svc.SetCategory(ctx, domain.Category{Category: "ADULT", Description: "Adult", EnrolmentMonths: 12}))
		must(svc.SetRule(ctx, domain.Rule{BranchID: "*", Category: "*", ItemType: "EBOOK", LoanDays: 14, Renewals: 2, MaxLoans: 5, HoldsAllowed: true}))
		bib, err := svc.AddBiblio(ctx, domain.NewBiblio{Title: "Bench", Format: "ebook", Licences: 1000})
		must(err)
		var ids []string
		for i := range 16 {
			p, err := svc.RegisterPatron(ctx, domain.NewPatron{Cardnumber: fmt.Sprintf("3900%04d", i), Firstname: "B", Surname: fmt.Sprint(i),
				HomeBranch: "MAIN", Category: "ADULT", PIN: "1234"})
			must(err)
			ids = append(ids, p.PatronID)
		}
		return bib.BiblioID, ids
	}
	var leader, follower *node.Node
	for _, c := range centrals {
		if state(c) == "leader" {
			leader = c
		} else {
			follower = c
		}
	}
	rbib, rpatrons := setUp(leader)
	sbib, spatrons := setUp(alone)
	for _, tc := range []struct {
		name  string
		dig   *digital.Service
		bib   string
		ids   []string
		users int
	}{
		{"raft/via=leader/clients=1", leader.Digital(), rbib, rpatrons, 1},
		{"raft/via=leader/clients=16", leader.Digital(), rbib, rpatrons, 16},
		{"raft/via=follower/clients=16", follower.Digital(), rbib, rpatrons, 16},
		{"standalone/clients=1", alone.Digital(), sbib, spatrons, 1},
		{"standalone/clients=16", alone.Digital(), sbib, spatrons, 16},
	} {
		b.Run(tc.name, func(b *testing.B) {
			ctx := domain.WithActor(context.Background(), domain.Actor{ID: "bench", Role: domain.RoleAdmin, Channel: domain.ChannelAPI})
			var wg sync.WaitGroup
			per := (b.N + tc.users - 1) / tc.users
			b.ResetTimer()
			start := time.Now()
			for u := range tc.users {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for range per {
						res, err := tc.dig.Borrow(ctx, domain.DigitalRequest{PatronID: tc.ids[u], BiblioID: tc.bib}, "en")
						if err != nil {
							b.Error(err)
							return
						}
						if _, err := tc.dig.Return(ctx, domain.DigitalRequest{LoanID: res.Loan.LoanID}, "en"); err != nil {
							b.Error(err)
							return
						}
					}
				}()
			}
			wg.Wait()
			b.ReportMetric(float64(2*per*tc.users)/time.Since(start).Seconds(), "decisions/s")
		})
	}
}

func benchDo(tb testing.TB, method, url string, body, out any) int {
	tb.Helper()
	var rd io.Reader
	if body != nil {
		j, _ := json.Marshal(body)
		rd = bytes.NewReader(j)
	}
	req, _ := http.NewRequest(method, url, rd)
	req.SetBasicAuth("admin", "admin")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	if out != nil {
		json.NewDecoder(resp.Body).Decode(out)
	}
	return resp.StatusCode
}
