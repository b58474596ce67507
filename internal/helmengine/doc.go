// Package helmengine is the charts.Engine that links Helm: it downloads
// chart archives with Helm's downloader and renders charts with Helm's
// install action in client-only mode, exactly as `helm template
// --include-crds` does.
//
// Only cmd/mtlsgen-helm and tests import it. Importing it from anything
// the mtlsgen binary links would put Helm's package initialisation (about
// 16 ms: client-go and kubectl schemes, a JSON Schema compiler) on every
// mtlsgen start; a test in cmd/mtlsgen guards against that.
package helmengine
