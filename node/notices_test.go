package node_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"stacks/branch/domain"
	"stacks/branch/notices"
	"stacks/node"
	"stacks/node/apitype"
	"stacks/node/nodetest"
)

// sentLog is a Sender shared by several nodes: what each node sent.
type sentLog struct {
	mu   sync.Mutex
	sent map[string][]string // key -> nodes that sent it
}

type nodeSender struct {
	log  *sentLog
	name string
}

func (s nodeSender) Send(_ context.Context, m notices.Message) error {
	s.log.mu.Lock()
	defer s.log.mu.Unlock()
	s.log.sent[m.Key] = append(s.log.sent[m.Key], s.name)
	return nil
}

func (l *sentLog) snapshot() map[string][]string {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := map[string][]string{}
	for k, v := range l.sent {
		out[k] = append([]string(nil), v...)
	}
	return out
}

// TestNoticesOnceInACluster: a central node and two branches, each with a
// sender, evaluate the notices every 100 ms; every notice goes once,
// claimed through central's decider. The patron registered at central is
// seen by all three (the branches pull central's ops), so all three find
// their welcome due and race to claim it.
func TestNoticesOnceInACluster(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a Raft node and two branches")
	}
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "cluster.key"), bytes.Repeat([]byte{7}, 32), 0o600)
	log := &sentLog{sent: map[string][]string{}}
	ccfg := nodetest.CentralConfig(dir, "c1", true)
	ccfg.NoticeSender, ccfg.NoticeInterval = nodeSender{log, "central"}, 100*time.Millisecond
	c1 := startNode(t, ccfg)
	u1 := "http://" + c1.Addr()
	var ri apitype.RaftInfo
	eventually(t, 30*time.Second, "c1 leads", func() bool {
		return apiDo(t, "GET", u1+"/api/v1/cluster/raft", nil, &ri) == 200 && ri.State == "leader"
	})
	if code := apiDo(t, "PUT", u1+"/api/v1/libraries/MAIN", map[string]any{"name": "Main"}, nil); code >= 300 {
		t.Fatalf("library: %d", code)
	}
	if code := apiDo(t, "PUT", u1+"/api/v1/patron_categories/ADULT", map[string]any{"description": "Adult", "max_fine_cents": 1000,
		"enrolment_months": 12, "max_holds": 10}, nil); code >= 300 {
		t.Fatalf("category: %d", code)
	}
	var branches []*node.Node
	for _, b := range []string{"MAIN", "EAST"} {
		cfg := node.DefaultConfig()
		cfg.DataDir, cfg.HTTPAddr, cfg.PINCost, cfg.Peers, cfg.SyncInterval = filepath.Join(dir, b), "127.0.0.1:0", 4, []string{u1}, 100*time.Millisecond
		cfg.ClusterKeyFile, cfg.Demo, cfg.Branch = filepath.Join(dir, "cluster.key"), false, b
		cfg.NoticeSender, cfg.NoticeInterval = nodeSender{log, b}, 100*time.Millisecond
		branches = append(branches, startNode(t, cfg))
	}
	var ps []domain.Patron
	for i, at := range []*node.Node{branches[0], branches[1], c1} {
		var p domain.Patron
		eventually(t, 60*time.Second, "a patron registered at "+at.Addr(), func() bool {
			return apiDo(t, "POST", "http://"+at.Addr()+"/api/v1/patrons", map[string]any{"cardnumber": "2900000" + string(rune('1'+i)),
				"surname": "Notice", "email": "p@example.org", "library_id": "MAIN", "category_id": "ADULT", "pin": "1234"}, &p) == 201
		})
		ps = append(ps, p)
	}
	eventually(t, 60*time.Second, "three welcomes", func() bool { return len(log.snapshot()) == 3 })
	// Every node knows each notice it finds due is claimed (so none will
	// send it again): nothing went twice.
	eventually(t, 30*time.Second, "no node finds a notice due and unclaimed", func() bool {
		for _, n := range append([]*node.Node{c1}, branches...) {
			if due, err := n.Notices().Evaluate(context.Background()); err != nil || due > 0 {
				return false
			}
		}
		return true
	})
	for k, by := range log.snapshot() {
		if len(by) != 1 {
			t.Errorf("%s sent by %v", k, by)
		}
	}
	var pn apitype.PatronNotices
	eventually(t, 30*time.Second, "the notice listed at the patron's branch", func() bool {
		return apiDo(t, "GET", "http://"+branches[0].Addr()+"/api/v1/patrons/"+ps[0].PatronID+"/notices", nil, &pn) == 200 &&
			len(pn.Notices) == 1 && pn.Notices[0].Status == notices.StatusSent
	})

}

// TestNoticesStandalone: an appliance with no central claims in its own
// transaction; without a sender it sends nothing and keeps the notices
// due for a node that has one.
func TestNoticesStandalone(t *testing.T) {
	dir := t.TempDir()
	log := &sentLog{sent: map[string][]string{}}
	cfg := node.DefaultConfig()
	cfg.DataDir, cfg.HTTPAddr, cfg.PINCost, cfg.Demo, cfg.Branch = filepath.Join(dir, "n"), "127.0.0.1:0", 4, false, "MAIN"
	cfg.NoticeSender, cfg.NoticeInterval = nodeSender{log, "n"}, 50*time.Millisecond
	n := nodetest.Start(t, cfg)
	ctx := domain.WithActor(context.Background(), domain.Actor{ID: "admin", Role: domain.RoleAdmin, Channel: domain.ChannelDesk})
	svc := n.Service()
	if err := svc.SetLibrary(ctx, domain.Library{BranchID: "MAIN", Name: "Main"}); err != nil {
		t.Fatal(err)
	}
	if err := svc.SetCategory(ctx, domain.Category{Category: "ADULT", EnrolmentMonths: 12, MaxHolds: 5, MaxFineCents: 1000}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.RegisterPatron(ctx, domain.NewPatron{Cardnumber: "29000009", Surname: "Solo", Email: "s@example.org", Category: "ADULT", PIN: "1234"}); err != nil {
		t.Fatal(err)
	}
	eventually(t, 30*time.Second, "the welcome", func() bool { return len(log.snapshot()) == 1 })
	if n.Notices() == nil || !n.Notices().CanSend() {
		t.Fatal("no engine")
	}
}
