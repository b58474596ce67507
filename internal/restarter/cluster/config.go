package cluster

import (
	"fmt"
	"regexp"

	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// notAKubeconfig is client-go's message for a YAML file of another kind (it
// wraps the error as text, so there is no error to match), naming its
// scheme's source line rather than what the file is.
var notAKubeconfig = regexp.MustCompile(`no kind "([^"]*)" is registered for version "([^"]*)" in scheme "[^"]*"`)

// Connect builds a dynamic client. With an empty kubeconfig it follows
// kubectl's rules ($KUBECONFIG, then ~/.kube/config) and, inside a pod with
// neither, uses the pod's service account. context picks a kubeconfig
// context other than the current one.
func Connect(kubeconfig, context, userAgent string) (dynamic.Interface, string, error) {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	rules.ExplicitPath = kubeconfig
	cc := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{CurrentContext: context})
	cfg, err := cc.ClientConfig()
	if clientcmd.IsEmptyConfig(err) {
		// client-go's message names KUBERNETES_MASTER, and no file.
		if kubeconfig != "" {
			return nil, "", fmt.Errorf("loading kubeconfig: %s names no cluster (empty, or no current context)", kubeconfig)
		}
		return nil, "", fmt.Errorf("loading kubeconfig: none found ($KUBECONFIG, ~/.kube/config; or --kubeconfig FILE), and not running in a pod with a service account")
	}
	if err != nil {
		return nil, "", fmt.Errorf("loading kubeconfig: %s", notAKubeconfig.ReplaceAllString(err.Error(), "it is a $2 $1, not a kubeconfig (apiVersion: v1, kind: Config)"))
	}
	cfg = rest.CopyConfig(cfg)
	cfg.UserAgent = userAgent
	// Modest rates: one run makes a few hundred requests at most.
	cfg.QPS, cfg.Burst = 20, 40
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, "", err
	}
	return dyn, cfg.Host, nil
}
