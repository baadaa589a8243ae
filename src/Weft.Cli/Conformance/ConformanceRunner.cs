using System.Diagnostics;
using System.Globalization;
using System.Net;
using Weft.Api;
using Weft.Api.Model;
using Weft.Cli.Client;
using Weft.Cli.Local;
using Weft.ControlPlane.Objects;
using Weft.Echo;

namespace Weft.Cli.Conformance;

/// <summary>
/// Runs conformance case files against the real product: one local mesh per base manifest (the base copied into a
/// watched temporary manifests directory), then per test its manifests copied in (kubectl apply), its cases sent from the
/// client pods (through their sidecars' proxy settings, or in network namespaces as plain connections their capture
/// rules take), and the manifests deleted again (kubectl delete), waiting until the control plane
/// has processed each change. A case passes when it holds <see cref="ConformanceRunnerOptions.RequiredConsecutiveSuccesses"/>
/// times in a row within <see cref="ConformanceRunnerOptions.ConvergenceTimeout"/> (gamma-spec (f) "Convergence").
/// gRPC cases (<c>grpc://</c>) call the echo server's <c>EchoTestService/Echo</c> through the sidecar with
/// <see cref="MeshGrpcClient"/> (h2c inside the CONNECT tunnel); the status is compared by gRPC status name.
/// </summary>
internal sealed class ConformanceRunner
{
    private static readonly TimeSpan ApplyTimeout = TimeSpan.FromSeconds(30);

    private readonly ConformanceRunnerOptions _options;
    private readonly TextWriter _out;

    public ConformanceRunner(ConformanceRunnerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _out = TextWriter.Synchronized(options.Output);
    }

    /// <summary>Raised after each case, for live reporting beyond the output lines.</summary>
    public event Action<CaseResult>? CaseCompleted;

    public async Task<ConformanceRun> RunAsync(CancellationToken ct)
    {
        var tests = CaseFileParser.ParseDirectory(_options.CasesDirectory);
        if (_options.RunTests.Count > 0)
        {
            var unknown = _options.RunTests.Where(n => tests.All(t => t.Name != n)).ToList();
            if (unknown.Count > 0)
            {
                throw new ArgumentException($"no test named {string.Join(", ", unknown)} in {_options.CasesDirectory}");
            }

            tests = [.. tests.Where(t => _options.RunTests.Contains(t.Name))];
        }

        var results = new Dictionary<ConformanceTest, TestResult>();
        var workRoot = _options.WorkDirectory ?? Directory.CreateTempSubdirectory("weft-conformance-").FullName;
        try
        {
            var index = 0;
            foreach (var group in tests.GroupBy(t => t.Base, StringComparer.Ordinal))
            {
                var groupDirectory = Path.Combine(workRoot, $"base-{index++}");
                foreach (var result in await RunGroupAsync(group.Key, [.. group], groupDirectory, ct))
                {
                    results[result.Test] = result;
                }
            }
        }
        finally
        {
            // Keep the pods' logs when something failed: they say why.
            if (_options.WorkDirectory is null && results.Values.All(r => r.Outcome != Outcome.Failed))
            {
                TryDeleteDirectory(workRoot);
            }
            else if (results.Values.Any(r => r.Outcome == Outcome.Failed))
            {
                _out.WriteLine($"manifests and pod logs kept in {workRoot}");
            }
        }

        var run = new ConformanceRun([.. tests.Select(t => results[t])]);
        WriteSummary(run);
        return run;
    }

    private TestResult Skip(ConformanceTest test, string reason) =>
        new(test, [.. test.Cases.Select(c => Report(new CaseResult(test.Name, c.Name, Outcome.Skipped, reason, TimeSpan.Zero)))]);

    private async Task<List<TestResult>> RunGroupAsync(string baseFile, List<ConformanceTest> tests, string directory, CancellationToken ct)
    {
        if (tests.All(t => ConformanceProfiles.SkipReason(t) is not null))
        {
            return [.. tests.Select(t => Skip(t, ConformanceProfiles.SkipReason(t)!))];
        }

        var manifests = Path.Combine(directory, "manifests");
        Directory.CreateDirectory(manifests);
        File.Copy(baseFile, Path.Combine(manifests, "00-base" + Path.GetExtension(baseFile)), overwrite: true);
        _out.WriteLine($"starting the local mesh with {baseFile}");
        var started = Stopwatch.StartNew();
        var results = new List<TestResult>();
        await using var mesh = await LocalMesh.StartAsync(manifests, new LocalMeshOptions
        {
            RunDirectory = Path.Combine(directory, "run"),
            Progress = _options.Verbose ? _out : null,
            Verbose = _options.Verbose,
            Weft = _options.Weft,
            Isolation = _options.Isolation,
            ApiServer = _options.ApiServer,
        }, ct);
        try
        {
            await mesh.WaitUntilReadyAsync(_options.ReadyTimeout, ct);
        }
        catch (TimeoutException e)
        {
            _out.WriteLine($"the local mesh did not become ready: {e.Message}");
            foreach (var test in tests)
            {
                results.Add(ConformanceProfiles.SkipReason(test) is { } reason
                    ? Skip(test, reason)
                    : new TestResult(test, [.. test.Cases.Select(c => Report(new CaseResult(test.Name, c.Name, Outcome.Failed, "the local mesh did not become ready", TimeSpan.Zero)))]));
            }

            return results;
        }

        _out.WriteLine($"local mesh ready in {started.Elapsed.TotalSeconds:0.0}s ({mesh.AddressBlock}, logs in {mesh.LogDirectory})");
        foreach (var test in tests)
        {
            ct.ThrowIfCancellationRequested();
            results.Add(ConformanceProfiles.SkipReason(test) is { } reason ? Skip(test, reason) : await RunTestAsync(mesh, manifests, test, ct));
        }

        return results;
    }

    private async Task<TestResult> RunTestAsync(LocalMesh mesh, string manifests, ConformanceTest test, CancellationToken ct)
    {
        // kubectl apply: copy the test's manifests into the watched directory, wait until the store has their objects.
        var applied = new List<string>();
        var keys = new List<string>();
        var routes = new List<Route>();
        string? applyError = null;
        for (var i = 0; i < test.Manifests.Count; i++)
        {
            var target = Path.Combine(manifests, $"10-{i.ToString("00", CultureInfo.InvariantCulture)}-{Path.GetFileName(test.Manifests[i])}");
            // Copied beside, then renamed into place: the watcher sees the whole file at once, as kubectl apply is one step.
            var staging = Path.Combine(manifests, $".{Guid.NewGuid():N}.tmp");
            File.Copy(test.Manifests[i], staging, overwrite: true);
            File.Move(staging, target, overwrite: true);
            applied.Add(target);
            var loaded = ManifestLoader.LoadPaths([test.Manifests[i]]);
            foreach (var problem in loaded.Problems)
            {
                _out.WriteLine($"  warning: {test.Name}: {problem}");
            }

            keys.AddRange(loaded.Objects.Select(ObjectStore.KeyOf));
            routes.AddRange(loaded.Objects.OfType<Route>());
        }

        try
        {
            await WaitForStoreAsync(mesh, store => keys.All(k => store.Objects.Any(o => ObjectStore.KeyOf(o) == k)), ct);
            applyError = await CheckRouteStatusAsync(mesh, routes, ct);
        }
        catch (TimeoutException)
        {
            applyError = $"the control plane did not load {test.Name}'s manifests within {ApplyTimeout.TotalSeconds:0}s";
        }

        var cases = new List<CaseResult>();
        try
        {
            foreach (var testCase in test.Cases)
            {
                var result = applyError is null
                    ? await RunCaseAsync(mesh, test, testCase, ct)
                    : new CaseResult(test.Name, testCase.Name, Outcome.Failed, applyError, TimeSpan.Zero);
                cases.Add(Report(result));
            }
        }
        finally
        {
            // kubectl delete: remove the files, wait until the store no longer has the objects and a model without them is published.
            foreach (var file in applied)
            {
                File.Delete(file);
            }

            try
            {
                await WaitForStoreAsync(mesh, store => !keys.Any(k => store.Objects.Any(o => ObjectStore.KeyOf(o) == k)), ct);
            }
            catch (TimeoutException)
            {
                _out.WriteLine($"  warning: the control plane did not delete {test.Name}'s objects within {ApplyTimeout.TotalSeconds:0}s");
            }
        }

        return new TestResult(test, cases);
    }

    /// <summary>
    /// gamma-spec H1: each route has a status entry of Weft's controller for every Service parentRef, Accepted True and
    /// ResolvedRefs stated (False is right for a backendRef to a missing Service, as MeshGRPCRouteWeight's echo-v3), both
    /// observed at the route's generation. Through an API server the entries are read back from the API objects (what
    /// the controller wrote) and must say what the controller's model decided; otherwise they are the control plane's
    /// model. Waits up to <see cref="ApplyTimeout"/>; returns what is still wrong then, or null.
    /// </summary>
    private static async Task<string?> CheckRouteStatusAsync(LocalMesh mesh, List<Route> routes, CancellationToken ct)
    {
        if (routes.Count == 0)
        {
            return null;
        }

        var deadline = DateTimeOffset.UtcNow + ApplyTimeout;
        while (true)
        {
            var decided = mesh.ControlPlane.Statuses;
            var problem = mesh.ApiServer is { } api
                ? RouteStatusProblem(routes, await api.RouteStatusesAsync(ct), decided)
                : RouteStatusProblem(routes, decided, null);
            if (problem is null)
            {
                return null;
            }

            if (DateTimeOffset.UtcNow > deadline)
            {
                return $"route status{(mesh.ApiServer is null ? "" : " (read from the API server)")}: {problem}";
            }

            await Task.Delay(100, ct);
        }
    }

    private static string? RouteStatusProblem(List<Route> routes, IReadOnlyList<Weft.Routing.RouteStatus> statuses, IReadOnlyList<Weft.Routing.RouteStatus>? decided)
    {
        foreach (var route in routes)
        {
            var name = $"{route.Kind} {route.Namespace}/{route.Name}";
            var status = statuses.FirstOrDefault(s => s.Kind == route.Kind && s.Namespace == route.Namespace && s.Name == route.Name);
            var model = decided?.FirstOrDefault(s => s.Kind == route.Kind && s.Namespace == route.Namespace && s.Name == route.Name);
            foreach (var parent in route.ParentRefs.Where(Weft.Routing.MeshModel.IsServiceParent))
            {
                var entry = status?.Parents.FirstOrDefault(e => e.ParentRef == parent);
                if (entry is null)
                {
                    return $"{name} has no status for parent Service {parent.Namespace ?? route.Namespace}/{parent.Name}";
                }

                foreach (var type in new[] { "Accepted", "ResolvedRefs" })
                {
                    var condition = entry.Condition(type);
                    if (condition is null || (type == "Accepted" && condition.Status != "True"))
                    {
                        return $"{name}: parent {parent.Name}: {type} is {condition?.Status ?? "missing"} ({condition?.Reason}: {condition?.Message})";
                    }

                    if (condition.ObservedGeneration != status!.Generation)
                    {
                        return $"{name}: parent {parent.Name}: {type} observed generation {condition.ObservedGeneration}, not {status.Generation}";
                    }

                    if (decided is not null && model?.Parents.FirstOrDefault(e => e.ParentRef == parent)?.Condition(type) is var wanted
                        && (wanted is null || (wanted.Status, wanted.Reason, wanted.Message) != (condition.Status, condition.Reason, condition.Message)))
                    {
                        return $"{name}: parent {parent.Name}: {type} is {condition.Status} ({condition.Reason}) in the API, {wanted?.Status ?? "missing"} ({wanted?.Reason}) in the controller's model";
                    }
                }
            }
        }

        return null;
    }

    private static async Task WaitForStoreAsync(LocalMesh mesh, Func<StoreSnapshot, bool> condition, CancellationToken ct)
    {
        var store = mesh.ControlPlane.Store;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(ApplyTimeout);
        var changed = new SemaphoreSlim(0);
        void OnChanged(object? sender, EventArgs e) => changed.Release();
        store.Changed += OnChanged;
        try
        {
            while (true)
            {
                var snapshot = store.Snapshot();
                if (condition(snapshot))
                {
                    if (mesh.ApiServer is { } api)
                    {
                        // Through an API server: also until the node (kube-proxy, DNS) has read what was applied.
                        await api.SyncAsync(deadline.Token);
                    }

                    await mesh.ControlPlane.WaitForVersionAsync(snapshot.Version, deadline.Token);
                    return;
                }

                try
                {
                    await changed.WaitAsync(TimeSpan.FromMilliseconds(200), deadline.Token);
                }
                catch (OperationCanceledException) when (!ct.IsCancellationRequested)
                {
                    throw new TimeoutException();
                }
            }
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new TimeoutException();
        }
        finally
        {
            store.Changed -= OnChanged;
        }
    }

    private async Task<CaseResult> RunCaseAsync(LocalMesh mesh, ConformanceTest test, ConformanceCase testCase, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        string? failure = null;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(_options.ConvergenceTimeout);
        var consecutive = 0;
        var attempts = 0;
        try
        {
            if (testCase.Expect.Distribution is not null)
            {
                failure = await RunDistributionAsync(mesh, testCase, ct);
            }
            else
            {
                while (true)
                {
                    attempts++;
                    failure = await SendOnceAsync(mesh, testCase, deadline.Token);
                    if (failure is null)
                    {
                        if (++consecutive >= _options.RequiredConsecutiveSuccesses)
                        {
                            break;
                        }

                        continue; // upstream AwaitConvergence: no delay after a success
                    }

                    consecutive = 0;
                    await Task.Delay(_options.PollInterval, deadline.Token);
                }
            }
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            failure = $"{failure ?? "no response"} (did not converge in {_options.ConvergenceTimeout.TotalSeconds:0}s, {attempts} attempts)";
        }

        return new CaseResult(test.Name, testCase.Name, failure is null ? Outcome.Passed : Outcome.Failed, failure ?? "", clock.Elapsed);
    }

    /// <summary>Upstream's weight tests: a batch of Count requests, retried up to DistributionAttempts times.</summary>
    private async Task<string?> RunDistributionAsync(LocalMesh mesh, ConformanceCase testCase, CancellationToken ct)
    {
        string? failure = null;
        for (var attempt = 1; attempt <= _options.DistributionAttempts; attempt++)
        {
            var (client, request, error) = Prepare(mesh, testCase);
            if (client is null)
            {
                failure = error;
                await Task.Delay(_options.PollInterval, ct);
                continue;
            }

            if (request!.Url.Scheme == "grpc")
            {
                using var grpc = new MeshGrpcClient(client.Dialer, _options.RequestTimeout);
                client.Dispose();
                var calls = new List<(string, string?)>(testCase.Count);
                for (var i = 0; i < testCase.Count; i++)
                {
                    var response = await grpc.CallAsync(request, ct);
                    calls.Add((response.StatusName, EchoResponse.Parse(response.Message).Hostname));
                }

                failure = CaseCheck.CheckDistribution(testCase.Expect, calls);
                if (failure is null)
                {
                    return null;
                }

                continue;
            }

            using (client)
            {
                var responses = new List<(int, string?)>(testCase.Count);
                try
                {
                    for (var i = 0; i < testCase.Count; i++)
                    {
                        var response = await client.SendAsync(request!, ct);
                        responses.Add((response.StatusCode, EchoResponse.Parse(response.BodyText).Hostname));
                    }
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
                {
                    failure = $"request failed: {e.Message}";
                    continue;
                }

                failure = CaseCheck.CheckDistribution(testCase.Expect, responses);
                if (failure is null)
                {
                    return null;
                }
            }
        }

        return $"{failure} (after {_options.DistributionAttempts} batches of {testCase.Count})";
    }

    private async Task<string?> SendOnceAsync(LocalMesh mesh, ConformanceCase testCase, CancellationToken ct)
    {
        var (client, request, error) = Prepare(mesh, testCase);
        if (client is null)
        {
            return error;
        }

        if (request!.Url.Scheme == "grpc")
        {
            client.Dispose();
            using var grpc = new MeshGrpcClient(client.Dialer, _options.RequestTimeout);
            var response = await grpc.CallAsync(request, ct);
            return CaseCheck.CheckGrpc(testCase.Expect, response);
        }

        // One client per request: a new connection each time, as each upstream `client` invocation is a new process.
        using (client)
        {
            try
            {
                var response = await client.SendAsync(request!, ct);
                return CaseCheck.Check(testCase.Expect, response);
            }
            catch (HttpRequestException e)
            {
                return $"request failed: {e.Message}";
            }
            catch (TaskCanceledException) when (!ct.IsCancellationRequested)
            {
                return $"request timed out after {_options.RequestTimeout.TotalSeconds:0}s";
            }
        }
    }

    /// <summary>The client pod's sidecar and the request: the URL's {target} and the connection target resolved.</summary>
    private (MeshClient? Client, MeshRequest? Request, string? Error) Prepare(LocalMesh mesh, ConformanceCase testCase)
    {
        var pods = mesh.Cluster.Pods;
        var client = pods.Where(p => p.Namespace == testCase.FromNamespace && p.DeploymentName == testCase.FromDeployment && p.Ready)
            .OrderBy(p => p.Name, StringComparer.Ordinal).FirstOrDefault();
        if (client is null)
        {
            return (null, null, $"no ready pod of {testCase.From} to send from");
        }

        var (url, connectTo, error) = CaseTargets.Resolve(testCase.Request.Url, testCase.Request.Target, testCase.FromNamespace, (target, ns) =>
            target.Kind == CaseTarget.ClusterIP
                ? mesh.ControlPlane.Store.Snapshot().Objects.OfType<Service>().FirstOrDefault(s => s.Namespace == ns && s.Name == target.Name)?.Spec.ClusterIP
                : pods.Where(p => p.Namespace == ns && p.DeploymentName == target.Name && p.Ready)
                    .OrderBy(p => p.Name, StringComparer.Ordinal).FirstOrDefault()?.IP.ToString());
        if (error is not null)
        {
            return (null, null, error);
        }

        var request = new MeshRequest
        {
            Url = new Uri(url),
            Method = testCase.Request.Method,
            Headers = testCase.Request.Headers,
            ConnectTo = connectTo,
        };
        return (new MeshClient(mesh.DialerFor(client), _options.RequestTimeout), request, null);
    }

    private CaseResult Report(CaseResult result)
    {
        var name = $"{result.Test}/{result.Case}";
        var line = result.Outcome switch
        {
            Outcome.Passed => $"PASS {name} ({result.Duration.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture)}s)",
            Outcome.Skipped => $"SKIP {name}: {result.Detail}",
            _ => $"FAIL {name} ({result.Duration.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture)}s): {result.Detail}",
        };
        _out.WriteLine(line);
        CaseCompleted?.Invoke(result);
        return result;
    }

    private void WriteSummary(ConformanceRun run)
    {
        var cases = run.Cases.ToList();
        var passed = cases.Count(c => c.Outcome == Outcome.Passed);
        var failed = cases.Count(c => c.Outcome == Outcome.Failed);
        var skipped = cases.Count(c => c.Outcome == Outcome.Skipped);
        var tests = run.Tests;
        _out.WriteLine();
        _out.WriteLine($"cases: {passed} passed, {failed} failed, {skipped} skipped ({cases.Count} total)");
        _out.WriteLine($"tests: {tests.Count(t => t.Outcome == Outcome.Passed)} passed, {tests.Count(t => t.Outcome == Outcome.Failed)} failed, {tests.Count(t => t.Outcome == Outcome.Skipped)} skipped ({tests.Count} total)");
        foreach (var test in tests.Where(t => t.Outcome == Outcome.Failed))
        {
            _out.WriteLine($"  failed: {test.Test.Name} ({string.Join(", ", test.Cases.Where(c => c.Outcome == Outcome.Failed).Select(c => c.Case))})");
        }

        _out.WriteLine(run.Succeeded ? "conformance: PASS" : "conformance: FAIL");
    }

    private static void TryDeleteDirectory(string path)
    {
        try
        {
            Directory.Delete(path, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
