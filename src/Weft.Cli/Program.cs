using System.CommandLine;
using System.Runtime.InteropServices;
using Weft.Cli;
using Weft.Cli.Commands;

// weft: the Weft command line. Verbs: up, curl, exec, status, conformance, validate, explain, init, controller, inject, install, check, proxy, echo, version.
ParentWatchdog.StartIfRequested();

// Ctrl-C and SIGTERM cancel the verb's token. We handle the signals ourselves: the ASP.NET hosts inside (control plane,
// sidecar, echo) register for SIGTERM and cancel the runtime's default handling, so System.CommandLine's own handling
// (through ProcessExit) would never fire. A second signal terminates at once.
using var shutdown = new CancellationTokenSource();
using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);

var root = new RootCommand("Weft: a service mesh for Kubernetes implementing the Gateway API for service mesh (GAMMA).");
root.Subcommands.Add(UpCommand.Create());
root.Subcommands.Add(CurlCommand.Create());
root.Subcommands.Add(ExecCommand.Create());
root.Subcommands.Add(StatusCommand.Create());
root.Subcommands.Add(TapCommand.Create());
root.Subcommands.Add(TopCommand.Create());
root.Subcommands.Add(StatCommand.Create());
root.Subcommands.Add(DashboardCommand.Create());
root.Subcommands.Add(ConformanceCommand.Create());
root.Subcommands.Add(ValidateCommand.Create());
root.Subcommands.Add(ExplainCommand.Create());
root.Subcommands.Add(AuthzCommand.Create());
root.Subcommands.Add(InitCommand.Create());
root.Subcommands.Add(ControllerCommand.Create());
root.Subcommands.Add(ControlPlaneCommand.Create()); // hidden: weft up --control-plane process runs it
root.Subcommands.Add(InjectCommand.Create());
root.Subcommands.Add(InstallCommand.Create());
root.Subcommands.Add(CheckCommand.Create());
root.Subcommands.Add(ProxyCommand.Create());
root.Subcommands.Add(EchoCommand.Create());
root.Subcommands.Add(VersionCommand.Create());
// A bad value of --default-inbound-policy, --default-outbound-policy or --mtls-default: one line and exit 2, no help.
return await MeshDefaultUsage.InvokeAsync(root.Parse(args), new InvocationConfiguration { ProcessTerminationTimeout = null }, shutdown.Token);

void Stop(PosixSignalContext context)
{
    if (!shutdown.IsCancellationRequested)
    {
        context.Cancel = true;
        shutdown.Cancel();
    }
}
