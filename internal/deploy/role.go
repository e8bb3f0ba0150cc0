package deploy

import "slices"

// Roles, from the least allowed. A token has one.
const (
	RoleViewer   = "viewer"   // reads everything
	RoleOperator = "operator" // viewer, and operates runs and alerts
	RoleDeployer = "deployer" // operator, and deploys, promotes and rolls back
	RoleApprover = "approver" // viewer, and approves or rejects deployments
	RoleAdmin    = "admin"    // everything, tokens included
)

// Roles lists every role. What each may do over the API is the API's
// table (internal/api: every route names the permission it needs).
var Roles = []string{RoleViewer, RoleOperator, RoleDeployer, RoleApprover, RoleAdmin}

// ValidRole reports whether role is one of Roles.
func ValidRole(role string) bool { return slices.Contains(Roles, role) }
