#!/usr/bin/env bash
# The Native AOT sidecar of this tree, artifacts/weft-proxy/weft-proxy: what `weft up` runs each pod's sidecar as by
# default (same command line as `weft proxy`; src/Weft.Cli/Local/SidecarChoice.cs picks it, SourceTreeSidecar.cs checks
# it is current by the same rule as here). Sourced by ./weft (before `weft up` and `weft conformance`), ./test.sh and
# bench/publish-proxy.sh:
#   ensure_aot_sidecar           builds it when missing or older than one of its sources; 0 when it is current, 130
#                                when the build was interrupted (Ctrl-C: the caller stops too)
#   publish_aot_sidecar [ARG]... builds it now (ARGs go to dotnet publish); 0 when built, 130 when interrupted
#   aot_sidecar_sources          its sources: src/Weft.Proxy and the projects it references, transitively, and the root
#                                build files (a change to the CLI or the control plane alone does not rebuild it)
# A build takes a minute or two on two cores and says so on stderr. It needs clang (the ILCompiler's linker driver:
# clang-14 on Debian 12, or WEFT_AOT_CC) and zlib's headers, installed from Debian when missing and root. What keeps it
# from building goes to artifacts/weft-proxy/.unavailable, the reason `weft up` gives when it runs the JIT sidecar
# instead; a publish that failed is tried again once a source changes (or artifacts/weft-proxy is deleted).

_aot_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
AOT_SIDECAR_DIR="$_aot_root/artifacts/weft-proxy"

aot_sidecar_sources() {
  local todo=(src/Weft.Proxy) seen=() dir include
  while [ ${#todo[@]} -gt 0 ]; do
    dir="${todo[0]}"
    todo=("${todo[@]:1}")
    case " ${seen[*]} " in *" $dir "*) continue ;; esac
    seen+=("$dir")
    while read -r include; do
      [ -n "$include" ] && todo+=("$(realpath -m --relative-to="$_aot_root" "$_aot_root/$dir/$(dirname "$include")")")
    done < <(sed -n 's/.*<ProjectReference Include="\([^"]*\)".*/\1/p' "$_aot_root/$dir"/*.csproj | tr '\\' '/')
  done
  printf '%s\n' "${seen[@]}" Directory.Build.props Directory.Packages.props global.json
}

. "$_aot_root/scripts/sources-newer.sh"

# Whether a source of the sidecar changed after file $1 (a source as ./weft counts one for the CLI).
_aot_sources_newer_than() {
  local paths=() source
  while read -r source; do paths+=("$_aot_root/$source"); done < <(aot_sidecar_sources)
  sources_newer_than "$1" "${paths[@]}"
}

ensure_aot_sidecar() {
  _aot_current && return 0
  mkdir -p "$_aot_root/artifacts"
  # One build at a time (two weft ups started together): the second finds the first's result.
  (
    command -v flock >/dev/null 2>&1 && flock 9
    _aot_current && exit 0
    # Failed with these sources already: weft up says so (.unavailable) rather than spend another two minutes.
    if [ -f "$AOT_SIDECAR_DIR/.publish-failed" ] && ! _aot_sources_newer_than "$AOT_SIDECAR_DIR/.publish-failed"; then
      exit 1
    fi
    publish_aot_sidecar
  ) 9>"$_aot_root/artifacts/.weft-proxy.lock"
}

# Whether the sidecar is built, with its stamp, and no source of it changed since.
_aot_current() {
  [ -x "$AOT_SIDECAR_DIR/weft-proxy" ] && [ -f "$AOT_SIDECAR_DIR/.built" ] && ! _aot_sources_newer_than "$AOT_SIDECAR_DIR/.built"
}

publish_aot_sidecar() {
  local out="$AOT_SIDECAR_DIR" cc="${WEFT_AOT_CC:-clang-14}" missing
  mkdir -p "$out"
  rm -f "$out/.publish-failed" "$out/.unavailable"
  missing="$(_aot_missing "$cc")"
  if [ -n "$missing" ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "weft: installing $missing (Debian) to build the Native AOT sidecar..." >&2
    export DEBIAN_FRONTEND=noninteractive
    # shellcheck disable=SC2086 # $missing is a list of package names
    apt-get install -y -qq $missing >/dev/null 2>&1 \
      || { apt-get update -qq >/dev/null 2>&1; apt-get install -y -qq $missing >/dev/null 2>&1; } || true
    missing="$(_aot_missing "$cc")"
    [ -z "$missing" ] || { echo "$missing could not be installed (apt-get install $missing)" >"$out/.unavailable"; return 1; }
  elif [ -n "$missing" ]; then
    echo "$missing not installed (as root: apt-get install $missing; or WEFT_AOT_CC=another clang)" >"$out/.unavailable"
    return 1
  fi

  echo "weft: building the Native AOT sidecar (artifacts/weft-proxy; a minute or two, again only when its sources change)..." >&2
  # The stamp is taken before the publish starts, so a source edited during it makes the result stale, not current.
  find "$out" -mindepth 1 -delete
  touch "$out/.building"
  # Ctrl-C (or a TERM) during the publish: dotnet cancels the build and exits as if it had failed. That is no failure
  # of these sources' to remember: nothing is recorded, the next weft up builds again, and this one stops (130).
  local interrupted=0 built=0
  trap 'interrupted=1' INT TERM
  dotnet publish "$_aot_root/src/Weft.Proxy/Weft.Proxy.csproj" -c Release -r linux-x64 -nologo -v quiet -clp:ErrorsOnly \
    -p:WeftAot=true -p:CppCompilerAndLinker="$cc" -o "$out" "$@" >"$out/build.log" 2>&1 && [ -x "$out/weft-proxy" ] && built=1
  trap - INT TERM
  if [ "$built" = 1 ]; then
    mv "$out/.building" "$out/.built"
    [ "$interrupted" = 0 ] || return 130
    return 0
  fi
  if [ "$interrupted" = 1 ]; then
    rm -f "$out/.building"
    echo "weft: the Native AOT build was interrupted (built again at the next weft up)" >&2
    return 130
  fi
  mv "$out/.building" "$out/.publish-failed"
  echo "the Native AOT publish failed (log: artifacts/weft-proxy/build.log; tried again when a source changes, or after rm -r artifacts/weft-proxy)" >"$out/.unavailable"
  echo "weft: $(cat "$out/.unavailable")" >&2
  return 1
}

# The Debian packages the publish needs and this machine lacks, space-separated.
_aot_missing() {
  local missing=()
  command -v "$1" >/dev/null 2>&1 || missing+=("$1")
  [ -e /usr/include/zlib.h ] || missing+=(zlib1g-dev)
  echo "${missing[*]}"
}
