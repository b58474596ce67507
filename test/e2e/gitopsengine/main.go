// Command gitopsengine runs Argo CD's own sync and diff, gitops-engine's
// pkg/sync and pkg/diff, against a cluster, for mtlsgen's end-to-end suite.
//
//	gitopsengine sync -kubeconfig FILE -health DIR [-retries N] [-managed FILE] [-timeout D] < objects.json
//	gitopsengine diff -kubeconfig FILE < objects.json
//	gitopsengine check-health -health DIR GROUP/KIND...
//
// Standard input is a JSON array of the desired objects; standard output is
// a JSON report (see SyncReport, Difference and HealthCheck).
//
// sync applies the objects as Argo CD's application controller syncs an
// Application with ServerSideApply=true: a dry run of everything first,
// then wave by wave, each wave waiting until its objects are healthy by
// Argo CD's health checks (gitops-engine's for built-in kinds, Argo CD's Lua
// scripts from DIR, its resource_customizations, for the others); a failed
// sync runs again as an Application's syncPolicy.retry has it (-retries);
// what the previous sync applied (-managed) and is no longer desired is
// pruned.
//
// diff reports every object Argo CD would show as out of sync, in its legacy
// and its server-side strategy.
//
// check-health runs Argo CD's own test cases of the Lua health checks of the
// given kinds and reports each verdict beside Argo CD's.
//
// Anything that stops the program itself is printed on standard error with a
// non-zero exit; a failed sync or a difference is a report.
//
// It is a module of its own because gitops-engine needs a newer Go than
// mtlsgen builds with; the suite builds it with that Go
// (test/e2e/harness/gitopsengine.go) and nothing of mtlsgen links it.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// argoCDManager is the field manager Argo CD's sync applies with and its
// server-side diff dry-runs as (common.ArgoCDSSAManager in Argo CD).
const argoCDManager = "argocd-controller"

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	fs := flag.NewFlagSet(os.Args[1], flag.ExitOnError)
	kubeconfig := fs.String("kubeconfig", "", "the cluster's kubeconfig file (required)")
	trace := fs.Bool("trace", false, "log every request to the API server on standard error")
	var report any
	var err error
	switch os.Args[1] {
	case "sync":
		healthDir := fs.String("health", "", "Argo CD's resource_customizations directory, whose GROUP/KIND/health.lua are its Lua health checks (required)")
		timeout := fs.Duration("timeout", 2*time.Minute, "how long the sync may take, retries included")
		retries := fs.Int("retries", 0, "how many times a failed sync runs again (an Application's syncPolicy.retry.limit)")
		managedFile := fs.String("managed", "", "a JSON array of the objects the previous sync applied: those no longer desired are pruned")
		parse(fs, func() bool { return *kubeconfig != "" && *healthDir != "" })
		ctx, cancel := context.WithTimeout(context.Background(), *timeout)
		defer cancel()
		report, err = withObjects(*kubeconfig, *trace, func(c *cluster, objs []*unstructured.Unstructured) (any, error) {
			var managed []*unstructured.Unstructured
			if *managedFile != "" {
				f, err := os.Open(*managedFile)
				if err != nil {
					return nil, err
				}
				defer f.Close()
				if managed, err = readObjects(f); err != nil {
					return nil, fmt.Errorf("%s: %w", *managedFile, err)
				}
			}
			return c.sync(ctx, objs, managed, luaHealth{dir: *healthDir}, *retries)
		})
	case "check-health":
		// The kinds are the arguments, not standard input.
		healthDir := fs.String("health", "", "Argo CD's resource_customizations directory (required)")
		_ = fs.Parse(os.Args[2:])
		if *healthDir == "" || fs.NArg() == 0 {
			usage()
		}
		report, err = checkHealthScripts(*healthDir, fs.Args())
	case "diff":
		parse(fs, func() bool { return *kubeconfig != "" })
		report, err = withObjects(*kubeconfig, *trace, func(c *cluster, objs []*unstructured.Unstructured) (any, error) {
			return c.diff(context.Background(), objs)
		})
	default:
		usage()
	}
	if err == nil {
		var out []byte
		if out, err = json.MarshalIndent(report, "", "  "); err == nil {
			_, err = fmt.Printf("%s\n", out)
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "gitopsengine:", err)
		os.Exit(1)
	}
}

// parse parses the flags after the subcommand; ok, called after, says the
// required ones are there.
func parse(fs *flag.FlagSet, ok func() bool) {
	_ = fs.Parse(os.Args[2:]) // ExitOnError
	if !ok() || fs.NArg() > 0 {
		usage()
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: gitopsengine sync -kubeconfig FILE -health DIR [-retries N] [-managed FILE] [-timeout D] < objects.json")
	fmt.Fprintln(os.Stderr, "       gitopsengine diff -kubeconfig FILE < objects.json")
	fmt.Fprintln(os.Stderr, "       gitopsengine check-health -health DIR GROUP/KIND...")
	os.Exit(2)
}

// withObjects reads the desired objects from standard input and runs f
// with them and a client of the cluster.
func withObjects(kubeconfig string, trace bool, f func(*cluster, []*unstructured.Unstructured) (any, error)) (any, error) {
	objs, err := readObjects(os.Stdin)
	if err != nil {
		return nil, fmt.Errorf("standard input: %w", err)
	}
	c, err := newCluster(kubeconfig, trace)
	if err != nil {
		return nil, err
	}
	return f(c, objs)
}

func readObjects(in io.Reader) ([]*unstructured.Unstructured, error) {
	var objs []*unstructured.Unstructured
	if err := json.NewDecoder(in).Decode(&objs); err != nil {
		return nil, fmt.Errorf("decoding a JSON array of objects: %w", err)
	}
	return objs, nil
}

// ref names an object as the suite does (harness.Ref): kind namespace/name.
func ref(o *unstructured.Unstructured) string {
	if o.GetNamespace() == "" {
		return o.GetKind() + " " + o.GetName()
	}
	return o.GetKind() + " " + o.GetNamespace() + "/" + o.GetName()
}
