// Package domain holds the plain types of the library domain: patrons,
// titles, items, loans, holds, fees and rules as the API shows them; the
// requests and results of the branch service's commands; error codes with
// their kinds; roles, permissions, channels and who is acting. It links no
// storage: the staff desk, the kiosk and the API client import it and build
// without cgo (for Windows too), while the service that stores and
// replicates these records stays in package branch.
package domain
