using System.CommandLine;
using System.Globalization;
using Weft.Discovery.Tap;
using Weft.Discovery.V1;

namespace Weft.Cli.Commands;

/// <summary>
/// <c>weft tap deploy/NAME</c>: one line per request the workload's sidecars complete (as <c>linkerd viz tap</c>),
/// filtered in the sidecars, read through the control plane (<see cref="TapTarget"/>).
/// </summary>
internal static class TapCommand
{
    public static Command Create()
    {
        var target = new Argument<string>("target") { Description = "What to tap: deploy/NAME or pod/NAME" };
        var options = new TapOptions();
        var max = new Option<int>("--max") { Description = "Stop after this many requests (0: until interrupted)" };
        max.Validators.Add(r => NonNegative(r, "--max"));
        var json = new Option<bool>("--json") { Description = "One JSON object per request" };
        var command = new Command("tap", "Stream the requests a workload's sidecars complete: source, destination, method, path, status, latency")
        {
            target, max, json,
        };
        options.AddTo(command);
        command.SetAction(async (result, ct) =>
        {
            if (!options.TryRequest(result, result.GetValue(target)!, out var request, out var error))
            {
                Console.Error.WriteLine($"weft tap: {error}");
                return 2;
            }

            var limit = result.GetValue(max);
            request.MaxEvents = limit > 0 ? (uint)limit : 0;
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
            var exit = 0;
            var seen = 0;
            await foreach (var e in TapTarget.StreamAsync("tap", options.Access(result), request, Console.Error, code => exit = code, stop.Token))
            {
                if (e.Notice.Length > 0)
                {
                    exit = WriteNotice(Console.Error, "tap", e) ? 1 : exit;
                    continue;
                }

                Console.WriteLine(result.GetValue(json) ? Google.Protobuf.JsonFormatter.Default.Format(e) : Line(e));
                if (limit > 0 && ++seen >= limit)
                {
                    await stop.CancelAsync();
                }
            }

            return exit;
        });
        return command;
    }

    /// <summary>
    /// One request, e.g. <c>outbound GET cart.shop:80/items :status=200 latency=1.2ms src=… dst=… route=… rule=… backend=…</c>
    /// (a gRPC call's status after the HTTP one: <c>:status=200 grpc-status=14</c>).
    /// </summary>
    internal static string Line(TapEvent e)
    {
        var time = DateTimeOffset.FromUnixTimeMilliseconds(e.TimeUnixMicros / 1000).ToString("HH:mm:ss.fff", CultureInfo.InvariantCulture);
        var grpc = e.HasGrpcStatus ? $" grpc-status={e.GrpcStatus}" : "";
        var line = $"{time} {e.Direction} {e.Method} {e.Authority}{e.Path} :status={e.Status}{grpc} latency={Milliseconds(e.LatencyMicros)}"
            + $" src={TapTarget.Source(e)} dst={TapTarget.Destination(e)}";
        if (e.SrcIdentity.Length > 0)
        {
            line += $" src_id={e.SrcIdentity}";
        }

        if (e.DstIdentity.Length > 0)
        {
            line += $" dst_id={e.DstIdentity}";
        }

        if (e.Route.Length > 0)
        {
            line += $" route={e.Route} rule={e.Rule}";
        }

        if (e.Backend.Length > 0)
        {
            line += $" backend={e.Backend}";
        }

        return TerminalText.Escape(line + $" pod={e.Pod}"); // a request chose its method, authority and path
    }

    internal static string Milliseconds(long micros) => (micros / 1000.0).ToString("0.###", CultureInfo.InvariantCulture) + "ms";

    /// <summary>Writes a stream notice; true when it is an error (the tap could not run there).</summary>
    internal static bool WriteNotice(TextWriter errors, string command, TapEvent e)
    {
        if (e.Notice is TapWire.EndedMaxEvents or TapWire.EndedDuration)
        {
            if (e.Dropped > 0)
            {
                errors.WriteLine($"weft {command}: {e.Pod}: {e.Dropped} requests not shown (over the tap's rate or its queue was full)");
            }

            return false;
        }

        errors.WriteLine($"weft {command}: {e.Notice}");
        return true;
    }

    /// <summary>A count option's check: 0 (no limit) or more.</summary>
    internal static void NonNegative(System.CommandLine.Parsing.OptionResult result, string name)
    {
        if (result.GetValueOrDefault<int>() < 0)
        {
            result.AddError($"{name}: 0 (no limit) or more");
        }
    }
}
