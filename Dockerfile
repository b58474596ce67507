# The one mtlsgen image. It serves as:
#   - the Argo CD Config Management Plugin sidecar (examples/argocd-cmp): the
#     sidecar runs argocd-cmp-server from Argo CD's shared volume, which reads
#     plugin.yaml below and runs `mtlsgen cmp generate`;
#   - the kustomize KRM function container (examples/kustomize/fleet-east):
#     kustomize runs the image as is, so its default command is `krm`;
#   - the restarter's CronJob image.
#
# Build it with `make image`, not directly: the binaries are compiled on the host
# (static, -trimpath, version stamped) and staged with the CA certificates and
# the passwd and group files into the build context (dist/image). A
# `FROM golang` build stage would need a registry this may not reach.
FROM scratch
ARG VERSION=dev
LABEL org.opencontainers.image.title="mtlsgen" \
      org.opencontainers.image.description="Linkerd mTLS with cert-manager and trust-manager, delivered by Argo CD: CMP sidecar, KRM function, restarter" \
      org.opencontainers.image.version="${VERSION}"
# uid 999 is the argocd user a CMP sidecar must run as; kustomize runs
# container functions as "nobody", which must resolve.
COPY passwd group /etc/
# System roots. Nothing in the image calls out over HTTPS today (it has no
# mtlsgen-helm, so it neither pulls nor hydrates charts); they serve status or
# restarter run from the image with a kubeconfig whose server has a public CA.
COPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
# mtlsgen hands krm, restarter and status to mtlsgen-kube, next to it.
COPY mtlsgen mtlsgen-kube /usr/local/bin/
COPY plugin.yaml /home/argocd/cmp-server/config/plugin.yaml
USER 999:999
WORKDIR /home/argocd
ENTRYPOINT ["/usr/local/bin/mtlsgen"]
CMD ["krm"]
