package node

import (
	"net"
	"net/http"

	"stacks/branch/patronprefs"
	"stacks/node/notify"
)

// openNotify makes the notice channels (node/notify) and mounts the
// endpoints of the links notices carry (/n/) on the HTTP listener's mux.
// Print is always there; email and SMS when configured. Links point at
// Notify.PublicURL, or else at this listener.
func (n *Node) openNotify(clusterKey []byte, mux *http.ServeMux) error {
	cfg := n.cfg.Notify
	cfg.ClusterKey, cfg.Branding, cfg.Currency = clusterKey, n.cfg.Branding, n.cfg.SIP2Currency
	cfg.Clock, cfg.Logger, cfg.Prefs = n.cfg.Clock, n.lg, patronprefs.New(n.svc)
	if cfg.PublicURL == "" {
		cfg.PublicURL = "http://" + n.ln.Addr().String()
		if ta, ok := n.ln.Addr().(*net.TCPAddr); ok && ta.IP.IsUnspecified() && cfg.Configured() {
			n.lg.Warn("links in notices point at an address patrons cannot reach; set --public-url", "url", cfg.PublicURL)
		}
	}
	nt, err := notify.New(cfg)
	if err != nil {
		return err
	}
	nt.Routes(mux)
	n.notifier = nt
	// The engine tracks opens, clicks and bounces, and sends through these
	// channels when email or SMS is configured here (unless the embedder
	// gave it a Sender of its own).
	nt.SetTracker(n.notices)
	if n.cfg.NoticeSender == nil && cfg.Configured() {
		n.notices.SetSender(nt)
	}
	n.closers.add(func() { nt.Close() })
	if cfg.Configured() {
		n.lg.Info("notice channels", "smtp", cfg.SMTPAddr, "sms", cfg.SMSWebhook != "" || cfg.SMSProvider != nil, "links", cfg.PublicURL)
	}
	return nil
}

// Notifier is the node's notice channels (the engine sends through it).
func (n *Node) Notifier() *notify.Notifier { return n.notifier }
