package cli

import (
	"fmt"
	"io"
	"time"

	"github.com/gantryhq/gantry/internal/api"
	"github.com/gantryhq/gantry/internal/deploy"
	"github.com/gantryhq/gantry/internal/record"
	"github.com/spf13/cobra"
)

func newTokenCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "token",
		Short: "Create, list and revoke API tokens",
	}
	c.AddCommand(newTokenCreateCmd(), newTokenListCmd(), newTokenRevokeCmd())
	return c
}

func newTokenCreateCmd() *cobra.Command {
	var f deployFlags
	var user, role string
	c := &cobra.Command{
		Use:   "create --user NAME --role ROLE",
		Short: "Create an API token; its secret is shown once",
		Long: "Roles: viewer (read), operator (and trigger, cancel, pause, backfill,\n" +
			"replay, reload, silence), deployer (and deploy, promote, rollback),\n" +
			"approver (read, approve, reject), admin (everything, tokens included).",
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if user == "" || role == "" {
				return usageErr("%s needs --user NAME and --role ROLE", c.CommandPath())
			}
			return withDeploy(c, &f, func(b api.DeployService, actor string) error {
				plain, t, err := b.CreateToken(c.Context(), actor, user, role)
				if err != nil {
					return err
				}
				fmt.Fprintf(c.OutOrStdout(), "token %d for %s (%s):\n%s\n", t.ID, t.User, t.Role, plain)
				fmt.Fprintln(c.ErrOrStderr(), "Keep it now: it is not stored and cannot be shown again.")
				return nil
			})
		},
	}
	f.add(c)
	c.Flags().StringVar(&user, "user", "", "whom the token acts as")
	c.Flags().StringVar(&role, "role", "", "one of viewer, operator, deployer, approver, admin")
	return c
}

func newTokenListCmd() *cobra.Command {
	var f deployFlags
	c := &cobra.Command{
		Use:   "list",
		Short: "List API tokens (never their secrets)",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			return withDeploy(c, &f, func(b api.DeployService, _ string) error {
				ts, err := b.ListTokens(c.Context())
				if err != nil {
					return err
				}
				out := api.TokenList{Tokens: make([]api.TokenView, 0, len(ts))}
				for _, t := range ts {
					out.Tokens = append(out.Tokens, api.NewTokenView(t))
				}
				return render(c, out, func(w io.Writer) error { return printTokens(w, ts) })
			})
		},
	}
	f.add(c)
	addOutput(c)
	return c
}

func printTokens(w io.Writer, ts []record.Token) error {
	tw := newTable(w)
	fmt.Fprintln(tw, "ID\tUSER\tROLE\tCREATED\tBY\tREVOKED")
	for _, t := range ts {
		revoked := "-"
		if !t.RevokedAt.IsZero() {
			revoked = t.RevokedAt.Local().Format(time.DateTime) + " by " + t.RevokedBy
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", t.ID, t.User, t.Role,
			t.CreatedAt.Local().Format(time.DateTime), t.CreatedBy, revoked)
	}
	return tw.Flush()
}

func newTokenRevokeCmd() *cobra.Command {
	var f deployFlags
	c := &cobra.Command{
		Use:   "revoke ID",
		Short: "Revoke an API token",
		Args:  exactArgs(1, "a token ID (see gantry token list)"),
		RunE: func(c *cobra.Command, args []string) error {
			id, err := parseID("token", args[0])
			if err != nil {
				return err
			}
			return withDeploy(c, &f, func(b api.DeployService, actor string) error {
				if err := b.RevokeToken(c.Context(), actor, id); err != nil {
					return err
				}
				fmt.Fprintf(c.OutOrStdout(), "token %d revoked\n", id)
				return nil
			})
		},
	}
	f.add(c)
	return c
}

var _ api.DeployService = (*deploy.Service)(nil)
