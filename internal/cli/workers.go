package cli

import (
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/gantryhq/gantry/internal/api"
	"github.com/gantryhq/gantry/internal/server"
	"github.com/gantryhq/gantry/internal/store"
	"github.com/spf13/cobra"
)

func newWorkersCmd() *cobra.Command {
	var sf storeFlags
	c := &cobra.Command{
		Use:   "workers",
		Short: "List the processes that run tasks, with their last heartbeat, and which one leads",
		Long: `Workers lists every process registered in the store as running task
attempts — each gantry serve, and each gantry worker — with its labels,
slots, the attempts it was running at its last heartbeat and how long ago
that was. The process holding the leader lease (the one that schedules,
pages and runs maintenance) is marked LEADER.

It reads the project's store, or the server named by --server.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			list, err := listWorkers(c, sf)
			if err != nil {
				return err
			}
			return render(c, list, func(w io.Writer) error { return printWorkers(w, list) })
		},
	}
	sf.add(c)
	addServerFlag(c, "read through this gantry server instead of the store")
	addOutput(c)
	return c
}

// listWorkers reads the workers from the server named by --server, else
// from the project's store.
func listWorkers(c *cobra.Command, sf storeFlags) (api.WorkerList, error) {
	if url := serverURL(c, ""); url != "" {
		list, err := newClient(c, url).ListWorkers(c.Context())
		return list, remoteErr(url, err)
	}
	st, err := openProjectStore(c.Context(), sf)
	if err != nil {
		return api.WorkerList{}, err
	}
	defer st.Close()
	ws, err := st.ListWorkers(c.Context())
	if err != nil {
		return api.WorkerList{}, failed(err)
	}
	now := time.Now()
	var list api.WorkerList
	switch l, err := st.GetLease(c.Context(), server.LeaderLease); {
	case err == nil && l.Live(now):
		list.Leader = l.Holder
	case err != nil && !errors.Is(err, store.ErrNotFound):
		return api.WorkerList{}, failed(err)
	}
	list.Workers = make([]api.WorkerView, 0, len(ws))
	for _, w := range ws {
		v := api.WorkerView{ID: w.ID, Host: w.Host, Labels: w.Labels, Slots: w.Slots, Running: w.Running,
			State: w.State, StartedAt: w.StartedAt, HeartbeatAt: w.HeartbeatAt,
			HeartbeatAge: max(now.Sub(w.HeartbeatAt), 0).Seconds()}
		if v.Labels == nil {
			v.Labels = map[string]string{}
		}
		list.Workers = append(list.Workers, v)
	}
	return list, nil
}

func printWorkers(w io.Writer, list api.WorkerList) error {
	if len(list.Workers) == 0 {
		fmt.Fprintln(w, "no workers registered")
		return nil
	}
	tw := newTable(w)
	fmt.Fprintln(tw, "WORKER\tHOST\tSTATE\tSLOTS\tRUNNING\tLABELS\tLAST HEARTBEAT\tROLE")
	for _, v := range list.Workers {
		slots := "-"
		if v.Slots > 0 {
			slots = fmt.Sprint(v.Slots)
		}
		role := ""
		if v.ID == list.Leader {
			role = "LEADER"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\t%s ago\t%s\n", v.ID, v.Host, v.State, slots, v.Running,
			labelList(v.Labels), (time.Duration(v.HeartbeatAge * float64(time.Second))).Round(time.Second), role)
	}
	if list.Leader == "" {
		fmt.Fprintln(tw, "(no process leads now)")
	}
	return tw.Flush()
}

func labelList(m map[string]string) string {
	if len(m) == 0 {
		return "-"
	}
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, k+"="+m[k])
	}
	return strings.Join(parts, ",")
}
