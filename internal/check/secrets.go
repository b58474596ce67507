package check

import (
	"encoding/base64"
	"fmt"
	"sort"
	"strings"
)

// checkPrivateKeys: MTLS099, on Secrets (data is base64, stringData plain)
// and on any other object whose strings hold a PEM private key.
func checkPrivateKeys(in *Input) []Finding {
	var out []Finding
	for _, d := range in.Docs {
		if d.APIVersion() == "v1" && d.Kind() == "Secret" {
			for _, field := range []string{"data", "stringData"} {
				m, _ := d.Obj[field].(map[string]any)
				keys := make([]string, 0, len(m))
				for k := range m {
					keys = append(keys, k)
				}
				sort.Strings(keys)
				for _, k := range keys {
					s, _ := m[k].(string)
					if field == "data" {
						if b, err := base64.StdEncoding.DecodeString(s); err == nil {
							s = string(b)
						}
					}
					if strings.Contains(s, "PRIVATE KEY") || (k == "tls.key" || k == "key.pem") && strings.TrimSpace(s) != "" {
						out = append(out, at(RulePrivateKey, d, field+"."+k,
							fmt.Sprintf("Secret %s carries a private key in %s.%s: everyone who can read the repository holds it", d.Name(), field, k),
							"remove it from git; deliver CA keypairs with External Secrets (or Sealed Secrets) and let cert-manager make every other key in the cluster"))
					}
				}
			}
			continue
		}
		var walk func(path string, v any)
		walk = func(path string, v any) {
			switch t := v.(type) {
			case map[string]any:
				keys := make([]string, 0, len(t))
				for k := range t {
					keys = append(keys, k)
				}
				sort.Strings(keys)
				for _, k := range keys {
					walk(strings.TrimPrefix(path+"."+k, "."), t[k])
				}
			case []any:
				for i, e := range t {
					walk(fmt.Sprintf("%s[%d]", path, i), e)
				}
			case string:
				if strings.Contains(t, "-----BEGIN") && strings.Contains(t, "PRIVATE KEY-----") {
					out = append(out, at(RulePrivateKey, d, path,
						"a PEM private key is written into this object: everyone who can read the repository holds it",
						"remove it; keys are made in the cluster"))
				}
			}
		}
		walk("", d.Obj)
	}
	for _, v := range in.Values {
		if v.Prefix != "" {
			continue // inside an object: covered above
		}
		for _, key := range []string{"identity.issuer.tls.keyPEM", "proxyInjector.keyPEM", "profileValidator.keyPEM", "policyValidator.keyPEM", "tap.keyPEM", "tapInjector.keyPEM", "webhook.keyPEM"} {
			if s := str(v.V, strings.Split(key, ".")...); strings.TrimSpace(s) != "" {
				out = append(out, valuesAt(RulePrivateKey, v, key,
					fmt.Sprintf("%s holds a private key in the values: everyone who can read them holds it", key),
					"remove it; with externalSecret (webhooks) and scheme kubernetes.io/tls (issuer) cert-manager makes the keys in the cluster"))
			}
		}
	}
	return out
}
