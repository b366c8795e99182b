package httpapi

import (
	"fmt"
	"net/http"
	"runtime/debug"
	"strconv"
)

// middleware wraps the routes: access log outermost, so that it sees the
// status of a recovered panic; then panic recovery; the body limit; and who
// is acting.
func (a *API) middleware(h http.Handler) http.Handler {
	return a.accessLog(a.recoverPanics(a.limitBody(a.identify(h))))
}

// statusWriter remembers the status a handler sent.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (s *statusWriter) WriteHeader(status int) {
	if s.status == 0 {
		s.status = status
	}
	s.ResponseWriter.WriteHeader(status)
}

func (s *statusWriter) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection.
func (s *statusWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }

func (a *API) accessLog(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := a.clock.Now()
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		if sw.status == 0 {
			sw.status = http.StatusOK
		}
		a.lg.DebugContext(r.Context(), "request", logMethod, r.Method, logPath, r.URL.Path, logStatus, sw.status,
			logDuration, a.clock.Now().Sub(start))
	})
}

// recoverPanics turns a panic in a handler into a 500 problem and a log
// line; the server goes on.
func (a *API) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw, ok := w.(*statusWriter)
		if !ok {
			sw = &statusWriter{ResponseWriter: w}
		}
		defer func() {
			p := recover()
			if p == nil {
				return
			}
			if p == http.ErrAbortHandler {
				panic(p) // the handler asked for the connection to be cut
			}
			a.lg.ErrorContext(r.Context(), "handler panicked", logMethod, r.Method, logPath, r.URL.Path,
				logPanic, fmt.Sprint(p), logStack, string(debug.Stack()))
			if sw.status == 0 {
				writeProblem(sw, internalProblem())
			}
		}()
		next.ServeHTTP(sw, r)
	})
}

// limitBody refuses bodies over the limit: at once when the declared length
// is too big, else when a handler reads past the limit.
func (a *API) limitBody(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > a.maxBody {
			writeProblem(w, problemOf(CodeBodyTooLarge,
				"The request body is larger than the limit of "+strconv.FormatInt(a.maxBody, 10)+" bytes."))
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, a.maxBody)
		next.ServeHTTP(w, r)
	})
}
