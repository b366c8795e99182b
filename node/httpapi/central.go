package httpapi

// centralRoutes registers the routes of the central role and of cluster
// health (cluster status, members, the status page, metrics).
func (a *API) centralRoutes() {}
