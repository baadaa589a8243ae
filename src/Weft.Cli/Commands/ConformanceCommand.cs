using System.CommandLine;
using System.Text.Json;
using Weft.Cli.Conformance;

namespace Weft.Cli.Commands;

/// <summary>
/// <c>weft conformance --cases DIR</c>: runs the mesh conformance case files against local meshes and prints one line per
/// case; optionally writes an upstream-format ConformanceReport and per-case JSON lines. Exit 0 only if every case that
/// ran passed.
/// </summary>
internal static class ConformanceCommand
{
    public static Command Create()
    {
        var cases = new Option<string>("--cases") { Description = "Directory of conformance case files (shared/conformance/cases)", Required = true };
        var runTest = new Option<string[]>("--run-test") { Description = "Run only this test (upstream name; repeatable)" };
        var report = new Option<string?>("--report") { Description = "Write an upstream-format ConformanceReport (YAML) here" };
        var results = new Option<string?>("--results") { Description = "Write one JSON object per case here ({test, case, passed, detail})" };
        var verbose = new Option<bool>("--verbose", "-v") { Description = "Show the local mesh's progress and control plane log" };
        var offline = new Option<bool>("--offline") { Description = "Start nothing: run each case through the compiled route tables and a simulated echo backend" };
        var isolation = new Option<string>("--isolation") { Description = "How the local meshes isolate pods: netns, process, or auto (netns when possible)", DefaultValueFactory = _ => Local.IsolationNames.Auto };
        isolation.AcceptOnlyFromAmong(Local.IsolationNames.Auto, Local.IsolationNames.Netns, Local.IsolationNames.Process);
        var kubeconfig = new Option<string?>("--kubeconfig") { Description = "Run through this API server and an in-process weft controller (weft up --kubeconfig); route status is read from the API" };
        var sidecar = SidecarOption.Create();
        var command = new Command("conformance", "Run the mesh conformance tests against a local mesh") { cases, runTest, report, results, verbose, offline, isolation, kubeconfig, sidecar };
        command.SetAction(async (result, ct) =>
        {
            var directory = result.GetValue(cases)!;
            if (!Directory.Exists(directory))
            {
                await Console.Error.WriteLineAsync($"weft conformance: {directory}: no such directory");
                return 2;
            }

            if (result.GetValue(offline))
            {
                return RunOffline(directory, result.GetValue(runTest) ?? []);
            }

            var (mode, line) = Local.IsolationChoice.Decide(result.GetValue(isolation)!);
            if (mode is not { } chosen)
            {
                await Console.Error.WriteLineAsync($"weft conformance: --isolation netns: {line}");
                return 2;
            }

            var (weft, sidecarLine) = await SidecarOption.ChooseAsync(result, sidecar, "weft conformance");
            if (weft is null)
            {
                return 2;
            }

            Console.WriteLine(line);
            Console.WriteLine(sidecarLine);
            var runner = new ConformanceRunner(new ConformanceRunnerOptions
            {
                CasesDirectory = directory,
                RunTests = result.GetValue(runTest) ?? [],
                Output = Console.Out,
                Verbose = result.GetValue(verbose),
                Isolation = chosen,
                Weft = weft,
                ApiServer = result.GetValue(kubeconfig) is { } config ? new Local.Api.ApiServerConnection { Kubeconfig = Path.GetFullPath(config) } : null,
            });
            ConformanceRun run;
            try
            {
                run = await runner.RunAsync(ct);
            }
            catch (Exception e) when (e is ArgumentException or FormatException)
            {
                await Console.Error.WriteLineAsync($"weft conformance: {e.Message}");
                return 2;
            }
            catch (Exception e) when (e is Local.Netns.NetworkSetupException or Local.Api.ApplyRefusedException)
            {
                TerminalText.Writer(Console.Error).WriteLine($"weft conformance: {e.Message}"); // an API server's refusals quote the cluster
                return 1;
            }

            if (result.GetValue(report) is { } reportFile)
            {
                var conformanceReport = ConformanceReport.Build(run, ConformanceProfiles.SupportedFeatures, VersionCommand.Version, DateTimeOffset.UtcNow);
                await File.WriteAllTextAsync(reportFile, conformanceReport.ToYaml(), ct);
                Console.WriteLine($"report written to {reportFile}");
            }

            if (result.GetValue(results) is { } resultsFile)
            {
                await File.WriteAllLinesAsync(resultsFile, run.Cases.Select(ResultLine), ct);
            }

            return run.Succeeded ? 0 : 1;
        });
        return command;
    }

    private static int RunOffline(string directory, string[] only)
    {
        var run = new ConformanceRun([.. CaseFileParser.ParseDirectory(directory).Where(t => only.Length == 0 || only.Contains(t.Name)).Select(t => OfflineConformance.Run(t))]);
        foreach (var r in run.Cases)
        {
            Console.WriteLine(r.Outcome switch
            {
                Outcome.Passed => $"PASS {r.Test}/{r.Case}",
                Outcome.Skipped => $"SKIP {r.Test}/{r.Case}: {r.Detail}",
                _ => $"FAIL {r.Test}/{r.Case}: {r.Detail}",
            });
        }

        var (passed, failed, skipped) = (run.Cases.Count(c => c.Outcome == Outcome.Passed), run.Cases.Count(c => c.Outcome == Outcome.Failed), run.Cases.Count(c => c.Outcome == Outcome.Skipped));
        Console.WriteLine($"{passed} passed, {failed} failed, {skipped} skipped (offline: compiled route tables, no traffic)");
        return failed == 0 ? 0 : 1;
    }

    public static string ResultLine(CaseResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var line = new Dictionary<string, object?>
        {
            ["test"] = result.Test,
            ["case"] = result.Case,
            ["passed"] = result.Passed,
            ["detail"] = result.Detail,
        };
        if (result.Outcome == Outcome.Skipped)
        {
            line["skipped"] = true;
        }

        return JsonSerializer.Serialize(line);
    }
}
