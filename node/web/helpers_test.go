package web_test

import (
	"net/http/httptest"
	"testing"

	"stacks/node/web"
)

func httptestTLS(t *testing.T, l *lib) *httptest.Server {
	ts := httptest.NewTLSServer(l.web.Handler())
	t.Cleanup(ts.Close)
	return ts
}

func httptestServer(t *testing.T, s *web.Server) *httptest.Server {
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(ts.Close)
	return ts
}
