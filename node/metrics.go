package node

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"stacks/branch/domain"
	"stacks/branch/insight"
	"stacks/replicate"
)

// metrics are the node's Prometheus metrics. Most are read when scraped
// (Raft state, sync status, conflicts); latencies are observed as they
// happen.
type metrics struct {
	reg  *prometheus.Registry
	http *prometheus.HistogramVec
	sip2 *prometheus.HistogramVec
	// batch is where the op log's group commits spend their time (waiting
	// for the writer, running the transactions, the WAL write and fsync):
	// beside the disk's own sync latency it tells IT whether slow writes are
	// the disk's or ours.
	batch     *prometheus.HistogramVec
	committed prometheus.Counter
}

func newMetrics(n *Node) *metrics {
	m := &metrics{reg: prometheus.NewRegistry()}
	m.http = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "stacks_http_request_duration_seconds",
		Help:    "Time to answer an HTTP request (staff, patron and node-to-node APIs).",
		Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5}}, []string{"method", "code"})
	m.sip2 = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "stacks_sip2_message_duration_seconds",
		Help:    "Time to answer a SIP2 message from a kiosk, by message type.",
		Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1}}, []string{"type"})
	m.batch = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "stacks_oplog_batch_seconds",
		Help: "Where each group commit of the op log spent its time: phase queued (the first transaction waiting for the writer), " +
			"work (running the transactions) and commit (the WAL write and its fsync). One commit may carry many transactions.",
		Buckets: []float64{.00005, .0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, 1}}, []string{"phase"})
	m.committed = prometheus.NewCounter(prometheus.CounterOpts{Name: "stacks_oplog_committed_transactions_total",
		Help: "Write transactions made durable by the op log's commits (group commit folds several into one)."})
	m.reg.MustRegister(m.http, m.sip2, m.batch, m.committed, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		&nodeCollector{n: n})
	return m
}

func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
}

// instrument observes every HTTP request's latency.
func (m *metrics) instrument(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		began := time.Now()
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(sw, r)
		m.http.WithLabelValues(r.Method, strconv.Itoa(sw.status)).Observe(time.Since(began).Seconds())
	})
}

func (m *metrics) observeBatch(bt replicate.BatchTiming) {
	m.batch.WithLabelValues("queued").Observe(bt.Queued.Seconds())
	m.batch.WithLabelValues("work").Observe(bt.Work.Seconds())
	m.batch.WithLabelValues("commit").Observe(bt.Commit.Seconds())
	m.committed.Add(float64(bt.Transactions))
}

func (m *metrics) observeSIP2(msgType string, d time.Duration) {
	m.sip2.WithLabelValues(msgType).Observe(d.Seconds())
}

type statusWriter struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.wrote {
		w.status, w.wrote = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	w.wrote = true
	return w.ResponseWriter.Write(b)
}

// Flush keeps streaming responses (sync pulls) streaming.
func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap lets http.ResponseController reach the connection.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// nodeCollector reads the node's state when scraped.
type nodeCollector struct{ n *Node }

var (
	descRaftState   = prometheus.NewDesc("stacks_raft_state", "Raft state of this central node (1 for the current state).", []string{"state"}, nil)
	descRaftTerm    = prometheus.NewDesc("stacks_raft_term", "Current Raft term.", nil, nil)
	descRaftLast    = prometheus.NewDesc("stacks_raft_last_index", "Last index in the Raft log.", nil, nil)
	descRaftCommit  = prometheus.NewDesc("stacks_raft_commit_index", "Raft commit index.", nil, nil)
	descRaftApplied = prometheus.NewDesc("stacks_raft_applied_index", "Raft index applied to this node's database.", nil, nil)
	descPeerBehind  = prometheus.NewDesc("stacks_sync_peer_ops_behind", "Ops of the peer this node lacked at the last sync.", []string{"peer"}, nil)
	descPeerAhead   = prometheus.NewDesc("stacks_sync_peer_ops_ahead", "Ops of this node the peer lacked at the last sync.", []string{"peer"}, nil)
	descPeerAge     = prometheus.NewDesc("stacks_sync_peer_last_success_age_seconds", "Seconds since the last successful sync with the peer (-1: never).", []string{"peer"}, nil)
	descPeerErrors  = prometheus.NewDesc("stacks_sync_peer_errors_total", "Failed syncs with the peer.", []string{"peer"}, nil)
	descPeerPulled  = prometheus.NewDesc("stacks_sync_peer_ops_pulled_total", "Ops pulled from the peer and applied.", []string{"peer"}, nil)
	descAccepted    = prometheus.NewDesc("stacks_sync_ops_accepted_total", "Ops pushed to this node by peers and applied.", nil, nil)
	descRejected    = prometheus.NewDesc("stacks_sync_rejected_batches_total", "Sync batches this node rejected whole (bad frame).", nil, nil)
	descRefused     = prometheus.NewDesc("stacks_ops_refused_total", "Ops refused because their origin is not in the branch registry.", nil, nil)
	descOps         = prometheus.NewDesc("stacks_ops", "Ops in this node's log, by origin.", []string{"origin"}, nil)
	descConflicts   = prometheus.NewDesc("stacks_conflicts_open", "Open conflicts awaiting staff.", nil, nil)
	// Compaction of the op log (compaction.go).
	descCompacted   = prometheus.NewDesc("stacks_ops_compacted_total", "Op rows this node deleted by compaction since it started.", nil, nil)
	descRebootstrap = prometheus.NewDesc("stacks_sync_rebootstrap_refusals_total", "Pulls this node refused because the caller lacks ops compacted away here.", nil, nil)
	descNeedsBoot   = prometheus.NewDesc("stacks_sync_rebootstrap_needed", "1 when a peer told this node it lacks ops compacted away there: it must re-bootstrap from a snapshot.", nil, nil)
	// Insight (branch/insight): today's counts, read from its counters.
	descToday = prometheus.NewDesc("stacks_insight_today", "Today's count (library day) of a metric at a branch through a channel: loans, returns, renewals, registrations, holds_placed, holds_ready, ...",
		[]string{"metric", "library_id", "channel"}, nil)
	descSelfShare = prometheus.NewDesc("stacks_insight_self_served_share_today", "Share of today's loans, returns and renewals self-served (kiosk, web, app) against the desk; absent before the first.", nil, nil)
)

func (c *nodeCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descRaftState, descRaftTerm, descRaftLast, descRaftCommit, descRaftApplied, descPeerBehind,
		descPeerAhead, descPeerAge, descPeerErrors, descPeerPulled, descAccepted, descRejected, descRefused, descOps, descConflicts, descToday, descSelfShare,
		descCompacted, descRebootstrap, descNeedsBoot} {
		ch <- d
	}
}

func (c *nodeCollector) Collect(ch chan<- prometheus.Metric) {
	n := c.n
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	counter := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v, labels...)
	}
	if n.central != nil {
		st := n.central.Status(ctx)
		for _, s := range []string{"leader", "follower", "candidate", "shutdown"} {
			v := 0.0
			if st.State == s {
				v = 1
			}
			gauge(descRaftState, v, s)
		}
		gauge(descRaftTerm, float64(st.Term))
		gauge(descRaftLast, float64(st.LastIndex))
		gauge(descRaftCommit, float64(st.CommitIndex))
		gauge(descRaftApplied, float64(st.AppliedIndex))
	}
	now := n.cfg.Clock.Now()
	if n.syncer != nil {
		for _, p := range n.syncer.Status() {
			gauge(descPeerBehind, float64(p.OpsBehind), p.URL)
			gauge(descPeerAhead, float64(p.OpsAhead), p.URL)
			age := -1.0
			if !p.LastSuccess.IsZero() {
				age = now.Sub(p.LastSuccess).Seconds()
			}
			gauge(descPeerAge, age, p.URL)
			counter(descPeerErrors, float64(p.Errors), p.URL)
			counter(descPeerPulled, float64(p.OpsPulled), p.URL)
		}
	}
	if n.syncd != nil {
		counter(descAccepted, float64(n.syncd.AcceptedOps.Load()))
		counter(descRejected, float64(n.syncd.RejectedFrames.Load()))
		counter(descRebootstrap, float64(n.syncd.Rebootstraps.Load()))
	}
	if n.syncer != nil {
		needs := 0.0
		if n.syncer.NeedsRebootstrap() != "" {
			needs = 1
		}
		gauge(descNeedsBoot, needs)
	}
	n.compaction.mu.Lock()
	compacted := n.compaction.ops
	n.compaction.mu.Unlock()
	counter(descCompacted, float64(compacted))
	counter(descRefused, float64(n.log.Refused.Load()))
	if vv, err := n.log.VersionVector(ctx); err == nil {
		for o, c := range vv {
			gauge(descOps, float64(c), o.String())
		}
	}
	var open int
	if err := n.db.Read().QueryRowContext(ctx, `SELECT count(*) FROM conflicts WHERE status='open'`).Scan(&open); err == nil {
		gauge(descConflicts, float64(open))
	}
	// Insight counts in a catch-up pass after each commit (branch.Deferral):
	// run it first, so that today's gauges count every op committed before
	// the scrape (as the insight report does). If it cannot run now, the
	// counts as they stand are still worth reporting: the pass gets a
	// second of its own, so that a busy writer cannot use up the time the
	// reads below need.
	cctx, ccancel := context.WithTimeout(context.Background(), time.Second)
	if err := n.svc.CatchUp(cctx); err != nil {
		n.lg.Warn("metrics: insight catch-up before the scrape failed", "err", err)
	}
	ccancel()
	today := now.In(n.cfg.Location).Format(domain.DateLayout)
	if counts, err := insight.Counts(ctx, n.db.Read(), insight.Filter{From: today, To: today}); err == nil {
		sums := map[[3]string]int{}
		var keys [][3]string
		var fig insight.Figures
		for _, c := range counts {
			k := [3]string{c.Metric, c.LibraryID, c.Channel}
			if _, ok := sums[k]; !ok {
				keys = append(keys, k)
			}
			sums[k] += c.N
			fig.Add(c)
		}
		for _, k := range keys {
			gauge(descToday, float64(sums[k]), k[0], k[1], k[2])
		}
		if fig.Finish(); fig.SelfServedShare != nil {
			gauge(descSelfShare, *fig.SelfServedShare)
		}
	}
}
