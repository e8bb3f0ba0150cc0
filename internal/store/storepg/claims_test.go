package storepg_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/gantryhq/gantry/internal/store/storetest"
)

// fillClaims queues n claims from id from, and n more done ones, in one
// statement each: what a busy cluster's table holds.
func fillClaims(tb testing.TB, u string, from, n int) {
	tb.Helper()
	c, err := pgx.Connect(tb.Context(), u)
	if err != nil {
		tb.Fatal(err)
	}
	defer c.Close(tb.Context())
	for _, state := range []string{"queued", "done"} {
		if _, err := c.Exec(tb.Context(), `INSERT INTO claims (attempt_id, run_id, task, pool, labels, payload, state, worker, token, cancel, queued_at)
			SELECT g, 1, 't' || g, '', '{}', '\x7b7d', $3, '', 0, '', now() FROM generate_series($1::bigint, $2::bigint) g`,
			from, from+n-1, state); err != nil {
			tb.Fatal(err)
		}
		from += n
	}
	if _, err := c.Exec(tb.Context(), `ANALYZE claims`); err != nil {
		tb.Fatal(err)
	}
}

// With 10,000 claims queued among 10,000 done, a worker's claim walks the
// queued claims' own index and stops at the first that fits: no
// sequential scan of the table.
func TestClaimPlanUsesTheQueuedIndex(t *testing.T) {
	t.Parallel()
	u := schemaURL(t)
	openAt(t, u).Close()
	fillClaims(t, u, 1, 10_000)
	c, err := pgx.Connect(t.Context(), u)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(t.Context())
	rows, err := c.Query(t.Context(), `EXPLAIN SELECT attempt_id FROM claims
		WHERE state = 'queued' AND labels <@ '{"zone":"eu"}'::jsonb
		ORDER BY attempt_id LIMIT 4 FOR UPDATE SKIP LOCKED`)
	if err != nil {
		t.Fatal(err)
	}
	lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	plan := strings.Join(lines, "\n")
	if !strings.Contains(plan, "claims_queued") || strings.Contains(plan, "Seq Scan") {
		t.Errorf("the claim's plan does not walk claims_queued:\n%s", plan)
	}
}

// BenchmarkClaim measures one attempt's way through the claims table —
// queued, claimed, completed, deleted — with 100 and with 10,000 claims
// waiting ahead of it (and as many done): the cost must not follow the
// line's length.
func BenchmarkClaim(b *testing.B) {
	for _, n := range []int{100, 10_000} {
		b.Run(fmt.Sprintf("queued=%d", n), func(b *testing.B) {
			u := schemaURL(b)
			s := openAt(b, u)
			fillClaims(b, u, 1, n)
			storetest.BenchClaimLifecycle(b, s, int64(2*n+1))
		})
	}
}
