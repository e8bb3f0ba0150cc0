package record

import "time"

// TaskApprovalState is where an approval task's question stands.
type TaskApprovalState string

// Task approval states. An approval is opened waiting and ends once.
const (
	ApprovalWaiting   TaskApprovalState = "waiting"
	ApprovalApproved  TaskApprovalState = "approved"
	ApprovalRejected  TaskApprovalState = "rejected"
	ApprovalTimedOut  TaskApprovalState = "timed_out"
	ApprovalCancelled TaskApprovalState = "cancelled"
)

// TaskApproval is the question one attempt of an approval task asks:
// Required approvals from Approvers (anyone allowed to approve when
// empty), before Deadline.
type TaskApproval struct {
	AttemptID int64
	RunID     int64
	Task      string
	Required  int
	Approvers []string
	// Guards lists the protected environments of the tasks downstream of
	// it: deciding for them needs a proven identity.
	Guards    []string
	State     TaskApprovalState
	CreatedAt time.Time
	Deadline  time.Time
	DecidedAt time.Time // zero while waiting
	Reason    string    // the rejection's reason
	Approved  []string  // who approved, in order
}

// TaskDecision is one person's approval or rejection of a TaskApproval.
type TaskDecision struct {
	AttemptID int64
	Actor     string
	Approve   bool
	Comment   string
	At        time.Time
}
