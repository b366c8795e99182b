package branch_test

import (
	"testing"

	"stacks/branch"
	"stacks/branch/domain"
	"stacks/replicate"
)

func TestRegistryAdmitsOnlyRegisteredOriginsOnceKnown(t *testing.T) {
	e := newEnv(t)
	stranger := replicate.Op{Origin: 0xbad, Counter: 1, Kind: branch.KindLibrarySet}
	if err := e.svc.Admit(stranger); err != nil {
		t.Fatalf("before the registry is known every origin is admitted: %v", err)
	}
	if err := e.svc.RegisterNode(e.ctx, domain.RegistryNode{NodeID: "00000000000000aa", BranchID: "MAIN", Name: "main desk box"}); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.RegisterNode(e.ctx, domain.RegistryNode{NodeID: "00000000000000bb", BranchID: "NOWHERE"}); err == nil {
		t.Fatal("registered a node for an unknown library")
	}
	for _, bad := range []domain.RegistryNode{{NodeID: "xyz", BranchID: "MAIN"}, {NodeID: "00000000000000cc"}, {NodeID: "00000000000000cc", BranchID: "MAIN", Role: "printer"}} {
		if err := e.svc.RegisterNode(e.ctx, bad); err == nil {
			t.Fatalf("registered %+v", bad)
		}
	}
	if err := e.svc.Admit(stranger); err == nil {
		t.Fatal("an unregistered origin was admitted once the registry is known")
	}
	if err := e.svc.Admit(replicate.Op{Origin: 0xaa, Counter: 1}); err != nil {
		t.Fatalf("a registered origin was refused: %v", err)
	}
	if err := e.svc.Admit(replicate.Op{Origin: e.log.Node(), Counter: 1}); err != nil {
		t.Fatalf("the node's own ops were refused: %v", err)
	}
	// Retiring a node keeps its history admitted.
	if err := e.svc.RegisterNode(e.ctx, domain.RegistryNode{NodeID: "00000000000000aa", BranchID: "MAIN", Retired: true}); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.Admit(replicate.Op{Origin: 0xaa, Counter: 2}); err != nil {
		t.Fatalf("a retired origin was refused: %v", err)
	}
	ns, err := e.svc.RegistryNodes(e.ctx)
	if err != nil || len(ns) != 1 || !ns[0].Retired || ns[0].Role != domain.NodeRoleBranch {
		t.Fatalf("registry: %+v %v", ns, err)
	}
}
