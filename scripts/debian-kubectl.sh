#!/usr/bin/env bash
# Debian's kubectl (package kubernetes-client, 1.20.x on bookworm) for the Kubernetes API stand-in's kubectl tests.
# Installing the package would conflict with a kubectl already in /usr/bin (e.g. Google Cloud SDK's), so this unpacks
# it instead: as root, `apt-get download` into a temp dir and `dpkg-deb -x` into /opt/weft-tools/kubernetes-client
# (once; later calls reuse it). Prints the path of the kubectl it provides; when not root, without apt, or when the
# download fails, prints whatever `kubectl` is on PATH (nothing, and status 1, when there is none).
# Sourced by ./test.sh; tests/Weft.KubeApi.StandIn.Tests looks in the same place.
WEFT_DEBIAN_KUBECTL_ROOT=/opt/weft-tools/kubernetes-client

ensure_debian_kubectl() {
  local root="$WEFT_DEBIAN_KUBECTL_ROOT" kubectl="$WEFT_DEBIAN_KUBECTL_ROOT/usr/bin/kubectl"
  if [ ! -x "$kubectl" ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && command -v dpkg-deb >/dev/null 2>&1; then
    local tmp
    tmp="$(mktemp -d)"
    if ! (cd "$tmp" && apt-get download -qq kubernetes-client >/dev/null 2>&1); then
      apt-get update -qq >/dev/null 2>&1 || true
      (cd "$tmp" && apt-get download -qq kubernetes-client >/dev/null 2>&1) || true
    fi
    local deb
    deb="$(ls "$tmp"/kubernetes-client_*.deb 2>/dev/null | head -n 1)"
    if [ -n "$deb" ]; then
      mkdir -p "$root" && dpkg-deb -x "$deb" "$root" || echo "weft: could not unpack $deb" >&2
    else
      echo "weft: could not download Debian's kubernetes-client; using the kubectl on PATH" >&2
    fi
    rm -rf "$tmp"
  fi
  if [ -x "$kubectl" ]; then
    echo "$kubectl"
  elif command -v kubectl >/dev/null 2>&1; then
    command -v kubectl
  else
    return 1
  fi
}
