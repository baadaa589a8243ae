# syntax=docker/dockerfile:1
# The Weft image: `weft` (controller, init, check …) and `weft-proxy` (the sidecar, Native AOT), as
# WeftInstallation.CliPath and .ProxyPath name them. `weft install` points the controller's Deployment at it, and the
# injector its init and sidecar containers.
#   docker build -t ghcr.io/weft-mesh/weft:0.1.0 .
# tests/Weft.Kubernetes.Tests (DockerfileTests) checks this file against the code: paths, projects, user, iptables.

FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
# clang links the Native AOT sidecar (bench/publish-proxy.sh), zlib is the runtime's compression.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends clang zlib1g-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY global.json Directory.Build.props Directory.Packages.props .editorconfig ./
COPY src/ src/
COPY deploy/crds/ deploy/crds/
# The sidecar: Native AOT, no runtime needed.
RUN dotnet publish src/Weft.Proxy/Weft.Proxy.csproj -c Release -r linux-x64 -nologo \
      -p:WeftAot=true -p:CppCompilerAndLinker=clang -o /out/proxy \
 && install -m 0755 /out/proxy/weft-proxy /usr/local/bin/weft-proxy
# The command line: self-contained single file (not AOT: YamlDotNet's and KubernetesClient's serialization and
# System.CommandLine reflect), so the runtime-deps base below serves both binaries. ReadyToRun: its code compiled ahead,
# so that a start runs little JIT (the controller's first model, and `weft init`, the init container of every meshed
# pod). Measured 2026-12-05 with this command: `weft validate examples/canary` 204 -> 84 ms (CPU 0.19 -> 0.09 s),
# `weft init --help` 91 -> 56-62 ms, a 10k-Service first model 497-528 -> 453-458 ms (bench/RESULTS.md); for a binary of
# 171 MB instead of 119 MB and 20 MB more RSS in a short command (61 against 41 MB).
RUN dotnet publish src/Weft.Cli/Weft.Cli.csproj -c Release -r linux-x64 -nologo \
      --self-contained -p:PublishSingleFile=true -p:PublishReadyToRun=true -o /out/cli \
 && install -m 0755 /out/cli/weft /usr/local/bin/weft

FROM mcr.microsoft.com/dotnet/runtime-deps:10.0
# `weft init` (the injected init container, run as root with NET_ADMIN) writes the capture rules with
# iptables-restore, iptables-nft-restore or iptables-legacy-restore (src/Weft.Cli/Capture/IptablesBinaries.cs): the
# iptables package has all three.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends iptables \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /usr/local/bin/weft /usr/local/bin/weft
COPY --from=build /usr/local/bin/weft-proxy /usr/local/bin/weft-proxy
LABEL org.opencontainers.image.title="weft" \
      org.opencontainers.image.description="Weft service mesh: controller, sidecar injector, init and sidecar (weft-proxy)" \
      org.opencontainers.image.source="https://github.com/weft-mesh/weft"
# The Deployment runs it with a read-only root filesystem and an emptyDir at /tmp (.NET's diagnostics sockets).
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/weft"]
